/* store_s3_xml.h: the little XML the S3 store reads: error bodies
 * (<Error><Code>..</Code><Message>..</Message></Error>) and ListObjectsV2
 * answers (<Contents><Key/><Size/><ETag/></Contents>..., <IsTruncated/>,
 * <NextContinuationToken/>).
 *
 * Not a general XML parser: it finds elements by name in the caller's
 * buffer (which need not be NUL-terminated), never reads outside it, and
 * neither copies nor allocates, but for decoding an element's text (the
 * five predefined entities, &#N; and &#xH; as UTF-8, CDATA sections) into
 * the caller's output buffer. Element names are matched exactly, with or
 * without attributes (<Key>, <Key xmlns="...">); a self-closing element
 * (<Key/>) has empty text. */
#ifndef MESHPERF_STORE_S3_XML_H
#define MESHPERF_STORE_S3_XML_H

#include <stddef.h>

/* A slice of the caller's buffer. */
struct store_s3_xml_span {
    const char *p;
    size_t n;
};

/* The content of the first element named tag inside in (between its start
 * and end tags) into *out. 1 found, 0 not found (or not closed). */
int store_s3_xml_find(struct store_s3_xml_span in, const char *tag, struct store_s3_xml_span *out);

/* The next element named tag at or after *pos in in: its content into *out
 * and *pos moved past its end tag. 1 found, 0 no more. Used to walk the
 * <Contents> of a listing. */
int store_s3_xml_next(struct store_s3_xml_span in, size_t *pos, const char *tag,
                      struct store_s3_xml_span *out);

/* Decode the text of span (entities, CDATA; markup inside is an error)
 * into out, NUL-terminated. The decoded length, or -1 when it does not fit
 * in outlen - 1 bytes or is malformed (a bad entity, '<' outside CDATA). */
long store_s3_xml_text(struct store_s3_xml_span in, char *out, size_t outlen);

/* S3's error body in one line: "Code: Message" (or just the code), control
 * characters as spaces, into out. 0, or -1 when body is no S3 error
 * (out then holds ""). */
int store_s3_xml_error(const char *body, size_t len, char *out, size_t outlen);

#endif
