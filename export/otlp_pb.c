/* otlp_pb.c — binary protobuf encoding of a span batch as one OTLP
 * ExportTraceServiceRequest (collector/trace/v1/trace_service.proto), via protobuf-c.
 * The message tree is laid out in one arena sized up front and packed once with
 * protobuf_c_message_pack() into a buffer sized by an upper bound gathered while the tree
 * is filled (no protobuf_c_message_get_packed_size() walk: it cost a third of the encode).
 * With a scratch (lt_otlp_pb_encode_scratch) both buffers are reused between batches, so a
 * batch allocates nothing but the repaired copies of strings that were not UTF-8. */
#include "otlp.h"

#include <errno.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"
#include "utf8.h"

/* Short names for protobuf-c's generated message types. */
typedef Opentelemetry__Proto__Common__V1__AnyValue pb_any;
typedef Opentelemetry__Proto__Common__V1__ArrayValue pb_array;
typedef Opentelemetry__Proto__Common__V1__KeyValue pb_kv;
typedef Opentelemetry__Proto__Trace__V1__Span pb_span;
typedef Opentelemetry__Proto__Trace__V1__Status pb_status;

/* trace.proto SpanFlags: bit 8 says whether the parent's remoteness is known, bit 9 that
 * the parent is remote. */
#define SPAN_FLAGS_HAS_IS_REMOTE 0x100u
#define SPAN_FLAGS_IS_REMOTE 0x200u

/* Upper bound of the wire size, in bytes, of each part of the message that is not a string
 * (strings add their length plus STR_OVERHEAD; see str()). Every length prefix is a varint
 * of at most 10 bytes and every tag here takes 1 or 2; the constants are well above the
 * sums they cover (listed), so the packed request never outgrows the buffer. */
#define STR_OVERHEAD 16 /* tag 2 + length varint 10 */
#define KV_OVERHEAD                                                                                \
    64                   /* KeyValue tag+len 12, AnyValue tag+len 12, scalar value 12,             \
                            ArrayValue tag+len 12 */
#define ELEM_OVERHEAD 32 /* array element: AnyValue tag+len 12 (its string via str()) */
#define SPAN_OVERHEAD                                                                              \
    256 /* Span tag+len 12, ids 19+11+11, kind 12, two fixed64 times 20,                           \
           dropped count 12, flags fixed32 6, Status tag+len 12, code 12 */
#define REQ_OVERHEAD                                                                               \
    256 /* ResourceSpans, Resource, ScopeSpans, InstrumentationScope:                              \
           tag+len 12 each, their dropped counts 12 each */

/* A bump allocator over one block. With `base` NULL it only measures. Objects taken from
 * it are initialised by their protobuf-c __init function before use. */
struct arena {
    char *base;
    size_t used;
};

static void *take(struct arena *a, size_t n, size_t size)
{
    size_t align = alignof(max_align_t);
    size_t off = (a->used + align - 1) & ~(align - 1);
    a->used = off + n * size;
    return a->base ? a->base + off : NULL;
}

/* The message objects of one batch, carved from the arena and consumed in order while
 * the tree is filled, plus the repaired copies of strings that were not UTF-8. */
struct pools {
    pb_span *span;
    pb_span **span_ptr;
    pb_status *status;
    pb_kv *kv;
    pb_kv **kv_ptr;
    pb_any *any;
    pb_any **any_ptr; /* array elements */
    pb_array *arr;
    char **fixed; /* heap copies to free after packing */
    size_t n_fixed, cap_fixed;
    size_t bound; /* upper bound of the packed size so far, bytes */
    bool nomem;
};

/* The *_ptr pools are arrays of pointers (protobuf-c's repeated message fields), hence the
 * sizeof of a pointer element. */
static void carve(struct pools *p, struct arena *a, size_t n_spans, size_t n_kv, size_t n_any,
                  size_t n_arr)
{
    p->span = take(a, n_spans, sizeof(*p->span));
    p->span_ptr = take(a, n_spans, sizeof(*p->span_ptr)); // NOLINT(bugprone-sizeof-expression)
    p->status = take(a, n_spans, sizeof(*p->status));
    p->kv = take(a, n_kv, sizeof(*p->kv));
    p->kv_ptr = take(a, n_kv, sizeof(*p->kv_ptr)); // NOLINT(bugprone-sizeof-expression)
    p->any = take(a, n_any, sizeof(*p->any));
    p->any_ptr = take(a, n_any - n_kv, sizeof(*p->any_ptr)); // NOLINT(bugprone-sizeof-expression)
    p->arr = take(a, n_arr, sizeof(*p->arr));
}

/* How many KeyValues, AnyValues and ArrayValues an attribute list needs. */
static void count_attrs(const struct lt_attr *attrs, size_t n, size_t *n_kv, size_t *n_any,
                        size_t *n_arr)
{
    *n_kv += n;
    *n_any += n;
    for (size_t i = 0; i < n; i++) {
        if (attrs[i].type == LT_ATTR_STRING_ARRAY) {
            *n_arr += 1;
            *n_any += attrs[i].u.arr.n;
        }
    }
}

/* A string field's value: `s` itself, "" for NULL, or a repaired copy when `s` is not
 * UTF-8; its wire size is added to the bound. protobuf-c wants `char *`; it never writes
 * through it when packing. */
static char *str(struct pools *p, const char *s)
{
    p->bound += STR_OVERHEAD;
    if (!s)
        return "";
    size_t len = 0;
    char *fix = lt_utf8_repair_len(s, &len, &p->nomem);
    p->bound += len;
    if (!fix)
        return (char *)s;
    if (p->n_fixed == p->cap_fixed) {
        size_t cap = p->cap_fixed ? 2 * p->cap_fixed : 8;
        char **nf = realloc(p->fixed, cap * sizeof(*nf));
        if (!nf) {
            free(fix);
            p->nomem = true;
            return "";
        }
        p->fixed = nf;
        p->cap_fixed = cap;
    }
    p->fixed[p->n_fixed++] = fix;
    return fix;
}

/* Fill attrs[0..n) as KeyValues; returns the pointer array for the repeated field. */
static pb_kv **fill_attrs(struct pools *p, const struct lt_attr *attrs, size_t n)
{
    pb_kv **out = p->kv_ptr;
    for (size_t i = 0; i < n; i++) {
        const struct lt_attr *a = &attrs[i];
        pb_kv *kv = p->kv++;
        pb_any *v = p->any++;
        p->bound += KV_OVERHEAD;
        opentelemetry__proto__common__v1__key_value__init(kv);
        opentelemetry__proto__common__v1__any_value__init(v);
        kv->key = str(p, a->key);
        kv->value = v;
        switch (a->type) {
        case LT_ATTR_STRING:
            v->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE;
            v->string_value = str(p, a->u.s);
            break;
        case LT_ATTR_BOOL:
            v->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE;
            v->bool_value = a->u.b;
            break;
        case LT_ATTR_INT:
            v->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE;
            v->int_value = a->u.i;
            break;
        case LT_ATTR_DOUBLE:
            v->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE;
            v->double_value = a->u.d;
            break;
        case LT_ATTR_STRING_ARRAY: {
            pb_array *arr = p->arr++;
            opentelemetry__proto__common__v1__array_value__init(arr);
            arr->n_values = a->u.arr.n;
            arr->values = p->any_ptr;
            for (size_t j = 0; j < a->u.arr.n; j++) {
                pb_any *e = p->any++;
                p->bound += ELEM_OVERHEAD;
                opentelemetry__proto__common__v1__any_value__init(e);
                e->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE;
                e->string_value = str(p, a->u.arr.v[j]);
                *p->any_ptr++ = e;
            }
            v->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE;
            v->array_value = arr;
            break;
        }
        }
        *p->kv_ptr++ = kv;
    }
    return n ? out : NULL;
}

/* The next Span of the pools, filled from `s`. Empty strings, zero numbers and absent
 * messages are left out of the wire form by protobuf-c (proto3 defaults). */
static pb_span *fill_span(struct pools *p, const struct lt_span *s)
{
    pb_span *ps = p->span++;
    p->bound += SPAN_OVERHEAD;
    opentelemetry__proto__trace__v1__span__init(ps);
    ps->trace_id.data = (uint8_t *)s->trace_id;
    ps->trace_id.len = sizeof(s->trace_id);
    ps->span_id.data = (uint8_t *)s->span_id;
    ps->span_id.len = sizeof(s->span_id);
    if (s->has_parent) {
        ps->parent_span_id.data = (uint8_t *)s->parent_span_id;
        ps->parent_span_id.len = sizeof(s->parent_span_id);
    }
    ps->trace_state = str(p, s->trace_state);
    ps->name = str(p, s->name);
    ps->kind = (Opentelemetry__Proto__Trace__V1__Span__SpanKind)s->kind;
    ps->start_time_unix_nano = s->start_ns;
    ps->end_time_unix_nano = s->end_ns;
    /* llmtap always knows whether the parent is remote (SPEC "Trace context"). */
    ps->flags = s->trace_flags | SPAN_FLAGS_HAS_IS_REMOTE |
                (s->has_parent && s->parent_is_remote ? SPAN_FLAGS_IS_REMOTE : 0);
    ps->n_attributes = s->n_attrs;
    ps->attributes = fill_attrs(p, s->attrs, s->n_attrs);
    ps->dropped_attributes_count = s->dropped_attrs;
    /* An absent Status means UNSET (trace.proto), so only set one when there is news. */
    pb_status *st = p->status++;
    if (s->status != LT_STATUS_UNSET || (s->status_message && *s->status_message)) {
        opentelemetry__proto__trace__v1__status__init(st);
        st->code = (Opentelemetry__Proto__Trace__V1__Status__StatusCode)s->status;
        st->message = str(p, s->status_message);
        ps->status = st;
    }
    return ps;
}

/* Make `*buf` (capacity *cap) hold at least `need` bytes, reusing it when it does; one
 * that grew past SCRATCH_KEEP is given back when `need` is under a quarter of it. Contents
 * are not kept. Returns false on ENOMEM (the old buffer stays). */
#define SCRATCH_KEEP ((size_t)4 << 20)
static bool reserve(void **buf, size_t *cap, size_t need)
{
    if (!need)
        need = 1;
    if (*buf && need <= *cap && !(*cap > SCRATCH_KEEP && need < *cap / 4))
        return true;
    size_t want = need + need / 4; /* room for a slightly bigger next batch */
    void *nb = malloc(want);
    if (!nb)
        return false;
    free(*buf);
    *buf = nb;
    *cap = want;
    return true;
}

int lt_otlp_pb_encode_scratch(struct lt_otlp_scratch *sc, const struct lt_resource *res,
                              const struct lt_span *spans, const uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;

    size_t n_spans = 0, n_kv = 0, n_any = 0, n_arr = 0;
    if (res)
        count_attrs(res->attrs, res->n_attrs, &n_kv, &n_any, &n_arr);
    for (const struct lt_span *s = spans; s; s = s->next) {
        n_spans++;
        count_attrs(s->attrs, s->n_attrs, &n_kv, &n_any, &n_arr);
    }
    struct pools p = {0};
    struct arena a = {0};
    carve(&p, &a, n_spans, n_kv, n_any, n_arr); /* measure */
    if (!reserve(&sc->arena, &sc->arena_cap, a.used))
        return -ENOMEM;
    a.base = sc->arena;
    a.used = 0;
    carve(&p, &a, n_spans, n_kv, n_any, n_arr);
    p.bound = REQ_OVERHEAD;

    Opentelemetry__Proto__Common__V1__InstrumentationScope scope =
        OPENTELEMETRY__PROTO__COMMON__V1__INSTRUMENTATION_SCOPE__INIT;
    Opentelemetry__Proto__Resource__V1__Resource resource =
        OPENTELEMETRY__PROTO__RESOURCE__V1__RESOURCE__INIT;
    Opentelemetry__Proto__Trace__V1__ScopeSpans ss =
        OPENTELEMETRY__PROTO__TRACE__V1__SCOPE_SPANS__INIT;
    Opentelemetry__Proto__Trace__V1__ResourceSpans rs =
        OPENTELEMETRY__PROTO__TRACE__V1__RESOURCE_SPANS__INIT;
    Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest req =
        OPENTELEMETRY__PROTO__COLLECTOR__TRACE__V1__EXPORT_TRACE_SERVICE_REQUEST__INIT;
    Opentelemetry__Proto__Trace__V1__ScopeSpans *ss_ptr = &ss;
    Opentelemetry__Proto__Trace__V1__ResourceSpans *rs_ptr = &rs;

    if (res) {
        resource.n_attributes = res->n_attrs;
        resource.attributes = fill_attrs(&p, res->attrs, res->n_attrs);
        scope.name = str(&p, res->scope_name);
        scope.version = str(&p, res->scope_version);
    }
    ss.scope = &scope;
    ss.n_spans = n_spans;
    ss.spans = n_spans ? p.span_ptr : NULL;
    for (size_t i = 0; i < n_spans; i++, spans = spans->next)
        p.span_ptr[i] = fill_span(&p, spans);
    rs.resource = &resource;
    rs.n_scope_spans = 1;
    rs.scope_spans = &ss_ptr;
    req.n_resource_spans = 1;
    req.resource_spans = &rs_ptr;

    int rc = -ENOMEM;
    if (!p.nomem && reserve((void **)&sc->out, &sc->out_cap, p.bound)) {
        *len = opentelemetry__proto__collector__trace__v1__export_trace_service_request__pack(
            &req, sc->out);
        *out = sc->out;
        rc = 0;
    }
    for (size_t k = 0; k < p.n_fixed; k++)
        free(p.fixed[k]);
    free(p.fixed);
    return rc;
}

void lt_otlp_scratch_free(struct lt_otlp_scratch *sc)
{
    if (!sc)
        return;
    free(sc->arena);
    free(sc->out);
    memset(sc, 0, sizeof(*sc));
}

int lt_otlp_pb_encode(const struct lt_resource *res, const struct lt_span *spans, uint8_t **out,
                      size_t *len)
{
    struct lt_otlp_scratch sc = {0};
    const uint8_t *o = NULL;
    int rc = lt_otlp_pb_encode_scratch(&sc, res, spans, &o, len);
    *out = rc == 0 ? sc.out : NULL; /* the caller owns the output buffer */
    if (rc == 0)
        sc.out = NULL;
    lt_otlp_scratch_free(&sc);
    return rc;
}
