/* store_etag.c: MD5 ETags (see store_etag.h), with OpenSSL's EVP MD5. */
#include "store/store_etag.h"

#include <openssl/evp.h>
#include <strings.h>

void store_etag_md5(const void *data, size_t len, char out[33])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!EVP_Digest(data ? data : "", data ? len : 0, md, &n, EVP_md5(), NULL) || n != 16) {
        out[0] = '\0';
        return;
    }
    for (unsigned int i = 0; i < 16; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[32] = '\0';
}

bool store_etag_is_md5(const char *etag)
{
    if (!etag) return false;
    size_t i = 0;
    for (; etag[i]; i++) {
        char c = etag[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return i == 32;
}

bool store_etag_matches(const char *etag, const void *data, size_t len)
{
    if (!store_etag_is_md5(etag)) return false;
    char md5[33];
    store_etag_md5(data, len, md5);
    return md5[0] && strcasecmp(md5, etag) == 0;
}
