/* otlp_json.c — OTLP/JSON encoding of a span batch (OTLP spec "JSON Protobuf Encoding"):
 * the proto3 JSON mapping with lowerCamelCase keys, trace/span ids as lowercase hex,
 * enums as integers and 64-bit integers as decimal strings; default values are omitted.
 * Built with cJSON and printed on one line. */
#include "otlp.h"
#include "utf8.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* trace.proto SpanFlags: has-is-remote (bit 8) and is-remote (bit 9). */
#define SPAN_FLAGS_HAS_IS_REMOTE 0x100u
#define SPAN_FLAGS_IS_REMOTE 0x200u

/* Add string `s` (NULL as "") under `key`, repaired to UTF-8 first if need be. */
static bool add_text(cJSON *obj, const char *key, const char *s)
{
    bool nomem = false;
    char *fix = lt_utf8_repair(s ? s : "", &nomem);
    if (nomem)
        return false;
    bool ok = cJSON_AddStringToObject(obj, key, fix ? fix : s ? s : "") != NULL;
    free(fix);
    return ok;
}

/* Add `n` bytes as a lowercase hex string under `key`. */
static bool add_hex(cJSON *obj, const char *key, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char hex[2 * 16 + 1];
    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = digits[p[i] >> 4];
        hex[2 * i + 1] = digits[p[i] & 0xf];
    }
    hex[2 * n] = '\0';
    return cJSON_AddStringToObject(obj, key, hex) != NULL;
}

/* 64-bit integers are strings in OTLP/JSON (JavaScript numbers lose precision). */
static bool add_u64(cJSON *obj, const char *key, uint64_t v)
{
    char num[24];
    snprintf(num, sizeof(num), "%" PRIu64, v);
    return cJSON_AddStringToObject(obj, key, num) != NULL;
}

/* Add a string field only when non-empty (proto3 JSON omits defaults). */
static bool add_str_opt(cJSON *obj, const char *key, const char *s)
{
    return !s || !*s || add_text(obj, key, s);
}

static cJSON *string_value(const char *s)
{
    cJSON *v = cJSON_CreateObject();
    if (v && !add_text(v, "stringValue", s)) {
        cJSON_Delete(v);
        return NULL;
    }
    return v;
}

/* The AnyValue object for one attribute, or NULL on ENOMEM. */
static cJSON *any_value(const struct lt_attr *a)
{
    cJSON *v = cJSON_CreateObject();
    if (!v)
        return NULL;
    bool ok = false;
    switch (a->type) {
    case LT_ATTR_STRING:
        ok = add_text(v, "stringValue", a->u.s);
        break;
    case LT_ATTR_BOOL:
        ok = cJSON_AddBoolToObject(v, "boolValue", a->u.b) != NULL;
        break;
    case LT_ATTR_INT: {
        char num[24];
        snprintf(num, sizeof(num), "%" PRId64, a->u.i);
        ok = cJSON_AddStringToObject(v, "intValue", num) != NULL;
        break;
    }
    case LT_ATTR_DOUBLE:
        /* proto3 JSON spells the non-finite doubles as strings; cJSON would print null. */
        if (isnan(a->u.d))
            ok = cJSON_AddStringToObject(v, "doubleValue", "NaN") != NULL;
        else if (isinf(a->u.d))
            ok = cJSON_AddStringToObject(v, "doubleValue", a->u.d > 0 ? "Infinity" : "-Infinity") !=
                 NULL;
        else
            ok = cJSON_AddNumberToObject(v, "doubleValue", a->u.d) != NULL;
        break;
    case LT_ATTR_STRING_ARRAY: {
        cJSON *arr = cJSON_AddObjectToObject(v, "arrayValue");
        cJSON *values = arr && a->u.arr.n ? cJSON_AddArrayToObject(arr, "values") : NULL;
        ok = arr && (values || !a->u.arr.n);
        for (size_t i = 0; ok && i < a->u.arr.n; i++) {
            cJSON *e = string_value(a->u.arr.v[i]);
            ok = e != NULL;
            if (ok)
                cJSON_AddItemToArray(values, e);
        }
        break;
    }
    }
    if (!ok) {
        cJSON_Delete(v);
        return NULL;
    }
    return v;
}

/* Add "attributes":[{"key":…,"value":{…}},…] when there are any. */
static bool add_attrs(cJSON *obj, const struct lt_attr *attrs, size_t n)
{
    if (!n)
        return true;
    cJSON *list = cJSON_AddArrayToObject(obj, "attributes");
    if (!list)
        return false;
    for (size_t i = 0; i < n; i++) {
        /* Adding a non-NULL item to a container cannot fail; items join the tree at once
         * so a later failure frees everything with the root. */
        cJSON *kv = cJSON_CreateObject();
        if (!kv)
            return false;
        cJSON_AddItemToArray(list, kv);
        if (!add_text(kv, "key", attrs[i].key))
            return false;
        cJSON *v = any_value(&attrs[i]);
        if (!v)
            return false;
        cJSON_AddItemToObject(kv, "value", v);
    }
    return true;
}

static bool add_span(cJSON *list, const struct lt_span *s)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return false;
    cJSON_AddItemToArray(list, o);
    uint32_t flags = s->trace_flags | SPAN_FLAGS_HAS_IS_REMOTE |
                     (s->has_parent && s->parent_is_remote ? SPAN_FLAGS_IS_REMOTE : 0);
    bool ok =
        add_hex(o, "traceId", s->trace_id, sizeof(s->trace_id)) &&
        add_hex(o, "spanId", s->span_id, sizeof(s->span_id)) &&
        add_str_opt(o, "traceState", s->trace_state) &&
        (!s->has_parent ||
         add_hex(o, "parentSpanId", s->parent_span_id, sizeof(s->parent_span_id))) &&
        cJSON_AddNumberToObject(o, "flags", flags) && add_str_opt(o, "name", s->name) &&
        (s->kind == LT_SPAN_KIND_UNSPECIFIED || cJSON_AddNumberToObject(o, "kind", s->kind)) &&
        (!s->start_ns || add_u64(o, "startTimeUnixNano", s->start_ns)) &&
        (!s->end_ns || add_u64(o, "endTimeUnixNano", s->end_ns)) &&
        add_attrs(o, s->attrs, s->n_attrs) &&
        (!s->dropped_attrs ||
         cJSON_AddNumberToObject(o, "droppedAttributesCount", s->dropped_attrs));
    if (ok && (s->status != LT_STATUS_UNSET || (s->status_message && *s->status_message))) {
        cJSON *st = cJSON_AddObjectToObject(o, "status");
        ok = st && add_str_opt(st, "message", s->status_message) &&
             (s->status == LT_STATUS_UNSET || cJSON_AddNumberToObject(st, "code", s->status));
    }
    return ok;
}

/* Build {"resourceSpans":[{"resource":…,"scopeSpans":[{"scope":…,"spans":[…]}]}]}. */
static cJSON *build(const struct lt_resource *res, const struct lt_span *spans)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    /* Each step runs only when the previous ones succeeded; one Delete frees it all. */
    cJSON *rs_list = cJSON_AddArrayToObject(root, "resourceSpans");
    cJSON *rs = rs_list ? cJSON_CreateObject() : NULL;
    if (rs)
        cJSON_AddItemToArray(rs_list, rs);
    cJSON *resource = rs ? cJSON_AddObjectToObject(rs, "resource") : NULL;
    cJSON *ss_list = resource ? cJSON_AddArrayToObject(rs, "scopeSpans") : NULL;
    cJSON *ss = ss_list ? cJSON_CreateObject() : NULL;
    if (ss)
        cJSON_AddItemToArray(ss_list, ss);
    cJSON *scope = ss ? cJSON_AddObjectToObject(ss, "scope") : NULL;
    bool ok = scope != NULL;
    if (ok && res)
        ok = add_attrs(resource, res->attrs, res->n_attrs) &&
             add_str_opt(scope, "name", res->scope_name) &&
             add_str_opt(scope, "version", res->scope_version);
    if (ok && spans) {
        cJSON *list = cJSON_AddArrayToObject(ss, "spans");
        ok = list != NULL;
        for (const struct lt_span *s = spans; ok && s; s = s->next)
            ok = add_span(list, s);
    }
    if (!ok) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

int lt_otlp_json_encode(const struct lt_resource *res, const struct lt_span *spans, char **out,
                        size_t *len)
{
    *out = NULL;
    *len = 0;
    cJSON *root = build(res, spans);
    if (!root)
        return -ENOMEM;
    /* cJSON allocates with malloc (its hooks are never changed), so callers free(). */
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text)
        return -ENOMEM;
    *out = text;
    *len = strlen(text);
    return 0;
}
