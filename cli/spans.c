/* spans.c — reads an OTLP JSON lines file into a span list (see spans.h). Lines are parsed
 * one at a time with cJSON; every field is optional and a wrong type reads as absent. */
#include "spans.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A hex id of exactly `len` digits (OTLP JSON trace and span ids), else "": ids are printed
 * and compared, so nothing else passes. */
static const char *id_field(const cJSON *o, const char *key, size_t len)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v) || !v->valuestring || strlen(v->valuestring) != len ||
        strspn(v->valuestring, "0123456789abcdefABCDEF") != len)
        return "";
    return v->valuestring;
}

static const char *str_field(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : "";
}

/* OTLP JSON writes 64-bit integers as decimal strings; accept numbers as well. */
static bool u64_field(const cJSON *o, const char *key, uint64_t *v)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsString(f) && f->valuestring) {
        char *end;
        errno = 0;
        unsigned long long x = strtoull(f->valuestring, &end, 10);
        if (errno || end == f->valuestring || *end || f->valuestring[0] == '-')
            return false;
        *v = x;
        return true;
    }
    if (cJSON_IsNumber(f) && f->valuedouble >= 0 && f->valuedouble < 1.8e19) {
        *v = (uint64_t)f->valuedouble;
        return true;
    }
    return false;
}

static int int_field(const cJSON *o, const char *key)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(f) ? f->valueint : 0;
}

static int push_span(struct cli_spans *s, size_t *cap, const struct cli_span *sp)
{
    if (s->n_spans == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        struct cli_span *n = realloc(s->spans, ncap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        s->spans = n;
        *cap = ncap;
    }
    s->spans[s->n_spans++] = *sp;
    return 0;
}

/* Append the spans of one TracesData object. */
static int add_doc_spans(struct cli_spans *s, size_t *cap, const cJSON *doc)
{
    const cJSON *rs_list = cJSON_GetObjectItemCaseSensitive(doc, "resourceSpans");
    const cJSON *rs;
    cJSON_ArrayForEach(rs, rs_list)
    {
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(rs, "resource");
        const cJSON *rattrs = cJSON_GetObjectItemCaseSensitive(res, "attributes");
        const cJSON *ss;
        cJSON_ArrayForEach(ss, cJSON_GetObjectItemCaseSensitive(rs, "scopeSpans"))
        {
            const cJSON *o;
            cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(ss, "spans"))
            {
                if (!cJSON_IsObject(o))
                    continue;
                struct cli_span sp = {0};
                sp.trace_id = id_field(o, "traceId", 32);
                sp.span_id = id_field(o, "spanId", 16);
                sp.parent_id = id_field(o, "parentSpanId", 16);
                sp.name = str_field(o, "name");
                sp.kind = int_field(o, "kind");
                if (!u64_field(o, "startTimeUnixNano", &sp.start_ns))
                    sp.start_ns = 0;
                if (!u64_field(o, "endTimeUnixNano", &sp.end_ns))
                    sp.end_ns = 0;
                const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "status");
                sp.status = int_field(st, "code");
                sp.status_msg = str_field(st, "message");
                const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "attributes");
                sp.attrs = cJSON_IsArray(a) ? a : NULL;
                sp.resource = cJSON_IsArray(rattrs) ? rattrs : NULL;
                int rc = push_span(s, cap, &sp);
                if (rc)
                    return rc;
            }
        }
    }
    return 0;
}

int cli_spans_load(const char *path, long offset, struct cli_spans *out)
{
    memset(out, 0, sizeof(*out));
    FILE *f = fopen(path, "r");
    if (!f)
        return -errno;
    if (offset > 0 && fseek(f, offset, SEEK_SET) != 0) {
        int e = errno;
        fclose(f);
        return -e;
    }
    size_t doc_cap = 0, span_cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t n;
    int rc = 0;
    while (!rc && (n = getline(&line, &lcap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0)
            continue;
        cJSON *doc = cJSON_ParseWithLength(line, (size_t)n);
        if (!cJSON_IsObject(doc)) {
            cJSON_Delete(doc);
            out->bad_lines++;
            continue;
        }
        if (out->n_docs == doc_cap) {
            size_t ncap = doc_cap ? doc_cap * 2 : 16;
            cJSON **d = realloc(out->docs, ncap * sizeof(cJSON *));
            if (!d) {
                cJSON_Delete(doc);
                rc = -ENOMEM;
                break;
            }
            out->docs = d;
            doc_cap = ncap;
        }
        out->docs[out->n_docs++] = doc;
        rc = add_doc_spans(out, &span_cap, doc);
    }
    if (!rc && ferror(f))
        rc = -EIO;
    free(line);
    fclose(f);
    return rc;
}

void cli_spans_free(struct cli_spans *s)
{
    for (size_t i = 0; i < s->n_docs; i++)
        cJSON_Delete(s->docs[i]);
    free(s->docs);
    free(s->spans);
    memset(s, 0, sizeof(*s));
}

/* The AnyValue object of attribute `key`, or NULL. */
static const cJSON *attr_value(const cJSON *attrs, const char *key)
{
    const cJSON *kv;
    cJSON_ArrayForEach(kv, attrs)
    {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(kv, "key");
        if (cJSON_IsString(k) && k->valuestring && strcmp(k->valuestring, key) == 0)
            return cJSON_GetObjectItemCaseSensitive(kv, "value");
    }
    return NULL;
}

const char *cli_attr_str(const cJSON *attrs, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(attr_value(attrs, key), "stringValue");
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool cli_attr_int(const cJSON *attrs, const char *key, int64_t *v)
{
    const cJSON *i = cJSON_GetObjectItemCaseSensitive(attr_value(attrs, key), "intValue");
    if (cJSON_IsString(i) && i->valuestring) {
        char *end;
        errno = 0;
        long long x = strtoll(i->valuestring, &end, 10);
        if (errno || end == i->valuestring || *end)
            return false;
        *v = x;
        return true;
    }
    if (cJSON_IsNumber(i) && fabs(i->valuedouble) < 9.2e18) {
        *v = (int64_t)i->valuedouble;
        return true;
    }
    return false;
}

bool cli_attr_double(const cJSON *attrs, const char *key, double *v)
{
    const cJSON *val = attr_value(attrs, key);
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(val, "doubleValue");
    if (cJSON_IsNumber(d) && isfinite(d->valuedouble)) {
        *v = d->valuedouble;
        return true;
    }
    int64_t i;
    if (cli_attr_int(attrs, key, &i)) {
        *v = (double)i;
        return true;
    }
    return false;
}

static const struct cli_spans *ord_base;

static int cmp_trace(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int c = strcmp(ord_base->spans[x].trace_id, ord_base->spans[y].trace_id);
    return c ? c : (x > y) - (x < y);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

long cli_spans_trace_ordinals(const struct cli_spans *s, size_t *ord)
{
    size_t n = s->n_spans;
    if (!n)
        return 0;
    size_t *idx = malloc(n * sizeof(*idx));
    size_t *first = malloc(n * sizeof(*first));
    if (!idx || !first) {
        free(idx);
        free(first);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    ord_base = s;
    qsort(idx, n, sizeof(*idx), cmp_trace); /* by trace id, then file position */
    size_t nt = 0;
    for (size_t k = 0; k < n; k++)
        if (k == 0 || strcmp(s->spans[idx[k]].trace_id, s->spans[idx[k - 1]].trace_id) != 0)
            first[nt++] = idx[k]; /* the group's first span in the file */
    qsort(first, nt, sizeof(*first), cmp_size);
    /* first[] is now in appearance order; give each group its rank. */
    for (size_t t = 0; t < nt; t++)
        ord[first[t]] = t;
    for (size_t k = 1; k < n; k++)
        if (strcmp(s->spans[idx[k]].trace_id, s->spans[idx[k - 1]].trace_id) == 0)
            ord[idx[k]] = ord[idx[k - 1]];
    free(idx);
    free(first);
    return (long)nt;
}

uint64_t cli_span_duration(const struct cli_span *s)
{
    return s->start_ns && s->end_ns >= s->start_ns ? s->end_ns - s->start_ns : 0;
}

bool cli_span_is_call(const struct cli_span *s)
{
    return cli_attr_str(s->attrs, "gen_ai.provider.name") != NULL;
}

bool cli_span_is_error(const struct cli_span *s)
{
    return s->status == CLI_STATUS_ERROR || cli_attr_str(s->attrs, "error.type") != NULL;
}
