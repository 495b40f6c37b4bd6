/* json_walk.c — strict JSON object/array walking without a tree (see json_walk.h). */
#include "json_walk.h"

#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* JSON whitespace (RFC 8259 §2): stricter than cJSON, which skips every byte <= 0x20. */
static const char *ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char ch = p[i];
        int d;
        if (ch >= '0' && ch <= '9')
            d = ch - '0';
        else if (ch >= 'a' && ch <= 'f')
            d = ch - 'a' + 10;
        else if (ch >= 'A' && ch <= 'F')
            d = ch - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* The byte after the string whose opening quote is `p`, or NULL: a control byte, an escape
 * RFC 8259 §7 does not define, a \u escape cJSON refuses (a low surrogate first, a high one
 * without a low one after it), or no closing quote. `*plain` tells whether it held no
 * escape. */
static const char *string_end(const char *p, const char *end, bool *plain)
{
    *plain = true;
    for (p++; p < end; p++) {
        p = lt_json_skip_plain(p, end);
        if (p == end)
            break;
        unsigned char ch = (unsigned char)*p;
        if (ch == '"')
            return p + 1;
        if (ch < 0x20)
            return NULL;
        if (ch != '\\')
            continue;
        *plain = false;
        if (++p == end)
            return NULL;
        switch (*p) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            break;
        case 'u': {
            if (end - p < 5)
                return NULL;
            int u = hex4(p + 1);
            p += 4;
            if (u < 0 || (u >= 0xDC00 && u <= 0xDFFF))
                return NULL;
            if (u >= 0xD800 && u <= 0xDBFF) {
                if (end - p < 7 || p[1] != '\\' || p[2] != 'u')
                    return NULL;
                int lo = hex4(p + 3);
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return NULL;
                p += 6;
            }
            break;
        }
        default:
            return NULL;
        }
    }
    return NULL;
}

static bool digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* The byte after the number at `p` (RFC 8259 §6 grammar, at most 63 bytes: cJSON reads a
 * number through a 64-byte buffer), or NULL. */
static const char *number_end(const char *p, const char *end)
{
    const char *q = p;
    if (q < end && *q == '-')
        q++;
    if (q == end || !digit(*q))
        return NULL;
    if (*q == '0')
        q++;
    else
        while (q < end && digit(*q))
            q++;
    if (q < end && *q == '.') {
        if (++q == end || !digit(*q))
            return NULL;
        while (q < end && digit(*q))
            q++;
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < end && (*q == '+' || *q == '-'))
            q++;
        if (q == end || !digit(*q))
            return NULL;
        while (q < end && digit(*q))
            q++;
    }
    return q - p <= 63 ? q : NULL;
}

static const char *literal_end(const char *p, const char *end, const char *lit, size_t n)
{
    return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0 ? p + n : NULL;
}

static const char *container_end(const char *p, const char *end, int depth,
                                 const struct lt_json_walker *w);

/* The byte after the value at `p` (no whitespace before it), or NULL when it is not strict
 * JSON within the walker's limits. */
static const char *value_end(const char *p, const char *end, int depth)
{
    if (p == end)
        return NULL;
    bool plain;
    switch (*p) {
    case '"':
        return string_end(p, end, &plain);
    case '{':
    case '[':
        return container_end(p, end, depth + 1, NULL);
    case 't':
        return literal_end(p, end, "true", 4);
    case 'f':
        return literal_end(p, end, "false", 5);
    case 'n':
        return literal_end(p, end, "null", 4);
    default:
        return number_end(p, end);
    }
}

/* The byte after the object or array at `p`, or NULL; with a walker `w`, each member
 * (element) is passed to it — a container value first to w->enter, which may have it walked
 * in the same pass — and a false (or -1) answer ends the walk with NULL. */
static const char *container_end(const char *p, const char *end, int depth,
                                 const struct lt_json_walker *w)
{
    if (depth > LT_JSON_WALK_DEPTH)
        return NULL;
    bool object = *p == '{';
    char close = object ? '}' : ']';
    const char *q = ws(p + 1, end);
    if (q < end && *q == close)
        return q + 1;
    for (;;) {
        const char *key = NULL;
        size_t key_len = 0;
        if (object) {
            bool plain;
            if (q == end || *q != '"')
                return NULL;
            const char *ke = string_end(q, end, &plain);
            if (!ke || !plain)
                return NULL;
            key = q + 1;
            key_len = (size_t)(ke - 1 - key);
            q = ws(ke, end);
            if (q == end || *q != ':')
                return NULL;
            q = ws(q + 1, end);
        }
        const char *ve;
        if (w && w->enter && q < end && (*q == '{' || *q == '[')) {
            struct lt_json_walker inner = {0};
            int r = w->enter(w->ud, key, key_len, q, &inner);
            if (r < 0)
                return NULL;
            ve = container_end(q, end, depth + 1, r ? &inner : NULL);
        } else {
            ve = value_end(q, end, depth);
        }
        if (!ve || (w && w->member && !w->member(w->ud, key, key_len, q, (size_t)(ve - q))))
            return NULL;
        q = ws(ve, end);
        if (q == end)
            return NULL;
        if (*q == close)
            return q + 1;
        if (*q != ',')
            return NULL;
        q = ws(q + 1, end);
    }
}

static bool walk(const char *p, size_t n, char open, const struct lt_json_walker *w)
{
    const char *end = p + n;
    const char *q = ws(p, end);
    return q < end && *q == open && container_end(q, end, 1, w) != NULL;
}

bool lt_json_walk_object(const char *p, size_t n, lt_json_member_fn fn, void *ud)
{
    struct lt_json_walker w = {fn, NULL, ud};
    return walk(p, n, '{', &w);
}

bool lt_json_walk_array(const char *p, size_t n, lt_json_member_fn fn, void *ud)
{
    struct lt_json_walker w = {fn, NULL, ud};
    return walk(p, n, '[', &w);
}

bool lt_json_walk_object_nested(const char *p, size_t n, const struct lt_json_walker *w)
{
    return walk(p, n, '{', w);
}

bool lt_json_walk_plain_str(const char *v, size_t n, const char **s, size_t *len)
{
    bool plain;
    if (!n || v[0] != '"')
        return false;
    const char *e = string_end(v, v + n, &plain);
    if (!e || !plain)
        return false;
    *s = v + 1;
    *len = (size_t)(e - 1 - *s);
    return true;
}

enum lt_json_walk_int lt_json_walk_int(const char *v, size_t n, int64_t *out)
{
    if (!n || (v[0] != '-' && !digit(v[0])))
        return LT_JSON_INT_NONE;
    size_t i = v[0] == '-';
    int64_t x = 0;
    size_t digits = 0;
    for (; i < n && digit(v[i]); i++, digits++) {
        if (digits == 15)
            return LT_JSON_INT_UNSURE;
        x = x * 10 + (v[i] - '0');
    }
    if (!digits || i != n)
        return LT_JSON_INT_UNSURE;
    *out = v[0] == '-' ? -x : x;
    return LT_JSON_INT_OK;
}

bool lt_json_walk_num(const char *v, size_t n, double *out)
{
    if (number_end(v, v + n) != v + n)
        return false;
    char buf[64]; /* number_end: at most 63 bytes */
    const char *point = localeconv()->decimal_point;
    for (size_t i = 0; i < n; i++)
        buf[i] = v[i] == '.' && point && point[0] ? point[0] : v[i];
    buf[n] = '\0';
    char *e;
    double d = strtod(buf, &e);
    if (e != buf + n || !isfinite(d))
        return false;
    *out = d;
    return true;
}
