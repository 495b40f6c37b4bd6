/* genai_testutil.h — shared helpers for the genai adapter tests: load fixtures, build an
 * exchange by hand, build its span, and assert attributes exactly (content JSON compared
 * structurally with cJSON_Compare). Include after cmocka. */
#ifndef LT_TEST_GENAI_UTIL_H
#define LT_TEST_GENAI_UTIL_H

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "genai/genai.h"
#include "span_equal.h"

#define FIXTURES "tests/fixtures/"

/** Read a fixture (path relative to tests/fixtures/) into a NUL-terminated heap buffer. */
static char *fixture(const char *rel, size_t *n)
{
    char path[512];
    snprintf(path, sizeof(path), FIXTURES "%s", rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("missing fixture %s (run from the repository root)", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    buf[len] = '\0';
    fclose(f);
    if (n)
        *n = (size_t)len;
    return buf;
}

/** Describe one exchange for mk_exchange(). NULL files mean empty bodies. */
struct xspec {
    enum lt_api api;
    const char *provider, *host;
    int port;
    const char *req_file, *resp_file;
    int status;
    const char *content_type;
    enum lt_exchange_end end;
    size_t max_body;    /* 0 = no cap */
    const char *target; /* request-target; NULL = the API's usual path (default_target) */
};

/** A typical request-target for `api`, used when an xspec names none. */
static const char *default_target(enum lt_api api)
{
    switch (api) {
    case LT_API_ANTHROPIC_MESSAGES:
        return "/v1/messages";
    case LT_API_OPENAI_RESPONSES:
        return "/v1/responses";
    case LT_API_OPENAI_EMBEDDINGS:
        return "/v1/embeddings";
    case LT_API_OPENAI_COMPLETIONS:
        return "/v1/completions";
    case LT_API_GEMINI:
        return "/v1beta/models/gemini-2.0-flash:generateContent";
    case LT_API_BEDROCK_CONVERSE:
        return "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse";
    case LT_API_BEDROCK_INVOKE:
        return "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke";
    case LT_API_COHERE_CHAT:
        return "/v2/chat";
    case LT_API_OLLAMA_CHAT:
        return "/api/chat";
    case LT_API_OLLAMA_GENERATE:
        return "/api/generate";
    default:
        return "/v1/chat/completions";
    }
}

static void append_file(struct lt_buf *b, const char *rel)
{
    if (!rel)
        return;
    size_t n;
    char *d = fixture(rel, &n);
    lt_buf_append(b, d, n);
    free(d);
}

static struct lt_exchange *mk_exchange(const struct xspec *s)
{
    struct lt_exchange *x = lt_exchange_new(s->max_body);
    assert_non_null(x);
    x->api = s->api;
    snprintf(x->provider, sizeof(x->provider), "%s", s->provider);
    snprintf(x->server_address, sizeof(x->server_address), "%s", s->host);
    x->server_port = s->port;
    snprintf(x->method, sizeof(x->method), "POST");
    x->target = strdup(s->target ? s->target : default_target(s->api));
    append_file(&x->req_body, s->req_file);
    append_file(&x->resp_body, s->resp_file);
    x->status = s->status;
    snprintf(x->resp_content_type, sizeof(x->resp_content_type), "%s",
             s->content_type ? s->content_type : "");
    x->end = s->end;
    x->t_start_ns = 1700000000000000000ull;
    x->t_first_body_ns = x->t_start_ns + 250000000ull; /* 0.25 s */
    x->t_end_ns = x->t_start_ns + 900000000ull;
    return x;
}

static const char *const CONTENT_ATTRS[] = {"gen_ai.input.messages", "gen_ai.output.messages",
                                            "gen_ai.system_instructions",
                                            "gen_ai.tool.definitions"};

/* No credential-looking string may reach a span: key prefixes, auth header names, Bearer. */
static void assert_no_credentials(const struct lt_span *s)
{
    static const char *const bad[] = {"sk-proj", "sk-ant",    "Xy9Z",
                                      "Bearer",  "x-api-key", "Authorization"};
    for (size_t i = 0; i < s->n_attrs; i++) {
        const struct lt_attr *a = &s->attrs[i];
        for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
            if (a->type == LT_ATTR_STRING && a->u.s && strstr(a->u.s, bad[k]))
                fail_msg("credential-like '%s' in %s", bad[k], a->key);
        }
    }
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
        if (s->status_message && strstr(s->status_message, bad[k]))
            fail_msg("credential-like '%s' in status", bad[k]);
}

/** Build the span of `x`; checks the invariants every span must satisfy. */
static struct lt_span *build(const struct lt_exchange *x, bool capture)
{
    struct lt_span *s = lt_span_new("", LT_SPAN_KIND_INTERNAL);
    assert_non_null(s);
    struct lt_genai_options opt = {.capture_content = capture};
    assert_int_equal(lt_genai_build_span(s, x, &opt), 0);
    assert_int_equal(s->kind, LT_SPAN_KIND_CLIENT);
    assert_no_credentials(s);
    if (!capture)
        for (size_t i = 0; i < 4; i++)
            assert_null(lt_span_get(s, CONTENT_ATTRS[i]));
    return s;
}

static struct lt_span *build_spec(const struct xspec *xs, bool capture)
{
    struct lt_exchange *x = mk_exchange(xs);
    struct lt_span *s = build(x, capture);
    lt_exchange_free(x);
    return s;
}

static void assert_str_attr(const struct lt_span *s, const char *key, const char *want)
{
    const struct lt_attr *a = lt_span_get(s, key);
    if (!a)
        fail_msg("attribute %s missing", key);
    assert_int_equal(a->type, LT_ATTR_STRING);
    if (strcmp(a->u.s, want) != 0)
        fail_msg("%s = '%s', want '%s'", key, a->u.s, want);
}

static void assert_int_attr(const struct lt_span *s, const char *key, int64_t want)
{
    const struct lt_attr *a = lt_span_get(s, key);
    if (!a)
        fail_msg("attribute %s missing", key);
    assert_int_equal(a->type, LT_ATTR_INT);
    if (a->u.i != want)
        fail_msg("%s = %lld, want %lld", key, (long long)a->u.i, (long long)want);
}

static void assert_double_attr(const struct lt_span *s, const char *key, double want)
{
    const struct lt_attr *a = lt_span_get(s, key);
    if (!a)
        fail_msg("attribute %s missing", key);
    assert_int_equal(a->type, LT_ATTR_DOUBLE);
    if (fabs(a->u.d - want) > 1e-9)
        fail_msg("%s = %g, want %g", key, a->u.d, want);
}

static void assert_bool_attr(const struct lt_span *s, const char *key, bool want)
{
    const struct lt_attr *a = lt_span_get(s, key);
    if (!a)
        fail_msg("attribute %s missing", key);
    assert_int_equal(a->type, LT_ATTR_BOOL);
    assert_int_equal(a->u.b, want);
}

static void assert_absent(const struct lt_span *s, const char *key)
{
    if (lt_span_get(s, key))
        fail_msg("attribute %s should be absent", key);
}

/** Assert a string-array attribute equals the NULL-terminated list `want`. */
static void assert_strs_attr(const struct lt_span *s, const char *key, const char *const *want)
{
    const struct lt_attr *a = lt_span_get(s, key);
    if (!a)
        fail_msg("attribute %s missing", key);
    assert_int_equal(a->type, LT_ATTR_STRING_ARRAY);
    size_t n = 0;
    while (want[n])
        n++;
    assert_int_equal(a->u.arr.n, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(a->u.arr.v[i], want[i]);
}

/** Assert a JSON string attribute is structurally equal to `want` (JSON text). */
static void assert_json_attr(const struct lt_span *s, const char *key, const char *want)
{
    const struct lt_attr *a = lt_span_get(s, key);
    if (!a)
        fail_msg("attribute %s missing", key);
    assert_int_equal(a->type, LT_ATTR_STRING);
    cJSON *got = cJSON_Parse(a->u.s);
    cJSON *exp = cJSON_Parse(want);
    assert_non_null(exp);
    if (!got || !cJSON_Compare(got, exp, true))
        fail_msg("%s =\n%s\nwant\n%s", key, a->u.s, want);
    cJSON_Delete(got);
    cJSON_Delete(exp);
}

/** Number of attributes; used to pin a span's attribute set exactly. */
static void assert_n_attrs(const struct lt_span *s, size_t want)
{
    if (s->n_attrs != want) {
        for (size_t i = 0; i < s->n_attrs; i++)
            print_message("  attr %s\n", s->attrs[i].key);
        fail_msg("%zu attributes, want %zu", s->n_attrs, want);
    }
}

/** Two spans carry the same name, status and attributes (in the same order). */
static void assert_spans_equal(const struct lt_span *a, const struct lt_span *b)
{
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->status, b->status);
    if (a->status_message || b->status_message)
        assert_string_equal(a->status_message, b->status_message);
    assert_int_equal(a->n_attrs, b->n_attrs);
    for (size_t i = 0; i < a->n_attrs; i++)
        if (!span_attr_equal(&a->attrs[i], &b->attrs[i]))
            fail_msg("attribute %s differs", a->attrs[i].key);
}

/** Build the span twice: body appended at once, and in two halves; they must agree. */
static void assert_split_invariant(const struct xspec *xs, bool capture)
{
    struct lt_span *whole = build_spec(xs, capture);
    struct xspec half = *xs;
    half.resp_file = NULL;
    struct lt_exchange *x = mk_exchange(&half);
    size_t n;
    char *body = fixture(xs->resp_file, &n);
    for (size_t cut = 1; cut < n; cut += n / 7 + 1) {
        lt_buf_reset(&x->resp_body);
        lt_buf_append(&x->resp_body, body, cut);
        lt_buf_append(&x->resp_body, body + cut, n - cut);
        struct lt_span *two = build(x, capture);
        assert_spans_equal(whole, two);
        lt_span_free(two);
    }
    free(body);
    lt_exchange_free(x);
    lt_span_free(whole);
}

/** gzip `n` bytes (zlib, gzip wrapper); caller frees *out. */
__attribute__((unused)) static void gzip_bytes(const char *in, size_t n, char **out,
                                               size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, (uLong)n);
    *out = malloc(cap);
    assert_non_null(*out);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)*out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *out_len = cap - z.avail_out;
    deflateEnd(&z);
}

#endif
