/* test_export_speed.c — the exporter's speed-ups (issue 5, item 5) keep the exact output:
 * the protobuf encoder's reused scratch and its size bound instead of a size walk, and the
 * span setters' shared attribute keys. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../export/otlp.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"
#include "trace/span.h"

typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest pb_req;

static pb_req *decode(const uint8_t *p, size_t n)
{
    pb_req *r = opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(
        NULL, n, p);
    assert_non_null(r);
    return r;
}

static void req_free(pb_req *r)
{
    opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked(r,
                                                                                            NULL);
}

/* A span whose strings stress the size bound: invalid UTF-8 (each bad byte grows to 3),
 * long values, a long array, many short attributes, an error status. */
static struct lt_span *nasty_span(int i)
{
    struct lt_span *s = lt_span_new(i % 2 ? "chat \xff\xfe model" : "chat", LT_SPAN_KIND_CLIENT);
    assert_non_null(s);
    s->start_ns = 1700000000000000000ull + (uint64_t)i;
    s->end_ns = s->start_ns + 5;
    s->has_parent = i % 3 == 0;
    s->parent_is_remote = true;
    s->trace_state = strdup("k=v");
    size_t big = 70000 + (size_t)i;
    char *bad = malloc(big + 1);
    assert_non_null(bad);
    memset(bad, 0xC0, big); /* every byte invalid: 3 bytes on the wire each */
    bad[big] = '\0';
    assert_int_equal(lt_span_set_str(s, "bad", bad), 0);
    free(bad);
    const char *arr[300];
    for (int j = 0; j < 300; j++)
        arr[j] = j % 2 ? "" : "\x80";
    assert_int_equal(lt_span_set_str_array(s, "gen_ai.response.finish_reasons", arr, 300), 0);
    for (int j = 0; j < 60; j++) {
        char k[16];
        snprintf(k, sizeof(k), "k%d", j);
        assert_int_equal(lt_span_set_int(s, k, -(int64_t)j - 1), 0);
    }
    assert_int_equal(lt_span_set_double(s, "d", 1e300), 0);
    assert_int_equal(lt_span_set_bool(s, "b", true), 0);
    lt_span_set_status(s, LT_STATUS_ERROR, "\xe2\x82");
    return s;
}

/* The scratch encoder gives the same bytes as protobuf-c's own size walk allows, the bound
 * holds for hostile strings, and buffers are reused (and given back when huge). */
static void test_scratch_same_bytes(void **state)
{
    (void)state;
    struct lt_attr rattrs[1] = {{.key = "service.name", .type = LT_ATTR_STRING, .u.s = "svc\xff"}};
    struct lt_resource res = {
        .attrs = rattrs, .n_attrs = 1, .scope_name = "llmtap", .scope_version = "0.1.0"};
    struct lt_span *head = NULL, **tail = &head;
    for (int i = 0; i < 40; i++) {
        *tail = nasty_span(i);
        tail = &(*tail)->next;
    }
    struct lt_otlp_scratch sc = {0};
    const uint8_t *out = NULL;
    size_t len = 0;
    assert_int_equal(lt_otlp_pb_encode_scratch(&sc, &res, head, &out, &len), 0);
    assert_ptr_equal(out, sc.out);
    assert_true(len <= sc.out_cap);
    uint8_t *pb = NULL;
    size_t pblen = 0;
    assert_int_equal(lt_otlp_pb_encode(&res, head, &pb, &pblen), 0);
    assert_int_equal(pblen, len);
    assert_memory_equal(pb, out, len);
    free(pb);

    /* The bytes decode to what went in (repaired strings, exact values). */
    pb_req *r = decode(out, len);
    assert_int_equal(
        opentelemetry__proto__collector__trace__v1__export_trace_service_request__get_packed_size(
            r),
        len);
    assert_int_equal(r->n_resource_spans, 1);
    assert_string_equal(r->resource_spans[0]->resource->attributes[0]->value->string_value,
                        "svc\xEF\xBF\xBD");
    Opentelemetry__Proto__Trace__V1__ScopeSpans *ss = r->resource_spans[0]->scope_spans[0];
    assert_int_equal(ss->n_spans, 40);
    Opentelemetry__Proto__Trace__V1__Span *s1 = ss->spans[1];
    assert_string_equal(s1->name, "chat \xEF\xBF\xBD\xEF\xBF\xBD model");
    assert_int_equal(s1->n_attributes, 64);
    assert_string_equal(s1->attributes[0]->key, "bad");
    assert_int_equal(strlen(s1->attributes[0]->value->string_value), 3 * 70001);
    assert_int_equal(s1->attributes[1]->value->array_value->n_values, 300);
    assert_string_equal(s1->attributes[1]->value->array_value->values[0]->string_value,
                        "\xEF\xBF\xBD");
    assert_int_equal(s1->attributes[2 + 59]->value->int_value, -60);
    assert_int_equal(s1->status->code, 2);
    assert_string_equal(s1->status->message, "\xEF\xBF\xBD\xEF\xBF\xBD");
    req_free(r);

    /* A second, smaller batch (half) reuses the buffers. */
    void *arena = sc.arena;
    uint8_t *buf = sc.out;
    struct lt_span *cut = head;
    for (int i = 1; i < 20; i++)
        cut = cut->next;
    struct lt_span *rest = cut->next;
    cut->next = NULL;
    assert_int_equal(lt_otlp_pb_encode_scratch(&sc, &res, head, &out, &len), 0);
    assert_ptr_equal(sc.arena, arena);
    assert_ptr_equal(sc.out, buf);
    r = decode(out, len);
    assert_int_equal(r->resource_spans[0]->scope_spans[0]->n_spans, 20);
    req_free(r);
    /* Past 4 MiB (40 spans of ~210 KB), a small batch gets a small buffer again. */
    assert_true(sc.out_cap > ((size_t)4 << 20));
    assert_int_equal(lt_otlp_pb_encode_scratch(&sc, NULL, NULL, &out, &len), 0);
    assert_true(sc.out_cap < 4096);
    r = decode(out, len);
    assert_int_equal(r->resource_spans[0]->scope_spans[0]->n_spans, 0);
    req_free(r);
    cut->next = rest;
    lt_otlp_scratch_free(&sc);
    assert_null(sc.out);
    lt_otlp_scratch_free(NULL);
    lt_span_free_list(head);
}

/* Many small spans: the bound holds for the per-message overheads alone. */
static void test_scratch_small_spans(void **state)
{
    (void)state;
    struct lt_span *head = NULL, **tail = &head;
    for (int i = 0; i < 2000; i++) {
        struct lt_span *s = lt_span_new("", LT_SPAN_KIND_INTERNAL);
        s->start_ns = s->end_ns = UINT64_MAX;
        s->dropped_attrs = UINT32_MAX;
        s->trace_flags = 0xff;
        assert_int_equal(lt_span_set_int(s, "", INT64_MIN), 0);
        assert_int_equal(lt_span_set_str_array(s, "a", NULL, 0), 0);
        *tail = s;
        tail = &s->next;
    }
    struct lt_otlp_scratch sc = {0};
    const uint8_t *out = NULL;
    size_t len = 0;
    assert_int_equal(lt_otlp_pb_encode_scratch(&sc, NULL, head, &out, &len), 0);
    assert_true(len <= sc.out_cap);
    pb_req *r = decode(out, len);
    Opentelemetry__Proto__Trace__V1__Span *s = r->resource_spans[0]->scope_spans[0]->spans[1999];
    assert_int_equal(s->attributes[0]->value->int_value, INT64_MIN);
    assert_int_equal(s->dropped_attributes_count, UINT32_MAX);
    req_free(r);
    lt_otlp_scratch_free(&sc);
    lt_span_free_list(head);
}

/* Attribute keys set through the setters share one copy per key across spans; long keys
 * and hand-built attributes keep their own; replacing and freeing work on both. */
static void test_shared_keys(void **state)
{
    (void)state;
    struct lt_span *a = lt_span_new("a", LT_SPAN_KIND_CLIENT);
    struct lt_span *b = lt_span_new("b", LT_SPAN_KIND_CLIENT);
    char key[40];
    snprintf(key, sizeof(key), "gen_ai.request.model");
    assert_int_equal(lt_span_set_str(a, key, "m1"), 0);
    key[0] = 'X'; /* the caller's buffer changes: the span's key must not */
    assert_int_equal(lt_span_set_str(b, "gen_ai.request.model", "m2"), 0);
    assert_true(a->attrs[0].key_shared);
    assert_ptr_equal(a->attrs[0].key, b->attrs[0].key);
    assert_ptr_not_equal(a->attrs[0].key, key);
    assert_string_equal(a->attrs[0].key, "gen_ai.request.model");
    assert_string_equal(lt_span_get(a, "gen_ai.request.model")->u.s, "m1");
    /* Replace keeps one attribute. */
    assert_int_equal(lt_span_set_int(a, "gen_ai.request.model", 7), 0);
    assert_int_equal(a->n_attrs, 1);
    assert_int_equal(lt_span_get(a, "gen_ai.request.model")->u.i, 7);
    /* A long key is copied per attribute. */
    char longkey[300];
    memset(longkey, 'k', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = '\0';
    assert_int_equal(lt_span_set_bool(a, longkey, true), 0);
    assert_false(a->attrs[1].key_shared);
    assert_string_equal(a->attrs[1].key, longkey);
    /* Past the table's bound keys are still stored (copied). */
    for (int i = 0; i < 1200; i++) {
        char k[32];
        snprintf(k, sizeof(k), "dyn.%d", i);
        assert_int_equal(lt_span_set_int(b, k, i), i < 127 ? 0 : -ENOSPC);
    }
    assert_int_equal(b->n_attrs, 128); /* the count limit, as before */
    assert_int_equal(b->dropped_attrs, 1200 - 127);
    struct lt_span *c = lt_span_new("c", LT_SPAN_KIND_CLIENT);
    for (int i = 0; i < 1200; i++) {
        char k[32];
        snprintf(k, sizeof(k), "more.%d", i);
        lt_span_set_int(c, k, i);
        if (i % 100 == 99) { /* keep under the count limit: a fresh span each 100 */
            lt_span_free(c);
            c = lt_span_new("c", LT_SPAN_KIND_CLIENT);
        }
    }
    assert_int_equal(lt_span_set_str(c, "after.the.table.filled", "v"), 0);
    assert_false(c->attrs[0].key_shared);
    assert_string_equal(lt_span_get(c, "after.the.table.filled")->u.s, "v");
    /* A hand-built attribute with a heap key is freed by lt_span_free. */
    assert_int_equal(lt_span_set_str(c, "x", "y"), 0);
    assert_false(c->attrs[1].key_shared); /* the table is full */
    free(c->attrs[1].key);
    c->attrs[1].key = strdup("hand");
    c->attrs[1].key_hash = 0;
    c->attrs[1].key_shared = false;
    assert_string_equal(lt_span_get(c, "hand")->u.s, "y");
    lt_span_free(a);
    lt_span_free(b);
    lt_span_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scratch_same_bytes),
        cmocka_unit_test(test_scratch_small_spans),
        cmocka_unit_test(test_shared_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
