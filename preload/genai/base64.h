/* base64.h — a small bounded decoder of standard base64 (RFC 4648 §4), for the
 * {"bytes":"<base64>"} chunks of Bedrock InvokeModelWithResponseStream. */
#ifndef LT_GENAI_BASE64_H
#define LT_GENAI_BASE64_H

#include <stddef.h>

/** Bytes `out` must hold to decode `n` input characters. */
#define LT_BASE64_DECODED_MAX(n) ((n) / 4 * 3 + 3)

/** Decode `n` characters of standard base64 (alphabet A–Z a–z 0–9 + /; '=' padding optional,
 *  only at the end; no whitespace) into `out` (LT_BASE64_DECODED_MAX(n) bytes); the decoded
 *  length goes to *out_len. Returns 0, or -EINVAL on a character outside the alphabet,
 *  misplaced padding or a dangling single character (*out_len then undefined). */
int lt_base64_decode(const char *in, size_t n, unsigned char *out, size_t *out_len);

#endif
