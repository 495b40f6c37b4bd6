/* sse.c — incremental Server-Sent Events parser (see sse.h; WHATWG HTML §9.2.6
 * "Interpreting an event stream"). Complete lines inside one feed are parsed in place; only
 * a line cut by a feed boundary is copied. Line ends are found with memchr, never per byte.
 * Memory is bounded by `max_event` per event: an oversized event is dropped whole. */
#include "http/sse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SSE_DEFAULT_MAX (1024u * 1024u)

/* While `overflow` is set, nothing of the current line is stored: `line_len` is then only
 * 0 (at the start of a line) or 1 (inside a non-empty line), enough to see the blank line
 * that ends the dropped event. Before `bom_checked`, `line_len` counts the BOM bytes matched
 * so far (they are never stored either). */

static const unsigned char BOM[3] = {0xEF, 0xBB, 0xBF};

void lt_sse_init(struct lt_sse_parser *p, size_t max_event)
{
    memset(p, 0, sizeof(*p));
    p->max_event = max_event ? max_event : SSE_DEFAULT_MAX;
}

void lt_sse_cleanup(struct lt_sse_parser *p)
{
    free(p->line);
    free(p->data);
    p->line = p->data = NULL;
    p->line_len = p->line_cap = p->data_len = p->data_cap = 0;
}

/* Grow *buf so it holds `need` bytes plus a NUL. Geometric; 0 or -ENOMEM. */
static int reserve(char **buf, size_t *cap, size_t need)
{
    if (*buf && need <= *cap)
        return 0;
    size_t want = *cap ? *cap : 128;
    while (want < need)
        want *= 2;
    char *nb = realloc(*buf, want + 1);
    if (!nb)
        return -ENOMEM;
    *buf = nb;
    *cap = want;
    return 0;
}

static void reset_event(struct lt_sse_parser *p)
{
    p->data_len = 0;
    p->have_data = false;
    p->type_len = 0; /* type[] itself is left alone: a dispatched event still views it */
}

/* The event is too big (or memory ran out): forget it and skip to the next blank line.
 * `mid_line` says whether the line being read has bytes still to come. */
static void enter_overflow(struct lt_sse_parser *p, bool mid_line)
{
    reset_event(p);
    p->overflow = true;
    p->line_len = mid_line ? 1 : 0;
}

/* Hand the event with data `data` (`len` bytes, a view) to `cb`, with the pending type and
 * the last id. Reset first: the views stay valid because the buffers are not touched until
 * the next feed, and a callback that stops us leaves a clean state behind. */
static int emit(struct lt_sse_parser *p, const char *data, size_t len, lt_sse_event_cb cb, void *ud)
{
    struct lt_sse_event ev = {
        .type = p->type_len ? p->type : "message",
        .type_len = p->type_len ? p->type_len : strlen("message"),
        .data = data,
        .data_len = len,
        .id = p->id,
        .id_len = p->id_len,
    };
    p->events++;
    reset_event(p);
    return cb ? cb(ud, &ev) : 0;
}

static int dispatch(struct lt_sse_parser *p, lt_sse_event_cb cb, void *ud)
{
    if (!p->have_data) {
        /* Spec: an event without data is not dispatched; its type is forgotten. */
        reset_event(p);
        return 0;
    }
    /* have_data implies data_len >= 1: every data field appended its LF. */
    p->data[--p->data_len] = '\0';
    return emit(p, p->data, p->data_len, cb, ud);
}

/* One complete, non-comment line (without its terminator) of an event being kept. */
static int process_line(struct lt_sse_parser *p, const char *s, size_t len, lt_sse_event_cb cb,
                        void *ud)
{
    if (len == 0)
        return dispatch(p, cb, ud);

    const char *colon = memchr(s, ':', len);
    size_t flen = colon ? (size_t)(colon - s) : len;
    const char *v = colon ? colon + 1 : s + len;
    size_t vlen = (size_t)(s + len - v);
    if (vlen && v[0] == ' ') {
        v++;
        vlen--;
    }

    if (flen == 4 && memcmp(s, "data", 4) == 0) {
        if (p->data_len + vlen + 1 > p->max_event) {
            enter_overflow(p, false);
            return 0;
        }
        if (reserve(&p->data, &p->data_cap, p->data_len + vlen + 1) != 0) {
            enter_overflow(p, false);
            return -ENOMEM;
        }
        if (vlen)
            memcpy(p->data + p->data_len, v, vlen);
        p->data_len += vlen;
        p->data[p->data_len++] = '\n';
        p->data[p->data_len] = '\0';
        p->have_data = true;
    } else if (flen == 5 && memcmp(s, "event", 5) == 0) {
        size_t n = vlen < sizeof(p->type) - 1 ? vlen : sizeof(p->type) - 1;
        memcpy(p->type, v, n);
        p->type[n] = '\0';
        p->type_len = n;
    } else if (flen == 2 && memcmp(s, "id", 2) == 0) {
        /* Spec: an id containing U+0000 NULL is ignored; the id persists across events. */
        if (!memchr(v, '\0', vlen)) {
            size_t n = vlen < sizeof(p->id) - 1 ? vlen : sizeof(p->id) - 1;
            memcpy(p->id, v, n);
            p->id[n] = '\0';
            p->id_len = n;
        }
    }
    /* "retry" (reconnection time) and unknown fields are ignored. */
    return 0;
}

/* A line ended; `s`/`len` is its tail in the current feed (the head, if any, is buffered). */
static int line_done(struct lt_sse_parser *p, const char *s, size_t len, lt_sse_event_cb cb,
                     void *ud)
{
    if (p->overflow) {
        bool blank = p->line_len == 0 && len == 0;
        p->line_len = 0;
        if (blank) {
            p->overflow = false;
            p->dropped++;
            reset_event(p);
        }
        return 0;
    }
    if (p->line_len == 0) {
        if (len && s[0] == ':')
            return 0; /* comment */
        /* Same rule as for buffered lines, so the outcome does not depend on the splits. */
        if (p->data_len + len > p->max_event) {
            enter_overflow(p, false);
            return 0;
        }
        return process_line(p, s, len, cb, ud);
    }
    if (p->line[0] == ':') {
        p->line_len = 0; /* comment cut by a feed boundary: only the ':' was kept */
        return 0;
    }
    if (p->data_len + p->line_len + len > p->max_event) {
        enter_overflow(p, false);
        return 0;
    }
    if (reserve(&p->line, &p->line_cap, p->line_len + len) != 0) {
        enter_overflow(p, false);
        return -ENOMEM;
    }
    if (len)
        memcpy(p->line + p->line_len, s, len);
    size_t total = p->line_len + len;
    p->line_len = 0;
    return process_line(p, p->line, total, cb, ud);
}

/* Keep the start of a line the feed cut. Comments keep only their ':'. */
static int line_partial(struct lt_sse_parser *p, const char *s, size_t len)
{
    if (len == 0)
        return 0;
    if (p->overflow) {
        p->line_len = 1;
        return 0;
    }
    if (p->line_len == 0 && s[0] == ':') {
        if (reserve(&p->line, &p->line_cap, 1) != 0) {
            enter_overflow(p, true);
            return -ENOMEM;
        }
        p->line[0] = ':';
        p->line_len = 1;
        return 0;
    }
    if (p->line_len && p->line[0] == ':')
        return 0;
    if (p->data_len + p->line_len + len > p->max_event) {
        enter_overflow(p, true);
        return 0;
    }
    if (reserve(&p->line, &p->line_cap, p->line_len + len) != 0) {
        enter_overflow(p, true);
        return -ENOMEM;
    }
    memcpy(p->line + p->line_len, s, len);
    p->line_len += len;
    return 0;
}

/* Match the optional U+FEFF at stream start, possibly split across feeds. Returns the
 * bytes consumed; on a mismatch the matched prefix becomes ordinary line content. */
static size_t skip_bom(struct lt_sse_parser *p, const char *buf, size_t n, int *rc)
{
    size_t i = 0;
    while (i < n && p->line_len < sizeof(BOM) && (unsigned char)buf[i] == BOM[p->line_len]) {
        p->line_len++;
        i++;
    }
    if (p->line_len == sizeof(BOM)) {
        p->line_len = 0;
        p->bom_checked = true;
    } else if (i < n) {
        size_t k = p->line_len;
        p->line_len = 0;
        p->bom_checked = true;
        *rc = line_partial(p, (const char *)BOM, k);
    }
    return i;
}

void lt_sse_set_skip(struct lt_sse_parser *p, lt_sse_skip_fn skip)
{
    p->skip = skip;
}

/* A line ends at `e` (its CR or LF); when a blank line follows at once, both whole before
 * `n`, the offset after the blank line, else 0. A CRLF cut by the end of the feed is not
 * taken. */
static inline size_t blank_after(const char *buf, size_t n, size_t e)
{
    if (buf[e] == '\n' && n - e > 1 && buf[e + 1] == '\n')
        return e + 2; /* the usual LF LF, without the cases below */
    size_t next = e + 1;
    if (buf[e] == '\r') {
        if (next == n)
            return 0;
        if (buf[next] == '\n')
            next++;
    }
    if (next >= n)
        return 0;
    if (buf[next] == '\n')
        return next + 1;
    if (buf[next] == '\r' && next + 1 < n)
        return buf[next + 1] == '\n' ? next + 2 : next + 1;
    return 0;
}

/* Where a "data:" line starts at i: the offset of its value (after one optional space), or
 * 0 when the line is not a data line. */
static size_t data_value(const char *buf, size_t n, size_t i)
{
    if (n - i < 5 || memcmp(buf + i, "data:", 5) != 0)
        return 0;
    size_t v = i + 5;
    return v < n && buf[v] == ' ' ? v + 1 : v;
}

/* The event the skip hook would ignore, at the start of a line with nothing of an event
 * buffered: counted as dispatched, as emit() would, without being framed. Returns the offset
 * after its blank line, or 0 to parse the line as usual. */
static size_t skip_event(struct lt_sse_parser *p, const char *buf, size_t n, size_t i, void *ud)
{
    size_t v = data_value(buf, n, i);
    if (!v)
        return 0;
    const char *type = p->type_len ? p->type : "message";
    size_t len = p->skip(ud, type, p->type_len ? p->type_len : strlen("message"), buf + v, n - v);
    if (len == SIZE_MAX || len >= n - v)
        return 0;
    size_t e = v + len;
    if (buf[e] != '\n' && buf[e] != '\r')
        return 0;
    size_t after = blank_after(buf, n, e);
    if (!after || e - i > p->max_event || len + 1 > p->max_event)
        return 0; /* the ordinary path frames it (or drops it, by the same rules) */
    p->events++;
    p->skipped++;
    reset_event(p);
    return after;
}

/* The common event, "data: VALUE" followed at once by a blank line, both whole in this feed
 * and nothing of the event buffered yet: dispatched as a view of the feed, without copying
 * the value into `data`. Same outcome as process_line + dispatch. The line is [i, e), its
 * terminator at e. Returns the offset after the blank line (rc = the callback's answer), or
 * 0 to take the ordinary path. */
static size_t fast_event(struct lt_sse_parser *p, const char *buf, size_t n, size_t i, size_t e,
                         lt_sse_event_cb cb, void *ud, int *rc)
{
    if (p->line_len || p->overflow || p->have_data)
        return 0;
    size_t v = data_value(buf, n, i);
    if (!v || v > e)
        return 0;
    size_t after = blank_after(buf, n, e);
    if (!after || e - i > p->max_event || e - v + 1 > p->max_event)
        return 0; /* the ordinary path drops it, by the same rules */
    *rc = emit(p, buf + v, e - v, cb, ud);
    return after;
}

int lt_sse_feed(struct lt_sse_parser *p, const char *buf, size_t n, lt_sse_event_cb cb, void *ud)
{
    size_t i = 0;
    int rc = 0;
    if (!p->bom_checked) {
        i = skip_bom(p, buf, n, &rc);
        if (rc)
            return rc;
    }
    /* `nl` caches the next LF at or after i (n if none), so a CR-only stream does not
     * rescan the rest of the buffer for every line. */
    size_t nl = 0;
    bool nl_known = false;
    while (i < n) {
        if (p->skip_lf) {
            p->skip_lf = false;
            if (buf[i] == '\n') {
                i++;
                continue;
            }
        }
        if (p->skip && !p->line_len && !p->overflow && !p->have_data) {
            size_t after = skip_event(p, buf, n, i, ud);
            if (after) {
                i = after;
                continue;
            }
        }
        if (!nl_known || nl < i) {
            const char *q = memchr(buf + i, '\n', n - i);
            nl = q ? (size_t)(q - buf) : n;
            nl_known = true;
        }
        const char *cr = memchr(buf + i, '\r', nl - i);
        size_t e = cr ? (size_t)(cr - buf) : nl;
        if (e == n)
            return line_partial(p, buf + i, n - i);
        size_t next = e + 1;
        if (buf[e] == '\r') {
            if (next == n)
                p->skip_lf = true; /* a CRLF may be split across feeds */
            else if (buf[next] == '\n')
                next++;
        }
        size_t after = fast_event(p, buf, n, i, e, cb, ud, &rc);
        if (after) {
            i = after;
            if (rc)
                return rc;
            continue;
        }
        rc = line_done(p, buf + i, e - i, cb, ud);
        i = next;
        if (rc)
            return rc;
    }
    return 0;
}

int lt_sse_finish(struct lt_sse_parser *p, lt_sse_event_cb cb, void *ud)
{
    int rc = 0;
    p->skip_lf = false;
    if (!p->bom_checked) {
        /* Only part of a BOM arrived: as a line it would be an unknown field. */
        p->bom_checked = true;
        p->line_len = 0;
    }
    /* Deviation from the spec (which discards an unterminated event): a final line without
     * its end is taken as complete, and pending data is dispatched. */
    if (p->line_len && !p->overflow)
        rc = line_done(p, NULL, 0, cb, ud);
    p->line_len = 0;
    if (p->overflow) {
        p->overflow = false;
        p->dropped++;
        reset_event(p);
        return rc;
    }
    if (rc) {
        reset_event(p);
        return rc;
    }
    return dispatch(p, cb, ud);
}
