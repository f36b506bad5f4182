/* modes.h: `meshperf run --modes baseline,both,...` (or meshperf.modes):
 * the whole test list once per mode, in the order given, each mode a
 * complete driver run (driver.h) with its own topology, brought up and
 * torn down for that mode (the sidecars differ between modes), its
 * results under <results>/<mode>/ in the usual layout
 * (<mode>/<test>/<driver_ts>/...) and, with --store, under <uri>/<mode>/.
 *
 * Modes (model/config.h config_modes): "baseline" runs without a sidecar;
 * "both", "serveronly" and "clientonly" run with the configured sidecar,
 * placed as platform_local_opts.sidecar_mode says.
 *
 * Exit code: the strongest of the modes', 130 > 2 > 1 > 3 > 0 (as tests
 * combine within a run). A mode that fails (1) does not stop the next one
 * (each brings its own topology up); one interrupted (SIGINT/SIGTERM:
 * 130) or refused (2: a results or store URI no store takes) skips the
 * rest. The driver leaves SIGINT and SIGTERM blocked when it returns, so a
 * signal between two modes stays pending: the pause between modes waits
 * for it with sigtimedwait and skips the remaining modes. */
#ifndef MESHPERF_MODES_H
#define MESHPERF_MODES_H

#include <stddef.h>

#include "run/driver.h"

struct config;

/* Parse a comma-separated list of mode names ("baseline,both") into
 * *out (an array of n strings; free with modes_free). Each name must be
 * known and given once; empty names are refused. 0, or -1 with one line
 * in err ("unknown mode \"bogus\" (known: baseline, both, serveronly,
 * clientonly)"); nothing to free then. */
int modes_parse(const char *list, char ***out, size_t *n, char *err, size_t errlen);

/* Free what modes_parse gave. NULL is fine. */
void modes_free(char **modes, size_t n);

/* Does any of the n modes need a sidecar (any but "baseline")? Returns
 * the first that does, or NULL. */
const char *modes_need_sidecar(char *const *modes, size_t n);

/* Run cfg's tests once per mode (see the top of this file), with o as the
 * base of every mode's driver options (o->results_dir and o->store_uri
 * get "/<mode>" appended; o->sidecar "none" for baseline). Returns the
 * combined exit code. Every process it started has ended when it
 * returns. */
int modes_run(const struct config *cfg, const struct driver_opts *o, char *const *modes, size_t n);

#endif
