/* main_serve.c: the meshperf-serve binary's entry point: `meshperf serve`
 * alone, linked without libcurl and cairo so that an idle node maps only
 * libc, OpenSSL and jansson (see Makefile). `meshperf serve` and the local
 * platform exec this binary when it sits beside meshperf. Takes the same
 * flags as `meshperf serve`; a leading "serve" argument is accepted, so
 * `meshperf-serve serve -port 0` and `meshperf-serve -port 0` are the same. */
#include <signal.h>
#include <string.h>

#include "cmd/cmd.h"

int main(int argc, char **argv)
{
    /* A peer that closes while we write must give EPIPE, not kill us. */
    signal(SIGPIPE, SIG_IGN);
    if (argc > 1 && !strcmp(argv[1], "serve")) {
        argc--;
        argv++;
    }
    return cmd_serve(argc, argv);
}
