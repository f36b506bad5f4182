/* cmd_report.c: `meshperf report` (placeholder until its issue lands). */
#include <stdio.h>

#include "cmd.h"
#include "exitcode.h"

int cmd_report(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "meshperf report: not implemented yet\n");
    return EXIT_FAILED;
}
