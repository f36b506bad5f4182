/* fuzz_kubectl_pods: libFuzzer target for the Kubernetes platform's
 * reading of `kubectl get pods -o json` (kubectl_parse_pods): whatever a
 * kubectl (or a proxy in front of the API server) prints goes through it.
 * Checks: no crash, no read outside the input (it is not NUL-terminated;
 * ASan); on success every name, app label and phase is NUL-terminated
 * within its field; on failure the error is one non-empty line and no
 * pods are returned. Seeds: fuzz/corpus/kubectl_pods/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "platform/kubectl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a copy of exactly size bytes, so ASan sees any read past the end */
    char *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    if (size) memcpy(buf, data, size);
    struct kubectl_pod *pods = NULL;
    size_t n = 0;
    char err[256] = "";
    if (kubectl_parse_pods(buf, size, &pods, &n, err, sizeof err) == 0) {
        for (size_t i = 0; i < n; i++) {
            if (!memchr(pods[i].name, '\0', sizeof pods[i].name)) abort();
            if (!memchr(pods[i].app, '\0', sizeof pods[i].app)) abort();
            if (!memchr(pods[i].phase, '\0', sizeof pods[i].phase)) abort();
        }
        free(pods);
    } else {
        if (pods || !err[0] || strchr(err, '\n')) abort();
    }
    free(buf);
    return 0;
}
