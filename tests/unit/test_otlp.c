/* test_otlp.c — the OTLP encoders and the console tree. The protobuf output is decoded by
 * code we did not write (protoc --decode, and protobuf-c's unpack), the JSON output by
 * cJSON; the console output is read back through a pipe. Runs from the repo root. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export/otlp.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

#define T0 1700000000000000000ull /* a start time, ns since the epoch */

/* W3C trace-context example ids: bytes outside printable ASCII exercise protoc's escapes. */
static const char TRACE_HEX[] = "4bf92f3577b34da6a3ce929d0e0e4736";
static const char REMOTE_PARENT_HEX[] = "00f067aa0ba902b7";
static const char ROOT_HEX[] = "53ce929d0e0e4736";
static const char CHAT_HEX[] = "a3ce929d0e0e4737";
static const char ERR_HEX[] = "0102030405060708";

static void unhex(uint8_t *out, const char *hex, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

/* protoc's text format writes bytes C-escaped, non-printables as three octal digits. */
static void cescape(char *out, const char *hex, size_t n)
{
    uint8_t b[16];
    unhex(b, hex, n);
    for (size_t i = 0; i < n; i++) {
        if (b[i] == '"' || b[i] == '\'' || b[i] == '\\')
            out += sprintf(out, "\\%c", b[i]);
        else if (b[i] == '\n')
            out += sprintf(out, "\\n");
        else if (b[i] == '\r')
            out += sprintf(out, "\\r");
        else if (b[i] == '\t')
            out += sprintf(out, "\\t");
        else if (b[i] >= 0x20 && b[i] < 0x7f)
            *out++ = (char)b[i];
        else
            out += sprintf(out, "\\%03o", b[i]);
    }
    *out = '\0';
}

static struct lt_attr res_attrs[2];
static struct lt_resource res = {
    .attrs = res_attrs,
    .n_attrs = 2,
    .scope_name = "llmtap",
    .scope_version = "0.1.0",
};

static int setup_res(void **state)
{
    res_attrs[0] = (struct lt_attr){.key = "service.name", .type = LT_ATTR_STRING, .u.s = "my-app"};
    res_attrs[1] = (struct lt_attr){.key = "process.pid", .type = LT_ATTR_INT, .u.i = 4242};
    return 0;
}

/* root (remote parent, tracestate) -> chat (every attribute type), root -> error span. */
static struct lt_span *make_batch(void)
{
    struct lt_span *root = lt_span_new("python3 app.py", LT_SPAN_KIND_INTERNAL);
    struct lt_span *chat = lt_span_new("chat gpt-4o-mini", LT_SPAN_KIND_CLIENT);
    struct lt_span *err = lt_span_new("chat gpt-4o", LT_SPAN_KIND_CLIENT);
    assert_non_null(root);
    assert_non_null(chat);
    assert_non_null(err);

    unhex(root->trace_id, TRACE_HEX, 16);
    unhex(root->span_id, ROOT_HEX, 8);
    unhex(root->parent_span_id, REMOTE_PARENT_HEX, 8);
    root->has_parent = true;
    root->parent_is_remote = true;
    root->trace_flags = 0x01;
    root->trace_state = strdup("vendor=abc,other=x");
    root->start_ns = T0;
    root->end_ns = T0 + 1523000000ull;

    memcpy(chat->trace_id, root->trace_id, 16);
    unhex(chat->span_id, CHAT_HEX, 8);
    memcpy(chat->parent_span_id, root->span_id, 8);
    chat->has_parent = true;
    chat->trace_flags = 0x01;
    chat->start_ns = T0 + 100000000ull;
    chat->end_ns = chat->start_ns + 312400000ull;
    static const char *const reasons[] = {"stop"};
    static const char *const stops[] = {"\n\n", "END"};
    assert_int_equal(lt_span_set_str(chat, "gen_ai.operation.name", "chat"), 0);
    assert_int_equal(lt_span_set_str(chat, "gen_ai.provider.name", "openai"), 0);
    assert_int_equal(lt_span_set_int(chat, "gen_ai.usage.input_tokens", 12), 0);
    assert_int_equal(lt_span_set_int(chat, "gen_ai.usage.output_tokens", 34), 0);
    assert_int_equal(lt_span_set_int(chat, "gen_ai.request.seed", -9007199254740993ll), 0);
    assert_int_equal(lt_span_set_double(chat, "gen_ai.request.temperature", 0.5), 0);
    assert_int_equal(lt_span_set_bool(chat, "gen_ai.request.stream", true), 0);
    assert_int_equal(lt_span_set_str_array(chat, "gen_ai.response.finish_reasons", reasons, 1), 0);
    assert_int_equal(lt_span_set_str_array(chat, "gen_ai.request.stop_sequences", stops, 2), 0);
    assert_int_equal(lt_span_set_str_array(chat, "empty.list", NULL, 0), 0);

    memcpy(err->trace_id, root->trace_id, 16);
    unhex(err->span_id, ERR_HEX, 8);
    memcpy(err->parent_span_id, root->span_id, 8);
    err->has_parent = true;
    err->start_ns = T0 + 500000000ull;
    err->end_ns = err->start_ns + 80200000ull;
    assert_int_equal(lt_span_set_str(err, "error.type", "429"), 0);
    lt_span_set_status(err, LT_STATUS_ERROR, "Rate limit reached");
    err->dropped_attrs = 3;

    root->next = chat;
    chat->next = err;
    return root;
}

/* ---- protobuf, decoded by protoc ---- */

/* Run protoc --decode on `len` bytes; returns its heap stdout (caller frees). */
static char *protoc_decode(const uint8_t *pb, size_t len)
{
    char path[] = "/tmp/test_otlp_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, pb, len), (ssize_t)len);
    close(fd);
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "protoc --decode=opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest "
             "--proto_path=export/otlp "
             "opentelemetry/proto/collector/trace/v1/trace_service.proto < %s",
             path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, n = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t r;
    while ((r = fread(text + n, 1, cap - 1 - n, p)) > 0) {
        n += r;
        if (n + 1 == cap) {
            cap *= 2;
            text = realloc(text, cap);
            assert_non_null(text);
        }
    }
    text[n] = '\0';
    assert_int_equal(pclose(p), 0);
    unlink(path);
    return text;
}

/* The text of the n-th (0-based) "spans {" block of protoc's output, cut at the next. */
static char *span_block(const char *text, int n)
{
    const char *p = text;
    for (int i = 0; i <= n; i++) {
        p = strstr(p, "\n    spans {");
        assert_non_null(p);
        p++;
    }
    const char *end = strstr(p + 1, "\n    spans {");
    size_t len = end ? (size_t)(end - p) : strlen(p);
    char *b = strndup(p, len);
    assert_non_null(b);
    return b;
}

static void assert_has(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("missing \"%s\" in:\n%s", needle, hay);
}

static void assert_lacks(const char *hay, const char *needle)
{
    if (strstr(hay, needle))
        fail_msg("unexpected \"%s\" in:\n%s", needle, hay);
}

static void test_pb_protoc(void **state)
{
    struct lt_span *spans = make_batch();
    uint8_t *pb;
    size_t len;
    assert_int_equal(lt_otlp_pb_encode(&res, spans, &pb, &len), 0);
    assert_true(len > 0);
    char *text = protoc_decode(pb, len);

    assert_has(text, "resource_spans {\n  resource {\n    attributes {\n      key: "
                     "\"service.name\"\n      value {\n        string_value: \"my-app\"\n");
    assert_has(text, "key: \"process.pid\"\n      value {\n        int_value: 4242\n");
    assert_has(text, "  scope_spans {\n    scope {\n      name: \"llmtap\"\n      version: "
                     "\"0.1.0\"\n    }\n");

    char esc[80], line[160];
    char *root = span_block(text, 0);
    cescape(esc, TRACE_HEX, 16);
    snprintf(line, sizeof(line), "trace_id: \"%s\"\n", esc);
    assert_has(root, line);
    cescape(esc, ROOT_HEX, 8);
    snprintf(line, sizeof(line), "span_id: \"%s\"\n", esc);
    assert_has(root, line);
    cescape(esc, REMOTE_PARENT_HEX, 8);
    snprintf(line, sizeof(line), "parent_span_id: \"%s\"\n", esc);
    assert_has(root, line);
    assert_has(root, "trace_state: \"vendor=abc,other=x\"\n");
    assert_has(root, "name: \"python3 app.py\"\n");
    assert_has(root, "kind: SPAN_KIND_INTERNAL\n");
    assert_has(root, "start_time_unix_nano: 1700000000000000000\n");
    assert_has(root, "end_time_unix_nano: 1700000001523000000\n");
    assert_has(root, "flags: 769\n"); /* 0x01 sampled | 0x100 has-is-remote | 0x200 remote */
    assert_lacks(root, "attributes");
    assert_lacks(root, "status");

    char *chat = span_block(text, 1);
    cescape(esc, ROOT_HEX, 8);
    snprintf(line, sizeof(line), "parent_span_id: \"%s\"\n", esc);
    assert_has(chat, line);
    assert_has(chat, "kind: SPAN_KIND_CLIENT\n");
    assert_has(chat, "flags: 257\n"); /* local parent: is-remote known and false */
    assert_lacks(chat, "trace_state");
    assert_has(chat, "key: \"gen_ai.provider.name\"\n        value {\n          string_value: "
                     "\"openai\"\n");
    assert_has(chat, "key: \"gen_ai.usage.input_tokens\"\n        value {\n          "
                     "int_value: 12\n");
    assert_has(chat, "int_value: -9007199254740993\n");
    assert_has(chat, "key: \"gen_ai.request.temperature\"\n        value {\n          "
                     "double_value: 0.5\n");
    assert_has(chat, "key: \"gen_ai.request.stream\"\n        value {\n          "
                     "bool_value: true\n");
    assert_has(chat, "key: \"gen_ai.response.finish_reasons\"\n        value {\n          "
                     "array_value {\n            values {\n              string_value: "
                     "\"stop\"\n");
    assert_has(chat, "string_value: \"\\n\\n\"\n");
    assert_has(chat, "string_value: \"END\"\n");
    assert_has(chat, "key: \"empty.list\"\n        value {\n          array_value {\n");
    assert_lacks(chat, "status");

    char *err = span_block(text, 2);
    assert_has(err, "dropped_attributes_count: 3\n");
    assert_has(err, "status {\n        message: \"Rate limit reached\"\n        code: "
                    "STATUS_CODE_ERROR\n      }\n");
    assert_has(err, "flags: 256\n");
    assert_lacks(err, "kind: SPAN_KIND_INTERNAL");

    free(root);
    free(chat);
    free(err);
    free(text);
    free(pb);
    lt_span_free_list(spans);
}

/* ---- protobuf, decoded by protobuf-c ---- */

static void assert_bytes(ProtobufCBinaryData b, const char *hex, size_t n)
{
    uint8_t want[16];
    unhex(want, hex, n);
    assert_int_equal(b.len, n);
    assert_memory_equal(b.data, want, n);
}

static void test_pb_unpack(void **state)
{
    struct lt_span *spans = make_batch();
    uint8_t *pb;
    size_t len;
    assert_int_equal(lt_otlp_pb_encode(&res, spans, &pb, &len), 0);
    Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest *req =
        opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(NULL, len,
                                                                                         pb);
    assert_non_null(req);
    assert_int_equal(req->n_resource_spans, 1);
    Opentelemetry__Proto__Trace__V1__ResourceSpans *rs = req->resource_spans[0];
    assert_non_null(rs->resource);
    assert_int_equal(rs->resource->n_attributes, 2);
    assert_string_equal(rs->resource->attributes[0]->key, "service.name");
    assert_string_equal(rs->resource->attributes[0]->value->string_value, "my-app");
    assert_int_equal(rs->resource->attributes[1]->value->int_value, 4242);
    assert_int_equal(rs->n_scope_spans, 1);
    Opentelemetry__Proto__Trace__V1__ScopeSpans *ss = rs->scope_spans[0];
    assert_string_equal(ss->scope->name, "llmtap");
    assert_string_equal(ss->scope->version, "0.1.0");
    assert_int_equal(ss->n_spans, 3);

    size_t i = 0;
    for (const struct lt_span *s = spans; s; s = s->next, i++) {
        Opentelemetry__Proto__Trace__V1__Span *ps = ss->spans[i];
        assert_int_equal(ps->trace_id.len, 16);
        assert_memory_equal(ps->trace_id.data, s->trace_id, 16);
        assert_int_equal(ps->span_id.len, 8);
        assert_memory_equal(ps->span_id.data, s->span_id, 8);
        assert_int_equal(ps->parent_span_id.len, 8);
        assert_memory_equal(ps->parent_span_id.data, s->parent_span_id, 8);
        assert_string_equal(ps->name, s->name);
        assert_string_equal(ps->trace_state, s->trace_state ? s->trace_state : "");
        assert_int_equal(ps->kind, s->kind);
        assert_int_equal(ps->start_time_unix_nano, s->start_ns);
        assert_int_equal(ps->end_time_unix_nano, s->end_ns);
        assert_int_equal(ps->dropped_attributes_count, s->dropped_attrs);
        assert_int_equal(ps->n_attributes, s->n_attrs);
        for (size_t k = 0; k < s->n_attrs; k++) {
            const struct lt_attr *a = &s->attrs[k];
            Opentelemetry__Proto__Common__V1__AnyValue *v = ps->attributes[k]->value;
            assert_string_equal(ps->attributes[k]->key, a->key);
            switch (a->type) {
            case LT_ATTR_STRING:
                assert_int_equal(v->value_case,
                                 OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE);
                assert_string_equal(v->string_value, a->u.s);
                break;
            case LT_ATTR_BOOL:
                assert_int_equal(v->value_case,
                                 OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE);
                assert_int_equal(!!v->bool_value, a->u.b);
                break;
            case LT_ATTR_INT:
                assert_int_equal(v->value_case,
                                 OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE);
                assert_true(v->int_value == a->u.i);
                break;
            case LT_ATTR_DOUBLE:
                assert_int_equal(v->value_case,
                                 OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE);
                assert_true(v->double_value == a->u.d);
                break;
            case LT_ATTR_STRING_ARRAY:
                assert_int_equal(v->value_case,
                                 OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE);
                assert_int_equal(v->array_value->n_values, a->u.arr.n);
                for (size_t j = 0; j < a->u.arr.n; j++)
                    assert_string_equal(v->array_value->values[j]->string_value, a->u.arr.v[j]);
                break;
            }
        }
        if (s->status == LT_STATUS_UNSET) {
            assert_null(ps->status);
        } else {
            assert_non_null(ps->status);
            assert_int_equal(ps->status->code, s->status);
            assert_string_equal(ps->status->message, s->status_message);
        }
    }
    assert_int_equal(ss->spans[0]->flags, 0x301);
    assert_int_equal(ss->spans[1]->flags, 0x101);
    assert_int_equal(ss->spans[2]->flags, 0x100);
    assert_bytes(ss->spans[0]->parent_span_id, REMOTE_PARENT_HEX, 8);

    opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked(req,
                                                                                            NULL);
    free(pb);
    lt_span_free_list(spans);
}

/* A root span with no parent and no attributes: no parent_span_id, no attributes. */
static void test_pb_bare_span(void **state)
{
    struct lt_span *s = lt_span_new("bare", LT_SPAN_KIND_UNSPECIFIED);
    assert_non_null(s);
    unhex(s->trace_id, TRACE_HEX, 16);
    unhex(s->span_id, ROOT_HEX, 8);
    uint8_t *pb;
    size_t len;
    assert_int_equal(lt_otlp_pb_encode(&res, s, &pb, &len), 0);
    char *text = protoc_decode(pb, len);
    char *b = span_block(text, 0);
    assert_lacks(b, "parent_span_id");
    assert_lacks(b, "attributes");
    assert_lacks(b, "kind");
    assert_lacks(b, "status");
    assert_has(b, "name: \"bare\"\n");
    assert_has(b, "flags: 256\n");

    Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest *req =
        opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(NULL, len,
                                                                                         pb);
    assert_non_null(req);
    Opentelemetry__Proto__Trace__V1__Span *ps = req->resource_spans[0]->scope_spans[0]->spans[0];
    assert_int_equal(ps->parent_span_id.len, 0);
    assert_int_equal(ps->n_attributes, 0);
    opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked(req,
                                                                                            NULL);
    free(b);
    free(text);
    free(pb);
    lt_span_free(s);
}

static void test_pb_empty(void **state)
{
    uint8_t *pb;
    size_t len;
    assert_int_equal(lt_otlp_pb_encode(&res, NULL, &pb, &len), 0);
    assert_non_null(pb);
    char *text = protoc_decode(pb, len);
    assert_has(text, "name: \"llmtap\"");
    assert_lacks(text, "\n    spans {");
    free(text);
    free(pb);

    /* No resource either: still a well-formed request. */
    assert_int_equal(lt_otlp_pb_encode(NULL, NULL, &pb, &len), 0);
    Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest *req =
        opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(NULL, len,
                                                                                         pb);
    assert_non_null(req);
    assert_int_equal(req->n_resource_spans, 1);
    assert_int_equal(req->resource_spans[0]->scope_spans[0]->n_spans, 0);
    opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked(req,
                                                                                            NULL);
    free(pb);
}

/* ---- JSON ---- */

static cJSON *get(const cJSON *o, const char *path)
{
    /* "a.b.0.c": object keys and array indexes. */
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", path);
    const cJSON *cur = o;
    for (char *save, *tok = strtok_r(buf, ".", &save); tok && cur;
         tok = strtok_r(NULL, ".", &save)) {
        if (cJSON_IsArray(cur))
            cur = cJSON_GetArrayItem(cur, atoi(tok));
        else
            cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
    }
    return (cJSON *)cur;
}

static const char *get_str(const cJSON *o, const char *path)
{
    cJSON *v = get(o, path);
    if (!cJSON_IsString(v))
        fail_msg("%s is not a string", path);
    return v->valuestring;
}

static double get_num(const cJSON *o, const char *path)
{
    cJSON *v = get(o, path);
    if (!cJSON_IsNumber(v))
        fail_msg("%s is not a number", path);
    return v->valuedouble;
}

/* The AnyValue of attribute `key` in the attribute list `attrs`. */
static cJSON *attr(const cJSON *attrs, const char *key)
{
    const cJSON *kv;
    cJSON_ArrayForEach(kv, attrs)
    {
        if (!strcmp(get_str(kv, "key"), key))
            return get(kv, "value");
    }
    fail_msg("no attribute %s", key);
    return NULL;
}

static void test_json(void **state)
{
    struct lt_span *spans = make_batch();
    char *js;
    size_t len;
    assert_int_equal(lt_otlp_json_encode(&res, spans, &js, &len), 0);
    assert_int_equal(strlen(js), len);
    assert_null(strchr(js, '\n'));
    cJSON *root = cJSON_Parse(js);
    assert_non_null(root);

    assert_int_equal(cJSON_GetArraySize(get(root, "resourceSpans")), 1);
    cJSON *rattrs = get(root, "resourceSpans.0.resource.attributes");
    assert_string_equal(get_str(attr(rattrs, "service.name"), "stringValue"), "my-app");
    assert_string_equal(get_str(attr(rattrs, "process.pid"), "intValue"), "4242");
    cJSON *ss = get(root, "resourceSpans.0.scopeSpans.0");
    assert_string_equal(get_str(ss, "scope.name"), "llmtap");
    assert_string_equal(get_str(ss, "scope.version"), "0.1.0");
    assert_int_equal(cJSON_GetArraySize(get(ss, "spans")), 3);

    cJSON *r = get(ss, "spans.0");
    assert_string_equal(get_str(r, "traceId"), TRACE_HEX);
    assert_string_equal(get_str(r, "spanId"), ROOT_HEX);
    assert_string_equal(get_str(r, "parentSpanId"), REMOTE_PARENT_HEX);
    assert_string_equal(get_str(r, "traceState"), "vendor=abc,other=x");
    assert_string_equal(get_str(r, "name"), "python3 app.py");
    assert_true(get_num(r, "flags") == 769);
    assert_true(get_num(r, "kind") == 1);
    assert_string_equal(get_str(r, "startTimeUnixNano"), "1700000000000000000");
    assert_string_equal(get_str(r, "endTimeUnixNano"), "1700000001523000000");
    assert_null(get(r, "attributes"));
    assert_null(get(r, "status"));
    assert_null(get(r, "droppedAttributesCount"));

    cJSON *c = get(ss, "spans.1");
    assert_string_equal(get_str(c, "parentSpanId"), ROOT_HEX);
    assert_null(get(c, "traceState"));
    assert_true(get_num(c, "flags") == 257);
    assert_true(get_num(c, "kind") == 3);
    cJSON *ca = get(c, "attributes");
    assert_string_equal(get_str(attr(ca, "gen_ai.provider.name"), "stringValue"), "openai");
    assert_string_equal(get_str(attr(ca, "gen_ai.usage.input_tokens"), "intValue"), "12");
    assert_string_equal(get_str(attr(ca, "gen_ai.request.seed"), "intValue"), "-9007199254740993");
    assert_true(get_num(attr(ca, "gen_ai.request.temperature"), "doubleValue") == 0.5);
    assert_true(cJSON_IsTrue(get(attr(ca, "gen_ai.request.stream"), "boolValue")));
    cJSON *fr = attr(ca, "gen_ai.response.finish_reasons");
    assert_int_equal(cJSON_GetArraySize(get(fr, "arrayValue.values")), 1);
    assert_string_equal(get_str(fr, "arrayValue.values.0.stringValue"), "stop");
    assert_string_equal(
        get_str(attr(ca, "gen_ai.request.stop_sequences"), "arrayValue.values.0.stringValue"),
        "\n\n");
    assert_true(cJSON_IsObject(get(attr(ca, "empty.list"), "arrayValue")));
    assert_null(get(attr(ca, "empty.list"), "arrayValue.values"));

    cJSON *e = get(ss, "spans.2");
    assert_true(get_num(e, "droppedAttributesCount") == 3);
    assert_true(get_num(e, "status.code") == 2);
    assert_string_equal(get_str(e, "status.message"), "Rate limit reached");
    assert_true(get_num(e, "flags") == 256);

    /* Exact wire form of a few members (key order follows the encoder). */
    assert_non_null(strstr(js, "\"intValue\":\"12\""));
    assert_non_null(strstr(js, "\"traceId\":\"4bf92f3577b34da6a3ce929d0e0e4736\""));

    cJSON_Delete(root);
    free(js);
    lt_span_free_list(spans);
}

static void test_json_edge(void **state)
{
    char *js;
    size_t len;
    /* Empty batch: resource and scope, no "spans". */
    assert_int_equal(lt_otlp_json_encode(&res, NULL, &js, &len), 0);
    cJSON *root = cJSON_Parse(js);
    assert_non_null(root);
    assert_non_null(get(root, "resourceSpans.0.resource.attributes"));
    assert_non_null(get(root, "resourceSpans.0.scopeSpans.0.scope"));
    assert_null(get(root, "resourceSpans.0.scopeSpans.0.spans"));
    cJSON_Delete(root);
    free(js);

    /* Zero attributes, no parent, unspecified kind; non-finite doubles as strings. */
    struct lt_span *s = lt_span_new("bare", LT_SPAN_KIND_UNSPECIFIED);
    assert_non_null(s);
    assert_int_equal(lt_otlp_json_encode(NULL, s, &js, &len), 0);
    root = cJSON_Parse(js);
    cJSON *sp = get(root, "resourceSpans.0.scopeSpans.0.spans.0");
    assert_non_null(sp);
    assert_string_equal(get_str(sp, "traceId"), "00000000000000000000000000000000");
    assert_null(get(sp, "parentSpanId"));
    assert_null(get(sp, "attributes"));
    assert_null(get(sp, "kind"));
    assert_null(get(sp, "startTimeUnixNano"));
    assert_null(get(root, "resourceSpans.0.resource.attributes"));
    cJSON_Delete(root);
    free(js);

    assert_int_equal(lt_span_set_double(s, "nan", NAN), 0);
    assert_int_equal(lt_span_set_double(s, "inf", -INFINITY), 0);
    assert_int_equal(lt_otlp_json_encode(NULL, s, &js, &len), 0);
    root = cJSON_Parse(js);
    cJSON *attrs = get(root, "resourceSpans.0.scopeSpans.0.spans.0.attributes");
    assert_string_equal(get_str(attr(attrs, "nan"), "doubleValue"), "NaN");
    assert_string_equal(get_str(attr(attrs, "inf"), "doubleValue"), "-Infinity");
    cJSON_Delete(root);
    free(js);
    lt_span_free(s);
}

/* ---- UTF-8 repair (receivers reject proto3 strings / JSON that are not UTF-8) ---- */

#define FFFD "\xEF\xBF\xBD"

static const struct {
    const char *in, *want;
} utf8_cases[] = {
    {"h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x98\x80", "h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x98\x80"},
    {"bad\xFF\xC0\x80name", "bad" FFFD FFFD FFFD "name"},
    {"surrogate \xED\xA0\x80", "surrogate " FFFD FFFD FFFD},
    {"overlong \xE0\x80\xAF", "overlong " FFFD FFFD FFFD},
    {"too big \xF4\x90\x80\x80", "too big " FFFD FFFD FFFD FFFD},
    {"cut \xE2\x9C", "cut " FFFD FFFD},
};

static void test_utf8_repair(void **state)
{
    for (size_t i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
        struct lt_span *s = lt_span_new(utf8_cases[i].in, LT_SPAN_KIND_CLIENT);
        assert_non_null(s);
        const char *arr[] = {utf8_cases[i].in};
        assert_int_equal(lt_span_set_str(s, utf8_cases[i].in, utf8_cases[i].in), 0);
        assert_int_equal(lt_span_set_str_array(s, "arr", arr, 1), 0);

        uint8_t *pb;
        size_t len;
        assert_int_equal(lt_otlp_pb_encode(NULL, s, &pb, &len), 0);
        Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest *req =
            opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(
                NULL, len, pb);
        assert_non_null(req);
        Opentelemetry__Proto__Trace__V1__Span *ps =
            req->resource_spans[0]->scope_spans[0]->spans[0];
        assert_string_equal(ps->name, utf8_cases[i].want);
        assert_string_equal(ps->attributes[0]->key, utf8_cases[i].want);
        assert_string_equal(ps->attributes[0]->value->string_value, utf8_cases[i].want);
        assert_string_equal(ps->attributes[1]->value->array_value->values[0]->string_value,
                            utf8_cases[i].want);
        opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked(
            req, NULL);
        free(pb);

        char *js;
        assert_int_equal(lt_otlp_json_encode(NULL, s, &js, &len), 0);
        cJSON *root = cJSON_Parse(js);
        assert_non_null(root);
        cJSON *sp = get(root, "resourceSpans.0.scopeSpans.0.spans.0");
        assert_string_equal(get_str(sp, "name"), utf8_cases[i].want);
        assert_string_equal(get_str(sp, "attributes.0.key"), utf8_cases[i].want);
        assert_string_equal(get_str(sp, "attributes.0.value.stringValue"), utf8_cases[i].want);
        assert_string_equal(get_str(sp, "attributes.1.value.arrayValue.values.0.stringValue"),
                            utf8_cases[i].want);
        cJSON_Delete(root);
        free(js);
        lt_span_free(s);
    }
}

/* ---- console ---- */

static char *console_text(const struct lt_resource *r, const struct lt_span *spans)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(lt_console_write(fds[1], r, spans), 0);
    close(fds[1]);
    static char text[16384];
    size_t n = 0;
    ssize_t got;
    while ((got = read(fds[0], text + n, sizeof(text) - 1 - n)) > 0)
        n += (size_t)got;
    close(fds[0]);
    text[n] = '\0';
    return text;
}

static void test_console_tree(void **state)
{
    struct lt_span *spans = make_batch();
    /* List order is child-first; the tree must still put the root on top. */
    struct lt_span *root = spans, *chat = root->next, *err = chat->next;
    err->next = root;
    root->next = chat;
    chat->next = NULL;
    const char *text = console_text(&res, err);
    assert_string_equal(text, "trace 4bf92f3577b34da6a3ce929d0e0e4736  my-app  pid 4242\n"
                              "  python3 app.py  1523.0 ms\n"
                              "    chat gpt-4o-mini  312.4 ms  openai  in=12 out=34 [stop]\n"
                              "    chat gpt-4o  80.2 ms  ERROR 429: Rate limit reached\n");
    lt_span_free_list(err);
}

static void test_console_orphans_and_traces(void **state)
{
    /* Trace B starts first; trace A has an orphan (parent not in batch) and a cycle. */
    struct lt_span *a1 = lt_span_new("orphan", LT_SPAN_KIND_CLIENT);
    struct lt_span *a2 = lt_span_new("loop1", LT_SPAN_KIND_INTERNAL);
    struct lt_span *a3 = lt_span_new("loop2", LT_SPAN_KIND_INTERNAL);
    struct lt_span *b1 = lt_span_new("other\x1b[31m\nline", LT_SPAN_KIND_INTERNAL);
    assert_true(a1 && a2 && a3 && b1);
    unhex(a1->trace_id, TRACE_HEX, 16);
    memcpy(a2->trace_id, a1->trace_id, 16);
    memcpy(a3->trace_id, a1->trace_id, 16);
    memset(b1->trace_id, 0xbb, 16);
    unhex(a1->span_id, CHAT_HEX, 8);
    unhex(a1->parent_span_id, REMOTE_PARENT_HEX, 8);
    a1->has_parent = true;
    memset(a2->span_id, 0x22, 8);
    memset(a3->span_id, 0x33, 8);
    memcpy(a2->parent_span_id, a3->span_id, 8);
    memcpy(a3->parent_span_id, a2->span_id, 8);
    a2->has_parent = a3->has_parent = true;
    b1->start_ns = 1;
    a1->start_ns = 2;
    a2->start_ns = 3;
    a3->start_ns = 4;
    a1->end_ns = 2; /* zero duration */
    a2->end_ns = 2; /* end before start: shown as 0 */
    a3->end_ns = 4;
    a1->next = a2;
    a2->next = a3;
    a3->next = b1;
    const char *text = console_text(NULL, a1);
    assert_string_equal(text, "trace bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n"
                              "  other [31m line  0.0 ms\n"
                              "trace 4bf92f3577b34da6a3ce929d0e0e4736\n"
                              "  orphan  0.0 ms\n"
                              "  loop1  0.0 ms\n"
                              "    loop2  0.0 ms\n");
    lt_span_free_list(a1);
}

static void test_console_empty_and_errors(void **state)
{
    assert_string_equal(console_text(&res, NULL), "");
    struct lt_span *s = lt_span_new("x", LT_SPAN_KIND_CLIENT);
    assert_non_null(s);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    close(fds[0]);
    close(fds[1]);
    assert_int_equal(lt_console_write(fds[1], &res, s), -EBADF);
    lt_span_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_pb_protoc, setup_res),
        cmocka_unit_test_setup(test_pb_unpack, setup_res),
        cmocka_unit_test_setup(test_pb_bare_span, setup_res),
        cmocka_unit_test_setup(test_pb_empty, setup_res),
        cmocka_unit_test_setup(test_json, setup_res),
        cmocka_unit_test_setup(test_json_edge, setup_res),
        cmocka_unit_test(test_utf8_repair),
        cmocka_unit_test_setup(test_console_tree, setup_res),
        cmocka_unit_test_setup(test_console_orphans_and_traces, setup_res),
        cmocka_unit_test_setup(test_console_empty_and_errors, setup_res),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
