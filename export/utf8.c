/* utf8.c — UTF-8 repair for encoded strings (see utf8.h). */
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at p (1-4), or 0 when p does not start one
 * (RFC 3629: no overlong forms, surrogates or code points past U+10FFFF). Stops at a NUL. */
static size_t utf8_seq(const unsigned char *p)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0;
    if (c < 0xE0)
        return (p[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c < 0xF0) {
        unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        return p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80 ? 3 : 0;
    }
    if (c < 0xF5) {
        unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        return p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80 && (p[3] & 0xC0) == 0x80 ? 4 : 0;
    }
    return 0;
}

/* NULL when `s` is valid UTF-8; otherwise a heap copy (caller frees) with each bad byte
 * replaced by U+FFFD, or NULL with *nomem set. Receivers reject a whole request whose
 * strings are not UTF-8 (proto3 `string`, JSON), and bytes from the traffic or argv may
 * be anything. */
char *lt_utf8_repair(const char *s, bool *nomem)
{
    size_t len;
    return lt_utf8_repair_len(s, &len, nomem);
}

char *lt_utf8_repair_len(const char *s, size_t *len_out, bool *nomem)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n;
    for (;;) {
        while (*p && *p < 0x80) /* ASCII, the common case, without a call per byte */
            p++;
        if (!*p || (n = utf8_seq(p)) == 0)
            break;
        p += n;
    }
    if (!*p) {
        *len_out = (size_t)(p - (const unsigned char *)s);
        return NULL;
    }
    size_t len = strlen(s);
    char *out = malloc(3 * len + 1);
    if (!out) {
        *nomem = true;
        *len_out = 0;
        return NULL;
    }
    char *o = out;
    for (p = (const unsigned char *)s; *p;) {
        n = utf8_seq(p);
        if (n) {
            memcpy(o, p, n);
            o += n;
            p += n;
        } else {
            memcpy(o, "\xEF\xBF\xBD", 3);
            o += 3;
            p++;
        }
    }
    *o = '\0';
    *len_out = (size_t)(o - out);
    return out;
}
