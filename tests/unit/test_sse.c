/* test_sse.c — unit tests for the SSE parser (preload/http/sse.c). Fixtures are shaped like
 * OpenAI Chat Completions and Anthropic Messages streams; every fixture is fed whole, split
 * at every byte into two guarded pieces, and byte by byte, and must give the same events. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "http/sse.h"
#include "sse_skip_s.h"

struct exp_ev {
    const char *type;
    const char *data;
    const char *id; /* NULL: not checked */
};

struct fixture {
    const char *name;
    const char *in;
    size_t in_len;
    size_t max_event; /* 0 = default */
    const struct exp_ev *ev;
    size_t nev;
    size_t dropped;
};

#define FX(name_, in_, max_, ev_, dropped_)                                                        \
    {                                                                                              \
        name_, in_, sizeof(in_) - 1, max_, ev_, sizeof(ev_) / sizeof(ev_[0]), dropped_             \
    }

/* ---- fixtures ------------------------------------------------------------------------- */

/* OpenAI Chat Completions, stream=true with stream_options.include_usage. */
#define OAI_1                                                                                      \
    "{\"id\":\"chatcmpl-9aB3\",\"object\":\"chat.completion.chunk\",\"created\":1718000000,"       \
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_44709d6fcb\","               \
    "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"               \
    "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}"
#define OAI_2                                                                                      \
    "{\"id\":\"chatcmpl-9aB3\",\"object\":\"chat.completion.chunk\",\"created\":1718000000,"       \
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_44709d6fcb\","               \
    "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},\"logprobs\":null,"               \
    "\"finish_reason\":null}],\"usage\":null}"
#define OAI_3                                                                                      \
    "{\"id\":\"chatcmpl-9aB3\",\"object\":\"chat.completion.chunk\",\"created\":1718000000,"       \
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_44709d6fcb\","               \
    "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" world!\"},\"logprobs\":null,"             \
    "\"finish_reason\":null}],\"usage\":null}"
#define OAI_4                                                                                      \
    "{\"id\":\"chatcmpl-9aB3\",\"object\":\"chat.completion.chunk\",\"created\":1718000000,"       \
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_44709d6fcb\","               \
    "\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],"       \
    "\"usage\":null}"
#define OAI_5                                                                                      \
    "{\"id\":\"chatcmpl-9aB3\",\"object\":\"chat.completion.chunk\",\"created\":1718000000,"       \
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_44709d6fcb\","               \
    "\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3,"                       \
    "\"total_tokens\":12}}"

static const char openai_in[] = "data: " OAI_1 "\n\n"
                                "data: " OAI_2 "\n\n"
                                "data: " OAI_3 "\n\n"
                                "data: " OAI_4 "\n\n"
                                "data: " OAI_5 "\n\n"
                                "data: [DONE]\n\n";
static const struct exp_ev openai_ev[] = {
    {"message", OAI_1, ""}, {"message", OAI_2, ""}, {"message", OAI_3, ""},
    {"message", OAI_4, ""}, {"message", OAI_5, ""}, {"message", "[DONE]", ""},
};

/* Anthropic Messages, stream=true. */
#define ANT_START                                                                                  \
    "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_01XFDUDYJgAACzvnptvVoYEL\","            \
    "\"type\":\"message\",\"role\":\"assistant\",\"content\":[],"                                  \
    "\"model\":\"claude-sonnet-4-5\",\"stop_reason\":null,\"stop_sequence\":null,"                 \
    "\"usage\":{\"input_tokens\":25,\"cache_creation_input_tokens\":0,"                            \
    "\"cache_read_input_tokens\":0,\"output_tokens\":1}}}"
#define ANT_CB_START                                                                               \
    "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","          \
    "\"text\":\"\"}}"
#define ANT_PING "{\"type\": \"ping\"}"
#define ANT_D1                                                                                     \
    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","            \
    "\"text\":\"Hello\"}}"
#define ANT_D2                                                                                     \
    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","            \
    "\"text\":\"! How can I help?\"}}"
#define ANT_CB_STOP "{\"type\":\"content_block_stop\",\"index\":0}"
#define ANT_MDELTA                                                                                 \
    "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","                         \
    "\"stop_sequence\":null},\"usage\":{\"output_tokens\":15}}"
#define ANT_STOP "{\"type\":\"message_stop\"}"

static const char anthropic_in[] = "event: message_start\ndata: " ANT_START "\n\n"
                                   "event: content_block_start\ndata: " ANT_CB_START "\n\n"
                                   "event: ping\ndata: " ANT_PING "\n\n"
                                   "event: content_block_delta\ndata: " ANT_D1 "\n\n"
                                   "event: content_block_delta\ndata: " ANT_D2 "\n\n"
                                   "event: content_block_stop\ndata: " ANT_CB_STOP "\n\n"
                                   "event: message_delta\ndata: " ANT_MDELTA "\n\n"
                                   "event: message_stop\ndata: " ANT_STOP "\n\n";
static const struct exp_ev anthropic_ev[] = {
    {"message_start", ANT_START, ""},
    {"content_block_start", ANT_CB_START, ""},
    {"ping", ANT_PING, ""},
    {"content_block_delta", ANT_D1, ""},
    {"content_block_delta", ANT_D2, ""},
    {"content_block_stop", ANT_CB_STOP, ""},
    {"message_delta", ANT_MDELTA, ""},
    {"message_stop", ANT_STOP, ""},
};

/* Anthropic error event in the middle of a stream. */
static const char anthropic_err_in[] =
    "event: message_start\ndata: " ANT_START "\n\n"
    "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", "
    "\"message\": \"Overloaded\"}}\n\n";
static const struct exp_ev anthropic_err_ev[] = {
    {"message_start", ANT_START, NULL},
    {"error",
     "{\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": "
     "\"Overloaded\"}}",
     NULL},
};

static const char comments_in[] = ": keep-alive\n\n"
                                  "data: a\n\n"
                                  ": ping\n"
                                  "data: b\n"
                                  ":mid-event comment with: colons\n"
                                  "data: c\n\n"
                                  ":\n\n";
static const struct exp_ev comments_ev[] = {{"message", "a", NULL}, {"message", "b\nc", NULL}};

static const char multiline_in[] = "data: line1\ndata: line2\ndata:\ndata:  two spaces\n\n"
                                   "data:no-space\n\n"
                                   "data\n\n"
                                   "data:\n\n"
                                   "data: x\nretry: 1000\nfoo: bar\ndata: y\n\n";
static const struct exp_ev multiline_ev[] = {
    {"message", "line1\nline2\n\n two spaces", NULL},
    {"message", "no-space", NULL},
    {"message", "", NULL},
    {"message", "", NULL},
    {"message", "x\ny", NULL},
};

static const char bom_in[] = "\xEF\xBB\xBF"
                             "data: bom\n\n"
                             "data: \xEF\xBB\xBF"
                             "kept\n\n";
static const struct exp_ev bom_ev[] = {{"message", "bom", NULL},
                                       {"message", "\xEF\xBB\xBFkept", NULL}};

/* Only one BOM is skipped: a second one is part of the first field's name. */
static const char bom2_in[] = "\xEF\xBB\xBF\xEF\xBB\xBF"
                              "data: hidden\n\n"
                              "data: seen\n\n";
static const struct exp_ev bom2_ev[] = {{"message", "seen", NULL}};

/* A stream that starts with a BOM's first byte but no BOM. */
static const char notbom_in[] = "\xEF\xBB\n"
                                "data: ok\n\n";
static const struct exp_ev notbom_ev[] = {{"message", "ok", NULL}};

static const char nofinal_in[] = "event: message_stop\ndata: " ANT_STOP;
static const struct exp_ev nofinal_ev[] = {{"message_stop", ANT_STOP, NULL}};

static const char nofinal2_in[] = "data: a\n\ndata: b\ndata: c\n";
static const struct exp_ev nofinal2_ev[] = {{"message", "a", NULL}, {"message", "b\nc", NULL}};

/* Trailing event with no data at EOF: not dispatched. */
static const char nofinal3_in[] = "data: a\n\nevent: x\n";
static const struct exp_ev nofinal3_ev[] = {{"message", "a", NULL}};

/* max_event = 64: the second event is over the cap in one line, the fourth through several
 * small lines, the fifth by a long event type; the others get through. */
static const char oversize_in[] =
    "data: small\n\n"
    "event: big\n"
    "data: 0123456789012345678901234567890123456789012345678901234567890123456789\n"
    "data: more\n\n"
    "event: after\ndata: after\n\n"
    "data: 0123456789\ndata: 0123456789\ndata: 0123456789\ndata: 0123456789\n"
    "data: 0123456789\ndata: 0123456789\ndata: 0123456789\n\n"
    "event: 0123456789012345678901234567890123456789012345678901234567890123456789\n"
    "data: z\n\n"
    ": a comment longer than the cap is fine: 01234567890123456789012345678901234567890\n"
    "data: last\n\n";
static const struct exp_ev oversize_ev[] = {
    {"message", "small", NULL}, {"after", "after", NULL}, {"message", "last", NULL}};

/* Oversized event at the end of the stream without a blank line: dropped at finish. */
static const char oversize_eof_in[] =
    "data: ok\n\n"
    "data: 0123456789012345678901234567890123456789012345678901234567890123456789\n";
static const struct exp_ev oversize_eof_ev[] = {{"message", "ok", NULL}};

/* Multibyte UTF-8 (2, 3 and 4 bytes) that the splits cut through. */
static const char utf8_in[] = "data: {\"text\":\"h\xC3\xA9llo \xE4\xB8\x96\xE7\x95\x8C "
                              "\xF0\x9F\x8E\x89\"}\n\n";
static const struct exp_ev utf8_ev[] = {
    {"message", "{\"text\":\"h\xC3\xA9llo \xE4\xB8\x96\xE7\x95\x8C \xF0\x9F\x8E\x89\"}", NULL}};

/* ids persist, an empty id resets, an id containing NUL is ignored. */
static const char id_in[] = "id: 42\ndata: a\n\n"
                            "data: b\n\n"
                            "id: 7\0x\ndata: c\n\n"
                            "id\ndata: d\n\n";
static const struct exp_ev id_ev[] = {
    {"message", "a", "42"}, {"message", "b", "42"}, {"message", "c", "42"}, {"message", "d", ""}};

/* An event type without data is forgotten; "event:" alone means "message". */
static const char type_in[] = "event: lonely\n\n"
                              "data: x\n\n"
                              "event:  spaced\ndata: y\n\n"
                              "event:\ndata: z\n\n"
                              "event: first\nevent: second\ndata: w\n\n";
static const struct exp_ev type_ev[] = {
    {"message", "x", NULL}, {" spaced", "y", NULL}, {"message", "z", NULL}, {"second", "w", NULL}};

/* Mixed line ends: CRLF, CR, LF, and a blank line made of CRLF after LF. */
static const char mixed_in[] = "data: a\r\ndata: b\rdata: c\n\r\n"
                               "data: d\r\r"
                               "data: e\n\n";
static const struct exp_ev mixed_ev[] = {
    {"message", "a\nb\nc", NULL}, {"message", "d", NULL}, {"message", "e", NULL}};

/* Events the skip hook test ignores (data starting with 's', one line) among kept ones: a
 * typed one, a multi-line one, one followed by an id line, one without the space, and an id
 * that must outlive a skipped event. */
static const char skippable_in[] = "data: skip me\n\ndata: keep\n\nevent: t\ndata: s2\n\n"
                                   "data: s3\ndata: x\n\ndata: s4\nid: 9\n\ndata:sx\n\n"
                                   "id: 7\ndata: s5\n\ndata: k\n\n";
static const struct exp_ev skippable_ev[] = {
    {"message", "skip me", NULL}, {"message", "keep", NULL}, {"t", "s2", NULL},
    {"message", "s3\nx", NULL},   {"message", "s4", "9"},    {"message", "sx", NULL},
    {"message", "s5", "7"},       {"message", "k", "7"}};

static const char empty_in[] = "";
static const struct exp_ev empty_ev[] = {{NULL, NULL, NULL}};

static const struct fixture fixtures[] = {
    FX("openai", openai_in, 0, openai_ev, 0),
    FX("anthropic", anthropic_in, 0, anthropic_ev, 0),
    FX("anthropic_error", anthropic_err_in, 0, anthropic_err_ev, 0),
    FX("comments", comments_in, 0, comments_ev, 0),
    FX("multiline", multiline_in, 0, multiline_ev, 0),
    FX("bom", bom_in, 0, bom_ev, 0),
    FX("bom2", bom2_in, 0, bom2_ev, 0),
    FX("notbom", notbom_in, 0, notbom_ev, 0),
    FX("nofinal", nofinal_in, 0, nofinal_ev, 0),
    FX("nofinal2", nofinal2_in, 0, nofinal2_ev, 0),
    FX("nofinal3", nofinal3_in, 0, nofinal3_ev, 0),
    FX("oversize", oversize_in, 64, oversize_ev, 3),
    FX("oversize_eof", oversize_eof_in, 64, oversize_eof_ev, 1),
    FX("utf8", utf8_in, 0, utf8_ev, 0),
    FX("id", id_in, 0, id_ev, 0),
    FX("type", type_in, 0, type_ev, 0),
    FX("mixed", mixed_in, 0, mixed_ev, 0),
    FX("skippable", skippable_in, 0, skippable_ev, 0),
    {"empty", empty_in, 0, 0, empty_ev, 0, 0},
};

/* ---- harness -------------------------------------------------------------------------- */

struct got_ev {
    char *type, *data, *id;
    size_t type_len, data_len, id_len;
};

struct collector {
    struct got_ev ev[64];
    size_t n;
    size_t stop_after; /* return 7 from the callback after this many events (0 = never) */
    bool ignore_s;     /* ignore (do not collect) the events sse_ignored_s() names */
};

static char *dup_bytes(const char *p, size_t n)
{
    char *d = malloc(n + 1);
    assert_non_null(d);
    if (n)
        memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

static int on_event(void *ud, const struct lt_sse_event *ev)
{
    struct collector *c = ud;
    assert_true(c->n < sizeof(c->ev) / sizeof(c->ev[0]));
    if (c->ignore_s && sse_ignored_s(ev->data, ev->data_len))
        return 0;
    struct got_ev *g = &c->ev[c->n++];
    g->type = dup_bytes(ev->type, ev->type_len);
    g->type_len = ev->type_len;
    g->data = dup_bytes(ev->data, ev->data_len);
    g->data_len = ev->data_len;
    g->id = dup_bytes(ev->id, ev->id_len);
    g->id_len = ev->id_len;
    if (c->stop_after && c->n == c->stop_after)
        return 7;
    return 0;
}

static void collector_free(struct collector *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->ev[i].type);
        free(c->ev[i].data);
        free(c->ev[i].id);
    }
    c->n = 0;
}

static void feed_guarded(struct lt_sse_parser *p, const char *s, size_t n, struct collector *c)
{
    struct guarded g = guard_copy(s, n);
    assert_int_equal(lt_sse_feed(p, g.p, n, on_event, c), 0);
    guard_free(&g);
}

/* The parser's result against the fixture; with `c->ignore_s` only the events not ignored
 * were collected, and all of them still count as dispatched. */
static void check(const struct fixture *fx, const struct lt_sse_parser *p,
                  const struct collector *c, const char *how, size_t at)
{
    size_t want = 0;
    for (size_t i = 0; i < fx->nev; i++)
        want += !(c->ignore_s && sse_ignored_s(fx->ev[i].data, strlen(fx->ev[i].data)));
    if (c->n != want || p->dropped != fx->dropped || p->events != fx->nev)
        fail_msg("%s (%s @%zu): got %zu (%zu) events, %zu dropped; want %zu (%zu), %zu", fx->name,
                 how, at, c->n, p->events, p->dropped, want, fx->nev, fx->dropped);
    for (size_t i = 0, k = 0; i < fx->nev; i++) {
        const struct exp_ev *e = &fx->ev[i];
        if (c->ignore_s && sse_ignored_s(e->data, strlen(e->data)))
            continue;
        const struct got_ev *g = &c->ev[k++];
        if (g->type_len != strlen(e->type) || memcmp(g->type, e->type, g->type_len) != 0)
            fail_msg("%s (%s @%zu) event %zu: type '%s' want '%s'", fx->name, how, at, i, g->type,
                     e->type);
        if (g->data_len != strlen(e->data) || memcmp(g->data, e->data, g->data_len) != 0)
            fail_msg("%s (%s @%zu) event %zu: data '%s' want '%s'", fx->name, how, at, i, g->data,
                     e->data);
        if (e->id && (g->id_len != strlen(e->id) || memcmp(g->id, e->id, g->id_len) != 0))
            fail_msg("%s (%s @%zu) event %zu: id '%s' want '%s'", fx->name, how, at, i, g->id,
                     e->id);
    }
}

static bool with_skip_hook; /* run_pieces installs sse_skip_s and ignores its events */

static void run_pieces(const struct fixture *fx, const char *in, size_t len, size_t at,
                       const char *how)
{
    struct lt_sse_parser p;
    struct collector c = {0};
    lt_sse_init(&p, fx->max_event);
    if (with_skip_hook) {
        lt_sse_set_skip(&p, sse_skip_s);
        c.ignore_s = true;
    }
    if (at == (size_t)-1) {
        for (size_t i = 0; i < len; i++)
            feed_guarded(&p, in + i, 1, &c);
    } else {
        feed_guarded(&p, in, at, &c);
        feed_guarded(&p, in + at, len - at, &c);
    }
    assert_int_equal(lt_sse_finish(&p, on_event, &c), 0);
    check(fx, &p, &c, how, at);
    size_t collected = c.n;
    /* finish is idempotent */
    assert_int_equal(lt_sse_finish(&p, on_event, &c), 0);
    assert_int_equal(c.n, collected);
    if (fx->max_event)
        assert_true(p.line_cap <= 2 * fx->max_event && p.data_cap <= 2 * fx->max_event);
    lt_sse_cleanup(&p);
    collector_free(&c);
}

static void run_fixture_bytes(const struct fixture *fx, const char *in, size_t len, const char *how)
{
    run_pieces(fx, in, len, len, how); /* whole (second piece empty) */
    for (size_t at = 0; at <= len; at++)
        run_pieces(fx, in, len, at, how);
    run_pieces(fx, in, len, (size_t)-1, how);
}

/* Rewrite every LF of `in` as `eol` (CRLF or CR). */
static char *convert_eol(const char *in, size_t len, const char *eol, size_t *out_len)
{
    size_t el = strlen(eol);
    char *out = malloc(len * el + 1);
    assert_non_null(out);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (in[i] == '\n') {
            memcpy(out + o, eol, el);
            o += el;
        } else {
            out[o++] = in[i];
        }
    }
    *out_len = o;
    return out;
}

static void test_fixtures(void **state)
{
    for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
        run_fixture_bytes(&fixtures[i], fixtures[i].in, fixtures[i].in_len, "lf");
}

/* The same streams with CRLF and CR-only line ends. Fixtures with their own CRs are left
 * out (converting would change their meaning). */
static void test_fixtures_crlf_cr(void **state)
{
    for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
        const struct fixture *fx = &fixtures[i];
        if (memchr(fx->in, '\r', fx->in_len))
            continue;
        size_t n;
        char *crlf = convert_eol(fx->in, fx->in_len, "\r\n", &n);
        run_fixture_bytes(fx, crlf, n, "crlf");
        free(crlf);
        char *cr = convert_eol(fx->in, fx->in_len, "\r", &n);
        run_fixture_bytes(fx, cr, n, "cr");
        free(cr);
    }
}

/* With a skip hook, every fixture in every split and line-end style yields the same events
 * minus those the consumer ignores, all still counted; the skippable fixture's one-line
 * 's' events whole in a feed are skipped unframed, and only those. */
static void test_skip_hook(void **state)
{
    with_skip_hook = true;
    test_fixtures(state);
    test_fixtures_crlf_cr(state);
    with_skip_hook = false;

    struct lt_sse_parser p;
    struct collector c = {0};
    lt_sse_init(&p, 0);
    lt_sse_set_skip(&p, sse_skip_s);
    c.ignore_s = true;
    assert_int_equal(lt_sse_feed(&p, skippable_in, sizeof(skippable_in) - 1, on_event, &c), 0);
    assert_int_equal(p.events, 8);
    assert_int_equal(p.skipped, 4); /* "skip me", "s2", "sx", "s5"; not "s3\nx" nor "s4" */
    assert_int_equal(c.n, 3);
    lt_sse_cleanup(&p);
    collector_free(&c);
}

static void test_callback_stop(void **state)
{
    struct lt_sse_parser p;
    struct collector c = {0};
    c.stop_after = 2;
    lt_sse_init(&p, 0);
    assert_int_equal(lt_sse_feed(&p, openai_in, sizeof(openai_in) - 1, on_event, &c), 7);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.ev[1].data, OAI_2);
    /* The parser stays usable: feeding a new event works. */
    c.stop_after = 0;
    assert_int_equal(lt_sse_feed(&p, "data: z\n\n", 9, on_event, &c), 0);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.ev[2].data, "z");
    lt_sse_cleanup(&p);
    collector_free(&c);
}

static void test_null_callback_counts(void **state)
{
    struct lt_sse_parser p;
    lt_sse_init(&p, 0);
    assert_int_equal(lt_sse_feed(&p, anthropic_in, sizeof(anthropic_in) - 1, NULL, NULL), 0);
    assert_int_equal(lt_sse_finish(&p, NULL, NULL), 0);
    assert_int_equal(p.events, 8);
    lt_sse_cleanup(&p);
}

/* A CR ending one feed and an LF starting the next are one line end, not two. */
static void test_split_crlf(void **state)
{
    struct lt_sse_parser p;
    struct collector c = {0};
    lt_sse_init(&p, 0);
    feed_guarded(&p, "data: a\r", 8, &c);
    feed_guarded(&p, "\ndata: b\r", 9, &c);
    feed_guarded(&p, "\n\r", 2, &c);
    feed_guarded(&p, "\n", 1, &c);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ev[0].data, "a\nb");
    assert_int_equal(lt_sse_finish(&p, on_event, &c), 0);
    assert_int_equal(c.n, 1);
    lt_sse_cleanup(&p);
    collector_free(&c);
}

/* Memory stays bounded by the cap while a huge event streams through. */
static void test_big_event_bounded(void **state)
{
    struct lt_sse_parser p;
    struct collector c = {0};
    lt_sse_init(&p, 4096);
    char chunk[1000];
    memset(chunk, 'x', sizeof(chunk));
    feed_guarded(&p, "data: ", 6, &c);
    for (int i = 0; i < 1000; i++)
        feed_guarded(&p, chunk, sizeof(chunk), &c);
    feed_guarded(&p, "\n\ndata: next\n\n", 14, &c);
    assert_true(p.line_cap <= 8192);
    assert_int_equal(p.dropped, 1);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ev[0].data, "next");
    lt_sse_cleanup(&p);
    collector_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_fixtures_crlf_cr),
        cmocka_unit_test(test_skip_hook),
        cmocka_unit_test(test_callback_stop),
        cmocka_unit_test(test_null_callback_counts),
        cmocka_unit_test(test_split_crlf),
        cmocka_unit_test(test_big_event_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
