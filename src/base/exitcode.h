/* exitcode.h: the process exit codes every subcommand uses (documented in
 * README.md, "Exit codes"). */
#ifndef MESHPERF_EXITCODE_H
#define MESHPERF_EXITCODE_H

enum {
    EXIT_OK = 0,           /* did what was asked */
    EXIT_FAILED = 1,       /* ran, but the run failed (target unreachable, node died, ...) */
    EXIT_USAGE = 2,        /* bad flags, bad URL, bad config: nothing was run */
    EXIT_DEGRADED = 3,     /* `run`: every test ran, but one or more did not deliver its load
                            * or lost a result file (base/degraded.h); 1 and 130 win over it */
    EXIT_INTERRUPTED = 130 /* SIGINT/SIGTERM: partial results kept */
};

#endif
