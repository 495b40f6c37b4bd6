/* context.c — W3C traceparent parse/format (see context.h). */
#include "context.h"

#include <errno.h>
#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1; /* uppercase is invalid in traceparent */
}

/* Decode 2n lowercase hex chars into n bytes; -1 on a bad char. */
static int unhex(const char *s, uint8_t *out, int n)
{
    for (int i = 0; i < n; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static bool all_zero(const uint8_t *b, int n)
{
    for (int i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

int lt_traceparent_parse(const char *s, struct lt_span_context *out)
{
    if (!s)
        return -EINVAL;
    size_t len = strlen(s);
    if (len < LT_TRACEPARENT_LEN)
        return -EINVAL;
    uint8_t version;
    if (unhex(s, &version, 1) || version == 0xff)
        return -EINVAL;
    if (version == 0 && len != LT_TRACEPARENT_LEN)
        return -EINVAL;
    if (len > LT_TRACEPARENT_LEN && s[LT_TRACEPARENT_LEN] != '-')
        return -EINVAL;
    if (s[2] != '-' || s[35] != '-' || s[52] != '-')
        return -EINVAL;
    struct lt_span_context c;
    if (unhex(s + 3, c.trace_id, 16) || unhex(s + 36, c.span_id, 8) || unhex(s + 53, &c.flags, 1))
        return -EINVAL;
    if (all_zero(c.trace_id, 16) || all_zero(c.span_id, 8))
        return -EINVAL;
    *out = c;
    return 0;
}

void lt_hex(const uint8_t *b, int n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

void lt_traceparent_format(const struct lt_span_context *c, char *out)
{
    static const uint8_t version = 0; /* the only version we write */
    lt_hex(&version, 1, out);
    out[2] = '-';
    lt_hex(c->trace_id, 16, out + 3);
    out[35] = '-';
    lt_hex(c->span_id, 8, out + 36);
    out[52] = '-';
    lt_hex(&c->flags, 1, out + 53);
}
