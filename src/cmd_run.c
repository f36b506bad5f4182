/* cmd_run.c: `meshperf run` (placeholder until its issue lands). */
#include <stdio.h>

#include "cmd.h"
#include "exitcode.h"

int cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "meshperf run: not implemented yet\n");
    return EXIT_FAILED;
}
