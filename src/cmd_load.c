/* cmd_load.c: `meshperf load` (placeholder until its issue lands). */
#include <stdio.h>

#include "cmd.h"
#include "exitcode.h"

int cmd_load(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "meshperf load: not implemented yet\n");
    return EXIT_FAILED;
}
