/* jsonseq.c — splitter of NDJSON, RFC 7464 json-seq and streamed JSON arrays (see jsonseq.h).
 * One pass per byte with depth and string/escape tracking; a value that lies whole inside
 * one feed is handed out straight from the input, only a value split across feeds is copied
 * into `cur`, and never more than `max_value` bytes of it. */
#include "http/jsonseq.h"

#include <errno.h>
#include <string.h>

#define JSEQ_DEFAULT_MAX ((size_t)1 << 20)
#define RS 0x1e /* RFC 7464 record separator */

enum {
    JSEQ_IDLE = 0, /* between values */
    JSEQ_NESTED,   /* in an object, an array or a top-level string */
    JSEQ_SCALAR,   /* in a number or a literal, ended by the first delimiter */
};

void lt_jsonseq_init(struct lt_jsonseq_parser *p, size_t max_value)
{
    memset(p, 0, sizeof(*p));
    p->max_value = max_value ? max_value : JSEQ_DEFAULT_MAX;
    lt_buf_init(&p->cur, p->max_value);
}

static bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Bytes that end a number or a literal (RFC 8259 §2: structural characters and
 * whitespace), plus RS and the quote that would begin the next value. */
static bool ends_scalar(unsigned char c)
{
    return is_ws(c) || c == ',' || c == RS || c == '[' || c == ']' || c == '{' || c == '}' ||
           c == '"' || c == ':';
}

/* Numbers start with '-' or a digit, literals with a letter (true, false, null; invalid
 * tokens such as NaN are passed on for the consumer's parser to refuse). */
static bool starts_scalar(unsigned char c)
{
    return c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void end_value(struct lt_jsonseq_parser *p)
{
    p->state = JSEQ_IDLE;
    p->vlen = 0;
    p->depth = 0;
    p->in_str = p->esc = p->overflow = false;
    lt_buf_reset(&p->cur);
}

/* Count one more byte of the current value; past the cap the value is only tracked. */
static void take(struct lt_jsonseq_parser *p)
{
    if (!p->overflow && ++p->vlen > p->max_value) {
        p->overflow = true;
        lt_buf_reset(&p->cur);
    }
}

/* The current value ends before d[end]; its bytes in this feed start at d[start]. Hand it
 * out (from the input when it began in this feed, else from `cur`), or count it dropped. */
static int complete(struct lt_jsonseq_parser *p, const char *d, size_t start, size_t end,
                    lt_jsonseq_cb cb, void *ud)
{
    int rc = 0;
    if (p->overflow) {
        p->dropped++;
    } else if (p->cur.len == 0) {
        p->values++;
        rc = cb(ud, d + start, end - start);
    } else if (end > start && lt_buf_append(&p->cur, d + start, end - start) != 0) {
        p->dropped++;
        rc = -ENOMEM;
    } else {
        p->values++;
        rc = cb(ud, p->cur.data, p->cur.len);
    }
    end_value(p);
    return rc;
}

/* RFC 7464 §2.1: a value that an RS interrupts was truncated; drop it (and a value broken
 * by a raw control byte in a string). */
static void cut(struct lt_jsonseq_parser *p)
{
    p->dropped++;
    end_value(p);
}

int lt_jsonseq_feed(struct lt_jsonseq_parser *p, const char *d, size_t n, lt_jsonseq_cb cb,
                    void *ud)
{
    size_t start = 0; /* where the current value's bytes in `d` begin */
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)d[i];
        if (p->state == JSEQ_IDLE) {
            if (c == '[' && !p->started) {
                p->started = true; /* the enclosing array of a streamed response */
            } else if (c == '{' || c == '[' || c == '"' || starts_scalar(c)) {
                p->started = true;
                p->state = c == '"' || c == '{' || c == '[' ? JSEQ_NESTED : JSEQ_SCALAR;
                p->depth = c == '"' ? 0 : (c == '{' || c == '[');
                p->in_str = c == '"';
                start = i;
                take(p);
            }
            i++;
            continue;
        }
        if (p->state == JSEQ_SCALAR) {
            if (!ends_scalar(c)) {
                take(p);
                i++;
                continue;
            }
            /* The delimiter is not part of the scalar: look at it again between values. */
            if (c == RS) {
                cut(p);
                continue;
            }
            int rc = complete(p, d, start, i, cb, ud);
            if (rc)
                return rc;
            continue;
        }
        /* JSEQ_NESTED. RS is never valid inside a value, nor is a raw control byte inside a
         * string (RFC 8259 §7): the value was cut short or is corrupt. Dropping it there and
         * looking at the byte again between values resynchronises on the next line. */
        if (c == RS || (p->in_str && c < 0x20)) {
            cut(p);
            continue;
        }
        take(p);
        i++;
        if (p->in_str) {
            if (p->esc)
                p->esc = false;
            else if (c == '\\')
                p->esc = true;
            else if (c == '"')
                p->in_str = false;
            else
                continue;
            if (p->in_str || p->depth)
                continue;
        } else if (c == '"') {
            p->in_str = true;
            continue;
        } else if (c == '{' || c == '[') {
            p->depth++;
            continue;
        } else if (c == '}' || c == ']') {
            if (--p->depth)
                continue;
        } else {
            continue;
        }
        int rc = complete(p, d, start, i, cb, ud);
        if (rc)
            return rc;
    }
    if (p->state != JSEQ_IDLE && !p->overflow && n > start &&
        lt_buf_append(&p->cur, d + start, n - start) != 0) {
        p->overflow = true; /* counted as dropped when it ends */
        lt_buf_reset(&p->cur);
        return -ENOMEM;
    }
    return 0;
}

int lt_jsonseq_finish(struct lt_jsonseq_parser *p, lt_jsonseq_cb cb, void *ud)
{
    int rc = 0;
    if (p->state == JSEQ_SCALAR)
        rc = complete(p, "", 0, 0, cb, ud); /* a scalar is complete at end of input */
    else if (p->state == JSEQ_NESTED)
        cut(p);
    end_value(p);
    p->started = false;
    return rc;
}

void lt_jsonseq_cleanup(struct lt_jsonseq_parser *p)
{
    lt_buf_cleanup(&p->cur);
}
