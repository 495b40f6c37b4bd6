/* genai.c — turns a finished exchange into a GenAI inference span (SPEC.md "Inference span"):
 * decodes the bodies, parses JSON or SSE, drives the API adapter (adapter.h) and sets what
 * every API shares — name, kind, operation, provider, server, HTTP status, time to first
 * chunk, error status, truncation. Also the JSON and content helpers adapters use. Runs on
 * the exporter thread. */
#include "genai.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../http/decode.h"
#include "../http/eventstream.h"
#include "../http/jsonseq.h"
#include "../http/sse.h"
#include "adapter.h"
#include "json_walk.h"
#include "price.h"
#include "redact.h"
#include "shape.h"

#define DEFAULT_MAX_DECODED ((size_t)64 << 20)
#define SSE_MAX_EVENT ((size_t)8 << 20) /* one event; larger ones are dropped and counted */
#define ERROR_MSG_MAX 1024              /* cap on a provider's error message in a description */

/* ---- attribute helpers ---- */

void lt_genai_oom(struct lt_genai_ctx *c)
{
    c->rc = -ENOMEM;
}

/* Setter results: -ENOSPC (count limit) is the span's business, only ENOMEM matters. */
static void note(struct lt_genai_ctx *c, int rc)
{
    if (rc == -ENOMEM)
        c->rc = -ENOMEM;
}

void lt_genai_str(struct lt_genai_ctx *c, const char *key, const char *v)
{
    if (v)
        note(c, lt_span_set_str(c->span, key, v));
}

void lt_genai_strn(struct lt_genai_ctx *c, const char *key, const char *v, size_t n)
{
    if (v)
        note(c, lt_span_set_strn(c->span, key, v, n));
}

void lt_genai_int(struct lt_genai_ctx *c, const char *key, int64_t v)
{
    note(c, lt_span_set_int(c->span, key, v));
}

void lt_genai_double(struct lt_genai_ctx *c, const char *key, double v)
{
    note(c, lt_span_set_double(c->span, key, v));
}

void lt_genai_bool(struct lt_genai_ctx *c, const char *key, bool v)
{
    note(c, lt_span_set_bool(c->span, key, v));
}

void lt_genai_str_array(struct lt_genai_ctx *c, const char *key, const char *const *v, size_t n)
{
    note(c, lt_span_set_str_array(c->span, key, v, n));
}

void lt_genai_json_attr(struct lt_genai_ctx *c, const char *key, cJSON *tree)
{
    if (!tree)
        return;
    /* Content capture and LLMTAP_REDACT: redact before serialising, and fail closed — a
     * tree that could not be redacted completely is not exported. */
    int rrc = lt_redact_json(c->redact, tree);
    if (rrc != 0) {
        cJSON_Delete(tree);
        if (rrc == -ENOMEM)
            lt_genai_oom(c);
        return;
    }
    char *s = cJSON_PrintUnformatted(tree);
    cJSON_Delete(tree);
    if (!s) {
        lt_genai_oom(c);
        return;
    }
    lt_genai_str(c, key, s);
    free(s);
}

static bool tok_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '_' || ch == '*' || ch == '.';
}

/* Key prefixes of the providers llmtap knows; a token starting with one is a credential. */
static const char *const key_prefixes[] = {"sk-", "sk_", "gsk_", "xai-", "pplx-", "fw_", "AIza"};

/* Phrases that introduce a credential-ish token in provider error messages. */
static const char *const key_leads[] = {"key provided: ", "Bearer ", "bearer "};

/* A token shorter than 3 characters is not a key, so redaction never lengthens the string
 * and can run in place (the write position never passes the read position). */
void lt_genai_scrub(char *s)
{
    char *w = s;
    const char *r = s;
    while (*r) {
        size_t keep = 0; /* bytes of the prefix or lead kept verbatim */
        if (r == s || !tok_char(r[-1])) {
            for (size_t i = 0; i < sizeof(key_prefixes) / sizeof(*key_prefixes); i++) {
                size_t pn = strlen(key_prefixes[i]);
                if (strncmp(r, key_prefixes[i], pn) == 0) {
                    keep = pn;
                    break;
                }
            }
        }
        for (size_t i = 0; !keep && i < sizeof(key_leads) / sizeof(*key_leads); i++) {
            size_t ln = strlen(key_leads[i]);
            if (strncmp(r, key_leads[i], ln) == 0)
                keep = ln;
        }
        if (keep) {
            const char *e = r + keep;
            while (tok_char(*e))
                e++;
            while (e > r + keep && e[-1] == '.') /* a sentence's full stop is not the key's */
                e--;
            if ((size_t)(e - r) >= keep + 3) {
                memmove(w, r, keep);
                w += keep;
                memcpy(w, "***", 3);
                w += 3;
                r = e;
                continue;
            }
        }
        *w++ = *r++;
    }
    *w = '\0';
}

void lt_genai_fail(struct lt_genai_ctx *c, const char *type, const char *msg)
{
    c->error = true;
    lt_genai_str(c, "error.type", type && *type ? type : "_OTHER");
    if (!msg) {
        lt_span_set_status(c->span, LT_STATUS_ERROR, NULL);
        return;
    }
    size_t n = strlen(msg);
    if (n > ERROR_MSG_MAX) {
        n = ERROR_MSG_MAX;
        while (n > 0 && ((unsigned char)msg[n] & 0xC0) == 0x80)
            n--; /* cut on a UTF-8 boundary */
    }
    char *d = malloc(n + 1);
    if (!d) {
        lt_genai_oom(c);
        lt_span_set_status(c->span, LT_STATUS_ERROR, NULL);
        return;
    }
    memcpy(d, msg, n);
    d[n] = '\0';
    lt_genai_scrub(d);
    lt_span_set_status(c->span, LT_STATUS_ERROR, d);
    if (!c->span->status_message)
        lt_genai_oom(c);
    free(d);
}

/* ---- JSON readers ---- */

const char *lt_json_str(const cJSON *o, const char *key)
{
    return lt_json_as_str(cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL);
}

bool lt_json_num(const cJSON *o, const char *key, double *out)
{
    const cJSON *v = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
    if (!v || !cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return false;
    *out = v->valuedouble;
    return true;
}

bool lt_json_int(const cJSON *o, const char *key, int64_t *out)
{
    double d;
    /* Range first, so the cast is defined; then integral (no libm needed). */
    if (!lt_json_num(o, key, &d) || d >= 9007199254740992.0 || d <= -9007199254740992.0 ||
        (double)(int64_t)d != d)
        return false;
    *out = (int64_t)d;
    return true;
}

const cJSON *lt_json_obj(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
    return cJSON_IsObject(v) ? v : NULL;
}

const cJSON *lt_json_arr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
    return cJSON_IsArray(v) ? v : NULL;
}

const char *lt_json_error_type(const cJSON *err, char *buf, size_t n)
{
    const char *t = lt_json_str(err, "type");
    if (t && *t)
        return t;
    t = lt_json_str(err, "code");
    if (t && *t)
        return t;
    int64_t code;
    if (lt_json_int(err, "code", &code)) {
        snprintf(buf, n, "%lld", (long long)code);
        return buf;
    }
    return NULL;
}

/* ---- raw JSON key scan ---- */

/* cJSON's whitespace: every byte <= 0x20 (buffer_skip_whitespace). */
static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (unsigned char)*p <= 32)
        p++;
    return p;
}

/* The closing quote of the string content at `s`, or NULL: the first quote not taken by a
 * backslash, a backslash taking the byte after it (JSON escapes are all `\x`), so a quote
 * is escaped exactly when an odd run of backslashes precedes it. *plain tells whether no
 * backslash or control byte came before it. Plain bytes are skipped a word at a time. */
static const char *string_scan(const char *s, const char *end, bool *plain)
{
    *plain = true;
    for (const char *p = s; p < end; p++) {
        p = lt_json_skip_plain(p, end);
        if (p == end)
            break;
        unsigned char ch = (unsigned char)*p;
        if (ch == '"')
            return p;
        if (ch == '\\') {
            *plain = false;
            if (++p == end)
                break;
        } else if (ch < 0x20) {
            *plain = false;
        }
    }
    return NULL;
}

const char *lt_json_string_end(const char *s, const char *end)
{
    bool plain;
    return string_scan(s, end, &plain);
}

bool lt_json_scan_keys(const char *p, size_t n, lt_json_key_fn fn, void *ud)
{
    const char *end = p + n;
    const char *q = p;
    while (q < end) {
        const char *open = memchr(q, '"', (size_t)(end - q));
        if (!open)
            return true;
        bool plain;
        const char *close = string_scan(open + 1, end, &plain);
        if (!close) /* unterminated: cJSON rejects it; the keys before it were seen */
            return true;
        const char *t = skip_ws(close + 1, end);
        if (t < end && *t == ':') {
            size_t klen = (size_t)(close - open - 1);
            if (!plain)
                return false;
            const char *v = skip_ws(t + 1, end);
            if (!fn(ud, open + 1, klen, v, (size_t)(end - v)))
                return false;
            q = v;
        } else {
            q = t;
        }
    }
    return true;
}

bool lt_json_scan_null(const char *v, size_t n)
{
    return n >= 4 && memcmp(v, "null", 4) == 0;
}

bool lt_json_scan_plain_str(const char *v, size_t n, const char **s, size_t *len)
{
    if (!n || v[0] != '"')
        return false;
    bool plain;
    const char *e = string_scan(v + 1, v + n, &plain);
    if (!e || !plain)
        return false;
    *s = v + 1;
    *len = (size_t)(e - v - 1);
    return true;
}

bool lt_json_scan_uint(const char *v, size_t n, int *out)
{
    size_t i = 0;
    int x = 0;
    while (i < n && i < 9 && v[i] >= '0' && v[i] <= '9')
        x = x * 10 + (v[i++] - '0');
    if (i == 0 ||
        (i < n && (v[i] == '.' || v[i] == 'e' || v[i] == 'E' || (v[i] >= '0' && v[i] <= '9'))))
        return false;
    *out = x;
    return true;
}

/* ---- content parts ---- */

cJSON *lt_genai_array(struct lt_genai_ctx *c)
{
    cJSON *a = cJSON_CreateArray();
    if (!a)
        lt_genai_oom(c);
    return a;
}

/* Append a new object {"type":type} to `arr`; NULL on ENOMEM. */
static cJSON *add_obj(struct lt_genai_ctx *c, cJSON *arr, const char *type)
{
    if (!arr)
        return NULL;
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(arr, o)) {
        cJSON_Delete(o);
        lt_genai_oom(c);
        return NULL;
    }
    if (type && !cJSON_AddStringToObject(o, "type", type)) {
        lt_genai_oom(c);
        return NULL;
    }
    return o;
}

static void add_str(struct lt_genai_ctx *c, cJSON *o, const char *key, const char *v)
{
    if (o && v && !cJSON_AddStringToObject(o, key, v))
        lt_genai_oom(c);
}

static void add_strn(struct lt_genai_ctx *c, cJSON *o, const char *key, const char *v, size_t n)
{
    if (!o || !v)
        return;
    char *d = malloc(n + 1);
    if (!d) {
        lt_genai_oom(c);
        return;
    }
    memcpy(d, v, n);
    d[n] = '\0';
    add_str(c, o, key, d);
    free(d);
}

static void add_dup(struct lt_genai_ctx *c, cJSON *o, const char *key, const cJSON *v)
{
    if (!o || !v)
        return;
    cJSON *d = cJSON_Duplicate(v, true);
    if (!d || !cJSON_AddItemToObject(o, key, d)) {
        cJSON_Delete(d);
        lt_genai_oom(c);
    }
}

void lt_genai_part_text(struct lt_genai_ctx *c, cJSON *parts, const char *type, const char *text,
                        size_t len)
{
    cJSON *p = add_obj(c, parts, type);
    add_strn(c, p, "content", text ? text : "", text ? len : 0);
}

void lt_genai_part_tool_call_json(struct lt_genai_ctx *c, cJSON *parts, const char *id,
                                  const char *name, const cJSON *args)
{
    cJSON *p = add_obj(c, parts, "tool_call");
    add_str(c, p, "id", id);
    add_str(c, p, "name", name);
    add_dup(c, p, "arguments", args);
}

void lt_genai_part_tool_call(struct lt_genai_ctx *c, cJSON *parts, const char *id, const char *name,
                             const char *args, size_t args_len)
{
    cJSON *p = add_obj(c, parts, "tool_call");
    add_str(c, p, "id", id);
    add_str(c, p, "name", name);
    if (!p || !args)
        return;
    cJSON *j = cJSON_ParseWithLength(args, args_len);
    if (cJSON_IsObject(j)) {
        if (!cJSON_AddItemToObject(p, "arguments", j)) {
            cJSON_Delete(j);
            lt_genai_oom(c);
        }
        return;
    }
    cJSON_Delete(j);
    add_strn(c, p, "arguments", args, args_len);
}

void lt_genai_part_tool_response(struct lt_genai_ctx *c, cJSON *parts, const char *id,
                                 const cJSON *content)
{
    cJSON *p = add_obj(c, parts, "tool_call_response");
    add_str(c, p, "id", id);
    if (!p || !content)
        return;
    if (cJSON_IsString(content)) {
        add_str(c, p, "response", content->valuestring);
        return;
    }
    if (cJSON_IsArray(content)) {
        /* An array of text blocks is one text; anything richer is kept as it is. */
        size_t total = 0;
        bool all_text = true;
        const cJSON *b;
        cJSON_ArrayForEach(b, content)
        {
            const char *t = lt_json_str(b, "type");
            const char *txt = lt_json_str(b, "text");
            if (!t || strcmp(t, "text") != 0 || !txt) {
                all_text = false;
                break;
            }
            total += strlen(txt);
        }
        if (all_text) {
            char *d = malloc(total + 1);
            if (!d) {
                lt_genai_oom(c);
                return;
            }
            size_t off = 0;
            cJSON_ArrayForEach(b, content)
            {
                const char *txt = lt_json_str(b, "text");
                size_t n = strlen(txt);
                memcpy(d + off, txt, n);
                off += n;
            }
            d[off] = '\0';
            add_str(c, p, "response", d);
            free(d);
            return;
        }
    }
    add_dup(c, p, "response", content);
}

void lt_genai_part_blob(struct lt_genai_ctx *c, cJSON *parts, const char *modality,
                        const char *mime_type, const char *content)
{
    cJSON *p = add_obj(c, parts, "blob");
    add_str(c, p, "modality", modality);
    add_str(c, p, "mime_type", mime_type);
    add_str(c, p, "content", content);
}

void lt_genai_part_uri(struct lt_genai_ctx *c, cJSON *parts, const char *modality, const char *uri)
{
    cJSON *p = add_obj(c, parts, "uri");
    add_str(c, p, "modality", modality);
    add_str(c, p, "uri", uri);
}

void lt_genai_part_image_url(struct lt_genai_ctx *c, cJSON *parts, const char *url)
{
    if (!url)
        return;
    if (strncasecmp(url, "data:", 5) == 0) {
        const char *b64 = strstr(url, ";base64,");
        if (b64) {
            cJSON *p = add_obj(c, parts, "blob");
            add_str(c, p, "modality", "image");
            add_strn(c, p, "mime_type", url + 5, (size_t)(b64 - url - 5));
            add_str(c, p, "content", b64 + 8);
            return;
        }
    }
    lt_genai_part_uri(c, parts, "image", url);
}

cJSON *lt_genai_message(struct lt_genai_ctx *c, cJSON *msgs, const char *role,
                        const char *finish_reason)
{
    cJSON *m = add_obj(c, msgs, NULL);
    add_str(c, m, "role", role);
    cJSON *parts = m ? cJSON_AddArrayToObject(m, "parts") : NULL;
    if (m && !parts)
        lt_genai_oom(c);
    add_str(c, m, "finish_reason", finish_reason);
    return parts;
}

void lt_genai_tool_def(struct lt_genai_ctx *c, cJSON *defs, const char *name, const char *desc,
                       const cJSON *params)
{
    cJSON *d = add_obj(c, defs, "function");
    add_str(c, d, "name", name);
    add_str(c, d, "description", desc);
    add_dup(c, d, "parameters", params);
}

void lt_genai_acc(struct lt_genai_ctx *c, struct lt_buf *b, const char *p, size_t n)
{
    if (!b->data && !b->max)
        b->max = c->max_text;
    if (lt_buf_append(b, p, n) == -ENOMEM)
        lt_genai_oom(c);
    if (b->truncated)
        c->truncated = true;
}

void lt_genai_stop_sequences(struct lt_genai_ctx *c, const cJSON *stop)
{
    const char *v[LT_GENAI_MAX_STOPS];
    size_t n = 0;
    if (cJSON_IsString(stop)) {
        v[n++] = stop->valuestring;
    } else if (cJSON_IsArray(stop)) {
        const cJSON *s;
        cJSON_ArrayForEach(s, stop)
        {
            if (cJSON_IsString(s) && n < LT_GENAI_MAX_STOPS)
                v[n++] = s->valuestring;
        }
    }
    if (n)
        lt_genai_str_array(c, "gen_ai.request.stop_sequences", v, n);
}

void *lt_genai_slot(struct lt_genai_ctx *c, void *arrp, size_t *n, size_t elem_size,
                    size_t index_off, int64_t index, size_t max)
{
    if (index < 0 || index > INT_MAX)
        return NULL;
    char *a;
    memcpy(&a, arrp, sizeof(a));
    size_t i = 0;
    for (; i < *n; i++) {
        int at;
        memcpy(&at, a + i * elem_size + index_off, sizeof(at));
        if (at == index)
            return a + i * elem_size;
        if (at > index)
            break;
    }
    if (*n >= max)
        return NULL;
    char *na = realloc(a, (*n + 1) * elem_size);
    if (!na) {
        lt_genai_oom(c);
        return NULL;
    }
    memcpy(arrp, &na, sizeof(na));
    char *e = na + i * elem_size;
    memmove(e + elem_size, e, (*n - i) * elem_size);
    memset(e, 0, elem_size);
    int v = (int)index;
    memcpy(e + index_off, &v, sizeof(v));
    (*n)++;
    return e;
}

/* ---- span building ---- */

static const struct lt_genai_adapter *adapter_for(enum lt_api api)
{
    switch (api) {
    case LT_API_OPENAI_CHAT:
        return &lt_genai_openai_chat;
    case LT_API_ANTHROPIC_MESSAGES:
        return &lt_genai_anthropic_messages;
    case LT_API_OPENAI_RESPONSES:
        return &lt_genai_openai_responses;
    case LT_API_OPENAI_EMBEDDINGS:
        return &lt_genai_openai_embeddings;
    case LT_API_OPENAI_COMPLETIONS:
        return &lt_genai_openai_completions;
    case LT_API_GEMINI:
        return &lt_genai_gemini;
    case LT_API_BEDROCK_CONVERSE:
        return &lt_genai_bedrock_converse;
    case LT_API_BEDROCK_INVOKE:
        return &lt_genai_bedrock_invoke;
    case LT_API_COHERE_CHAT:
        return &lt_genai_cohere_chat;
    case LT_API_OLLAMA_CHAT:
        return &lt_genai_ollama_chat;
    case LT_API_OLLAMA_GENERATE:
        return &lt_genai_ollama_generate;
    case LT_API_NONE:
    default:
        return NULL;
    }
}

/* A body ready for parsing: a view of the exchange's buffer (identity) or a decoded copy. */
struct body {
    const char *p;
    size_t n;
    char *owned;
};

static void decode_body(struct lt_genai_ctx *c, const struct lt_buf *b, enum lt_encoding enc,
                        size_t max, struct body *out)
{
    memset(out, 0, sizeof(*out));
    if (b->truncated)
        c->truncated = true;
    if (!b->data || !b->len)
        return;
    if (enc == LT_ENC_IDENTITY) {
        out->p = b->data;
        out->n = b->len;
        if (out->n > max) {
            out->n = max;
            c->truncated = true;
        }
        return;
    }
    char *o = NULL;
    size_t on = 0;
    bool cut = false;
    int rc = lt_decode_all(enc, b->data, b->len, max, &o, &on, &cut);
    if (rc == -ENOMEM)
        lt_genai_oom(c);
    if (cut)
        c->truncated = true;
    /* On -EINVAL (corrupt or cut-short data) what decoded is still worth parsing. */
    out->owned = o;
    out->p = o;
    out->n = o ? on : 0;
}

/* A body that starts like an event stream ("data:", "event:", "id:" or a ":" comment). */
static bool looks_like_sse(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    p += i;
    n -= i;
    return (n >= 5 && memcmp(p, "data:", 5) == 0) || (n >= 6 && memcmp(p, "event:", 6) == 0) ||
           (n >= 3 && memcmp(p, "id:", 3) == 0) || (n >= 1 && p[0] == ':');
}

static cJSON *parse_json(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    if (i == n || (p[i] != '{' && p[i] != '['))
        return NULL;
    /* cJSON bounds nesting at CJSON_NESTING_LIMIT (1000), so recursion over the tree — ours,
     * cJSON_Print's and cJSON_Delete's — stays bounded. */
    return cJSON_ParseWithLength(p + i, n - i);
}

/* How a streamed response body is framed into events (adapter.h, stream_event). */
enum framing { FRAMING_NONE = 0, FRAMING_SSE, FRAMING_JSONSEQ, FRAMING_EVENTSTREAM };

/* Media type `type` with optional parameters (RFC 9110 §8.3.1, case-insensitive). */
static bool media_is(const char *ct, const char *type)
{
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = strlen(type);
    if (strncasecmp(ct, type, n) != 0)
        return false;
    char e = ct[n];
    return e == '\0' || e == ';' || e == ' ' || e == '\t';
}

static bool starts_with_array(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    return i < n && p[i] == '[';
}

/* Choose the framing of a response body: by Content-Type first, then by shape when the
 * request asked for a stream (servers that label streams application/json). */
static enum framing choose_framing(const struct lt_genai_ctx *c, const char *p, size_t n)
{
    const char *ct = c->x->resp_content_type;
    if (!n)
        return FRAMING_NONE;
    if (media_is(ct, "text/event-stream"))
        return FRAMING_SSE;
    if (media_is(ct, "application/vnd.amazon.eventstream"))
        return FRAMING_EVENTSTREAM;
    if (media_is(ct, "application/x-ndjson") || media_is(ct, "application/jsonl") ||
        media_is(ct, "application/json-seq") || media_is(ct, "application/x-jsonlines") ||
        media_is(ct, "application/stream+json"))
        return FRAMING_JSONSEQ;
    if (!c->req_stream)
        return FRAMING_NONE;
    if (looks_like_sse(p, n))
        return FRAMING_SSE;
    if (starts_with_array(p, n)) /* Gemini streamGenerateContent without alt=sse */
        return FRAMING_JSONSEQ;
    return FRAMING_NONE;
}

struct sse_ud {
    const struct lt_genai_adapter *a;
    void *st;
    struct lt_genai_ctx *c;
    bool skip;                    /* events may be skipped (needed()), set once per stream */
    bool text;                    /* needed events go to the adapter's stream_text first */
    const char *const *free_keys; /* the shape cache's keys when it is used, else NULL */
    struct lt_event_shape shape;  /* the last skipped event (shape.h) */
};

bool lt_genai_skip_disabled;

/* The adapters' content-off fast paths (event_needed, stream_text, request_text) may run. */
static bool fast_paths(const struct lt_genai_ctx *c)
{
    return !c->capture && !lt_genai_skip_disabled;
}
bool lt_genai_shape_disabled;

/* Whether an event must be parsed and handed to stream_event: always with content capture
 * on, else as the adapter's event_needed says (adapter.h). */
static bool needed(struct sse_ud *u, const char *type, size_t type_len, const char *data, size_t n)
{
    if (!u->skip)
        return true;
    const char *const *free_keys = u->free_keys;
    if (free_keys && lt_shape_match(&u->shape, type, type_len, data, n))
        return false;
    if (u->a->event_needed(u->st, u->c, type, type_len, data, n)) {
        lt_shape_forget(&u->shape);
        return true;
    }
    if (free_keys)
        lt_shape_record(&u->shape, free_keys, type, type_len, data, n);
    return false;
}

/* The SSE skip hook (sse.h): an event whose data, still unframed, has the recorded shape is
 * one needed() would refuse; it is not framed at all. Installed only where needed() consults
 * the shape cache (sse_ud.free_keys set). */
static size_t skip_event(void *ud, const char *type, size_t type_len, const char *data,
                         size_t avail)
{
    struct sse_ud *u = ud;
    return lt_shape_match_prefix(&u->shape, type, type_len, data, avail);
}

/* Hand a needed event to the adapter: its stream_text fast path when it takes the event,
 * else stream_event with the event parsed. */
static void deliver(struct sse_ud *u, const char *type, size_t type_len, const char *data, size_t n)
{
    if (u->text && u->a->stream_text(u->st, u->c, type, type_len, data, n))
        return;
    cJSON *j = parse_json(data, n);
    u->a->stream_event(u->st, u->c, type, type_len, data, n, j);
    cJSON_Delete(j);
}

static int on_event(void *ud, const struct lt_sse_event *ev)
{
    struct sse_ud *u = ud;
    if (needed(u, ev->type, ev->type_len, ev->data, ev->data_len))
        deliver(u, ev->type, ev->type_len, ev->data, ev->data_len);
    return 0;
}

static int on_json_value(void *ud, const char *p, size_t n)
{
    struct sse_ud *u = ud;
    if (needed(u, "json", 4, p, n))
        deliver(u, "json", 4, p, n);
    return 0;
}

static int on_es_message(void *ud, const struct lt_es_message *m)
{
    struct sse_ud *u = ud;
    const char *type = m->event_type;
    size_t type_len = m->event_type_len;
    bool is_event =
        !m->message_type || (m->message_type_len == 5 && memcmp(m->message_type, "event", 5) == 0);
    bool is_error =
        m->message_type && m->message_type_len == 5 && memcmp(m->message_type, "error", 5) == 0;
    if (is_error) { /* a transport-level error: :error-code and :error-message, no payload */
        char code[64], msg[256];
        snprintf(code, sizeof(code), "%.*s", (int)m->exception_type_len,
                 m->exception_type ? m->exception_type : "");
        snprintf(msg, sizeof(msg), "%.*s", (int)m->error_message_len,
                 m->error_message ? m->error_message : "");
        if (!u->c->error)
            lt_genai_fail(u->c, code, msg[0] ? msg : "event stream error");
        return 0;
    }
    if (!is_event && m->exception_type) {
        type = m->exception_type;
        type_len = m->exception_type_len;
    }
    if (!type) {
        type = "";
        type_len = 0;
    }
    if (needed(u, type, type_len, m->payload, m->payload_len))
        deliver(u, type, type_len, m->payload, m->payload_len);
    return 0;
}

/* Drive the adapter's stream_event over a streamed body in framing `f`. */
static void run_stream(struct lt_genai_ctx *c, const struct lt_genai_adapter *a, void *st,
                       enum framing f, const char *p, size_t n)
{
    bool skip = fast_paths(c) && a->event_needed;
    struct sse_ud u = {.a = a,
                       .st = st,
                       .c = c,
                       .skip = skip,
                       .text = skip && a->stream_text,
                       .free_keys = skip && !lt_genai_shape_disabled ? a->free_keys : NULL};
    lt_shape_init(&u.shape);
    int rc = 0;
    if (f == FRAMING_SSE) {
        struct lt_sse_parser sp;
        lt_sse_init(&sp, SSE_MAX_EVENT);
        if (u.free_keys)
            lt_sse_set_skip(&sp, skip_event);
        rc = lt_sse_feed(&sp, p, n, on_event, &u);
        if (rc != -ENOMEM)
            rc = lt_sse_finish(&sp, on_event, &u);
        if (sp.dropped)
            c->truncated = true;
        lt_sse_cleanup(&sp);
    } else if (f == FRAMING_JSONSEQ) {
        struct lt_jsonseq_parser jp;
        lt_jsonseq_init(&jp, SSE_MAX_EVENT);
        rc = lt_jsonseq_feed(&jp, p, n, on_json_value, &u);
        if (rc != -ENOMEM)
            rc = lt_jsonseq_finish(&jp, on_json_value, &u);
        if (jp.dropped)
            c->truncated = true;
        lt_jsonseq_cleanup(&jp);
    } else if (f == FRAMING_EVENTSTREAM) {
        struct lt_es_parser ep;
        lt_es_init(&ep, SSE_MAX_EVENT);
        rc = lt_es_feed(&ep, p, n, on_es_message, &u);
        if (rc == -EINVAL) /* corrupt framing: what came before it still counts */
            c->truncated = true;
        lt_es_cleanup(&ep);
    }
    lt_shape_cleanup(&u.shape);
    if (rc == -ENOMEM)
        lt_genai_oom(c);
}

/* HTTP status ≥ 400: error.type is the status code, the description the provider's message
 * ({"error":{"message":…}} for OpenAI and Anthropic, {"message":…} or {"error":"…"} from
 * some compatible servers), else "HTTP <code>". */
static void http_error(struct lt_genai_ctx *c, int status, const char *p, size_t n)
{
    char type[16], fallback[32];
    snprintf(type, sizeof(type), "%d", status);
    cJSON *j = p ? parse_json(p, n) : NULL;
    /* Vertex AI answers a streamed request's error as a one-element array. */
    const cJSON *top = cJSON_IsArray(j) ? cJSON_GetArrayItem(j, 0) : j;
    const cJSON *err = lt_json_obj(top, "error");
    const char *msg = lt_json_str(err, "message");
    if (!msg)
        msg = lt_json_str(top, "message");
    if (!msg)
        msg = lt_json_str(top, "error");
    if (!msg || !*msg) {
        snprintf(fallback, sizeof(fallback), "HTTP %d", status);
        msg = fallback;
    }
    lt_genai_fail(c, type, msg);
    cJSON_Delete(j);
}

/* An HTTP/2 stream reset: error.type is the error code's name (RFC 9113 §7), e.g. "CANCEL"
 * when the client abandoned the stream, "REFUSED_STREAM" when a GOAWAY left it unprocessed.
 * It wins over a stream error event only when nothing else failed the span. */
static void h2_reset(struct lt_genai_ctx *c, uint32_t code)
{
    static const char *const names[] = {
        "NO_ERROR",
        "PROTOCOL_ERROR",
        "INTERNAL_ERROR",
        "FLOW_CONTROL_ERROR",
        "SETTINGS_TIMEOUT",
        "STREAM_CLOSED",
        "FRAME_SIZE_ERROR",
        "REFUSED_STREAM",
        "CANCEL",
        "COMPRESSION_ERROR",
        "CONNECT_ERROR",
        "ENHANCE_YOUR_CALM",
        "INADEQUATE_SECURITY",
        "HTTP_1_1_REQUIRED",
    };
    if (c->error)
        return;
    const char *name = code < sizeof(names) / sizeof(names[0]) ? names[code] : "_OTHER";
    char msg[64];
    snprintf(msg, sizeof(msg), "HTTP/2 stream reset (%s)", name);
    lt_genai_fail(c, name, msg);
}

static void set_name(struct lt_genai_ctx *c, const char *op)
{
    const struct lt_attr *m = lt_span_get(c->span, "gen_ai.request.model");
    if (!m || m->type != LT_ATTR_STRING || !m->u.s || !*m->u.s) {
        note(c, lt_span_set_name(c->span, op));
        return;
    }
    size_t n = strlen(op) + 1 + strlen(m->u.s) + 1;
    char *name = malloc(n);
    if (!name) {
        lt_genai_oom(c);
        return;
    }
    snprintf(name, n, "%s %s", op, m->u.s);
    note(c, lt_span_set_name(c->span, name));
    free(name);
}

int lt_genai_build_span(struct lt_span *span, const struct lt_exchange *x,
                        const struct lt_genai_options *opt)
{
    const struct lt_genai_adapter *a = adapter_for(x->api);
    size_t max = opt && opt->max_decoded ? opt->max_decoded : DEFAULT_MAX_DECODED;
    struct lt_genai_ctx c = {
        .span = span,
        .x = x,
        .capture = opt && opt->capture_content,
        .redact = opt && opt->redact ? opt->redact : lt_redact_process(),
        .max_text = max,
    };
    const char *op = a ? a->operation : "chat";
    c.op = op;

    span->kind = LT_SPAN_KIND_CLIENT;
    lt_genai_str(&c, "gen_ai.operation.name", op);
    if (x->provider[0])
        lt_genai_str(&c, "gen_ai.provider.name", x->provider);
    if (x->server_address[0])
        lt_genai_str(&c, "server.address", x->server_address);
    if (x->server_port > 0)
        lt_genai_int(&c, "server.port", x->server_port);
    /* The peer the bytes really went to (OTel general attributes, network.peer.*); absent
     * for TLS over memory BIOs (asyncio), which has no socket. */
    if (x->peer_address[0]) {
        lt_genai_str(&c, "network.peer.address", x->peer_address);
        if (x->peer_port > 0)
            lt_genai_int(&c, "network.peer.port", x->peer_port);
    }

    void *st = NULL;
    if (a && a->state_size) {
        st = calloc(1, a->state_size);
        if (!st) {
            lt_genai_oom(&c);
            a = NULL;
        }
    }
    if (a && a->begin)
        a->begin(st, &c);

    /* Request. */
    struct body req;
    decode_body(&c, &x->req_body, x->req_encoding, max, &req);
    bool req_fast = a && a->request_text && fast_paths(&c);
    if (a && a->request && req.n && !(req_fast && a->request_text(st, &c, req.p, req.n))) {
        cJSON *j = parse_json(req.p, req.n);
        if (j)
            a->request(st, &c, j);
        cJSON_Delete(j);
    }
    free(req.owned);

    /* Response. */
    if (x->status)
        lt_genai_int(&c, "http.response.status_code", x->status);
    struct body resp;
    decode_body(&c, &x->resp_body, x->resp_encoding, max, &resp);
    enum framing framing = choose_framing(&c, resp.p, resp.n);
    c.stream = framing != FRAMING_NONE;
    if (a && c.stream && a->stream_event) {
        run_stream(&c, a, st, framing, resp.p, resp.n);
    } else if (a && !c.stream && a->response && resp.n && x->status < 400) {
        cJSON *j = parse_json(resp.p, resp.n);
        if (j)
            a->response(st, &c, j);
        cJSON_Delete(j);
    }
    if (a && a->finish)
        a->finish(st, &c);
    if (a && a->cleanup)
        a->cleanup(st);
    free(st);

    /* Streams: time from the request's first byte to the first response body byte. */
    if (c.stream && x->t_first_body_ns && x->t_start_ns && x->t_first_body_ns >= x->t_start_ns)
        lt_genai_double(&c, "gen_ai.response.time_to_first_chunk",
                        (double)(x->t_first_body_ns - x->t_start_ns) / 1e9);

    /* Status: an HTTP error wins over anything seen in the body; a protocol error (the bytes
     * stopped being HTTP llmtap can frame: malformed head or chunk size, head over
     * LT_H1_MAX_HEAD) or a cut-off is reported only when nothing else explained the failure. */
    if (x->status >= 400)
        http_error(&c, x->status, resp.p, resp.n);
    else if (x->end == LT_END_RESET)
        h2_reset(&c, x->h2_error);
    else if (x->end == LT_END_PROTOCOL && !c.error) /* not a cut-off: bytes we cannot frame */
        lt_genai_fail(&c, "http_protocol_error", "the HTTP exchange could not be parsed");
    else if (x->end != LT_END_COMPLETE && !c.error)
        lt_genai_fail(&c, "response_cut_off", "response ended before it was complete");
    free(resp.owned);

    /* llmtap.cost.usd from the usage and model set above (price.h); the table is read on
     * first use, here on the exporter thread. */
    note(&c, lt_price_apply(lt_price_process(), span));
    if (c.truncated)
        lt_genai_bool(&c, "llmtap.truncated", true);
    if (c.op && c.op != op) /* the adapter named another operation */
        lt_genai_str(&c, "gen_ai.operation.name", c.op);
    set_name(&c, c.op ? c.op : op);
    return c.rc;
}
