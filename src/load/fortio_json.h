/* fortio_json.h: a load run's result as Fortio's JSON (fhttp.HTTPRunnerResults).
 *
 * Field names and JSON types follow Fortio exactly, so tools that read
 * fortio.json read ours: RunType "HTTP", Labels, StartTime (RFC 3339 with
 * nanoseconds and zone), RequestedQPS (string, "max" for 0),
 * RequestedDuration (Go duration string "5s", or "exactly N calls", or
 * "until stop"), ActualQPS (number), ActualDuration (integer ns),
 * NumThreads (Fortio's -c: our connection count), Version,
 * DurationHistogram / ErrorsDurationHistogram (seconds; Data buckets on
 * Fortio's bucket boundaries with cumulative Percent; Percentiles 50, 75,
 * 90, 99, 99.9 taken from our HDR histogram), Exactly, Jitter, Uniform,
 * NoCatchUp, RunID, AccessLoggerInfo, ID, RetCodes (object, string keys,
 * "-1" = socket error), URL, NumConnections (1: Fortio's per-"thread"
 * connections), Insecure, HTTPReqTimeOut (ns), Sizes, HeaderSizes (bytes),
 * Sockets, SocketCount.
 *
 * DurationHistogram holds the corrected latencies (from each request's due
 * time). Our additions use names no Fortio version uses:
 * MeshperfUncorrectedHistogram (from the actual send), MeshperfLate
 * {Count, ThresholdSeconds, Histogram}, MeshperfUnsent, MeshperfThreads,
 * MeshperfConnections, MeshperfStopped. */
#ifndef MESHPERF_FORTIO_JSON_H
#define MESHPERF_FORTIO_JSON_H

#include "load/loadgen.h"

/* The Fortio JSON of result r of the run described by o, indented by
 * `indent` spaces (0 = compact, one line). Returns malloc'd NUL-terminated
 * text the caller frees with free(), or NULL on no memory. */
char *fortio_json_result(const struct loadgen_opts *o, const struct loadgen_result *r, int indent);

/* Format us as Go's time.Duration.String() does ("5s", "1m0s", "1.5s",
 * "500ms", "0s") into out (>= 32 bytes). Returns out. */
char *fortio_json_go_duration(int64_t us, char *out, size_t outlen);

#endif
