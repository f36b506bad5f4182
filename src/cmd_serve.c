/* cmd_serve.c: `meshperf serve` (placeholder until its issue lands). */
#include <stdio.h>

#include "cmd.h"
#include "exitcode.h"

int cmd_serve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "meshperf serve: not implemented yet\n");
    return EXIT_FAILED;
}
