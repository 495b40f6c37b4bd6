/* price.c — the price table (price.h): JSON → a flat array of models, lookup with dated
 * suffixes, cost from usage, llmtap.cost.usd on a span, and the process's table read once
 * on the exporter thread. */
#include "price.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../log.h"

#define PRICE_MAX 1e6 /* USD per 1M tokens: anything above is a typo, not a price */

struct model {
    char id[LT_PRICE_MAX_ID + 1];
    size_t id_len;
    struct lt_price p;
};

struct lt_price_table {
    struct model *m;
    size_t n;
};

/* ---- parsing ---- */

/* A price field: absent → *out untouched and true; present → a finite number in range. */
static bool price_field(const cJSON *o, const char *key, double *out, bool *present)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *present = v != NULL;
    if (!v)
        return true;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0 ||
        v->valuedouble >= PRICE_MAX)
        return false;
    *out = v->valuedouble;
    return true;
}

static int parse_model(const cJSON *e, struct model *m)
{
    const char *id = e->string;
    size_t n = id ? strlen(id) : 0;
    if (!n || n > LT_PRICE_MAX_ID || !cJSON_IsObject(e))
        return -EINVAL;
    memcpy(m->id, id, n + 1);
    m->id_len = n;
    bool has_in, has_out, has_cr, has_cw, has_rs;
    double in = 0, out = 0, cr = 0, cw = 0, rs = 0;
    if (!price_field(e, "input", &in, &has_in) || !price_field(e, "output", &out, &has_out) ||
        !price_field(e, "cached_input", &cr, &has_cr) ||
        !price_field(e, "cache_write", &cw, &has_cw) ||
        !price_field(e, "reasoning", &rs, &has_rs) || !has_in || !has_out)
        return -EINVAL;
    const cJSON *prov = cJSON_GetObjectItemCaseSensitive(e, "provider");
    if (prov && !cJSON_IsString(prov))
        return -EINVAL;
    m->p.input = in;
    m->p.output = out;
    m->p.cached_input = has_cr ? cr : in;
    m->p.cache_write = has_cw ? cw : in;
    m->p.reasoning = has_rs ? rs : out;
    return 0;
}

int lt_price_table_parse(const char *json, size_t len, struct lt_price_table **out)
{
    *out = NULL;
    if (len > LT_PRICE_MAX_FILE)
        return -EFBIG;
    if (!json || !len)
        return -EINVAL;
    /* cJSON bounds nesting (CJSON_NESTING_LIMIT), so a hostile file cannot recurse deeply. */
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root)
        return -EINVAL; /* cJSON cannot tell ENOMEM from a syntax error: call it invalid */
    int rc = -EINVAL;
    struct lt_price_table *t = NULL;
    const cJSON *cur = cJSON_GetObjectItemCaseSensitive(root, "currency");
    const cJSON *models = cJSON_GetObjectItemCaseSensitive(root, "models");
    if (!cJSON_IsObject(root) || !cJSON_IsObject(models))
        goto out;
    if (cur && (!cJSON_IsString(cur) || strcmp(cur->valuestring, "USD") != 0))
        goto out;
    size_t n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, models)
    {
        if (++n > LT_PRICE_MAX_MODELS)
            goto out;
    }
    rc = -ENOMEM;
    t = calloc(1, sizeof(*t));
    if (!t || (n && !(t->m = calloc(n, sizeof(*t->m)))))
        goto out;
    rc = 0;
    cJSON_ArrayForEach(e, models)
    {
        struct model *m = &t->m[t->n];
        if ((rc = parse_model(e, m)) != 0)
            goto out;
        /* A duplicate id (JSON allows it) would make the answer depend on order. */
        for (size_t i = 0; i < t->n; i++)
            if (strcasecmp(t->m[i].id, m->id) == 0) {
                rc = -EINVAL;
                goto out;
            }
        t->n++;
    }
out:
    cJSON_Delete(root);
    if (rc != 0) {
        lt_price_table_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

int lt_price_table_load(const char *path, bool nofollow, struct lt_price_table **out)
{
    *out = NULL;
    if (!path)
        return -EINVAL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
    }
    /* Read at most one byte past the cap, so a file that grows meanwhile is still bounded. */
    char *buf = malloc(LT_PRICE_MAX_FILE + 1);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    size_t len = 0;
    int rc = 0;
    while (len < LT_PRICE_MAX_FILE + 1) {
        ssize_t r = read(fd, buf + len, LT_PRICE_MAX_FILE + 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = -errno;
            break;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    if (rc == 0)
        rc = lt_price_table_parse(buf, len, out);
    free(buf);
    return rc;
}

void lt_price_table_free(struct lt_price_table *t)
{
    if (!t)
        return;
    free(t->m);
    free(t);
}

size_t lt_price_table_count(const struct lt_price_table *t)
{
    return t ? t->n : 0;
}

/* ---- lookup ---- */

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* A version suffix (after the '-'): YYYY-MM-DD, YYYYMMDD, YYMM, NNN or "latest". */
static bool version_suffix(const char *s)
{
    size_t n = strlen(s);
    if (n == 10)
        return digits(s, 4) && s[4] == '-' && digits(s + 5, 2) && s[7] == '-' && digits(s + 8, 2);
    if (n == 8 || n == 4 || n == 3)
        return digits(s, n);
    return strcasecmp(s, "latest") == 0;
}

/* The model id without a provider path: after the last "/models/", or a leading "models/". */
static const char *strip_path(const char *model)
{
    const char *p = model, *hit;
    while ((hit = strstr(p, "/models/")))
        p = hit + 1;
    if (p != model)
        return p + 7;
    return strncmp(model, "models/", 7) == 0 ? model + 7 : model;
}

const struct lt_price *lt_price_lookup(const struct lt_price_table *t, const char *model)
{
    if (!t || !model)
        return NULL;
    const char *id = strip_path(model);
    size_t n = strlen(id);
    const struct model *best = NULL;
    for (size_t i = 0; i < t->n; i++) {
        const struct model *m = &t->m[i];
        if (m->id_len == n && strcasecmp(m->id, id) == 0)
            return &m->p;
        if (m->id_len + 1 < n && id[m->id_len] == '-' && strncasecmp(m->id, id, m->id_len) == 0 &&
            version_suffix(id + m->id_len + 1) && (!best || m->id_len > best->id_len))
            best = m;
    }
    return best ? &best->p : NULL;
}

/* ---- cost ---- */

double lt_price_cost(const struct lt_price *p, const struct lt_price_usage *u)
{
    double in = u->input > 0 ? (double)u->input : 0;
    double cr = u->cache_read > 0 ? (double)u->cache_read : 0;
    double cw = u->cache_write > 0 ? (double)u->cache_write : 0;
    double out = u->output > 0 ? (double)u->output : 0;
    double rs = u->reasoning > 0 ? (double)u->reasoning : 0;
    double uncached = in - cr - cw > 0 ? in - cr - cw : 0;
    double plain_out = out - rs > 0 ? out - rs : 0;
    return (uncached * p->input + cr * p->cached_input + cw * p->cache_write +
            plain_out * p->output + rs * p->reasoning) /
           1e6;
}

static bool span_int(const struct lt_span *s, const char *key, int64_t *out)
{
    const struct lt_attr *a = lt_span_get(s, key);
    if (!a || a->type != LT_ATTR_INT)
        return false;
    *out = a->u.i;
    return true;
}

static const char *span_str(const struct lt_span *s, const char *key)
{
    const struct lt_attr *a = lt_span_get(s, key);
    return a && a->type == LT_ATTR_STRING && a->u.s && *a->u.s ? a->u.s : NULL;
}

int lt_price_apply(const struct lt_price_table *t, struct lt_span *span)
{
    if (!t || !span)
        return 0;
    const char *model = span_str(span, "gen_ai.response.model");
    if (!model)
        model = span_str(span, "gen_ai.request.model");
    const struct lt_price *p = lt_price_lookup(t, model);
    if (!p)
        return 0;
    struct lt_price_usage u = {0};
    bool has_in = span_int(span, "gen_ai.usage.input_tokens", &u.input);
    bool has_out = span_int(span, "gen_ai.usage.output_tokens", &u.output);
    if (!has_in && !has_out)
        return 0;
    span_int(span, "gen_ai.usage.cache_read.input_tokens", &u.cache_read);
    if (!span_int(span, "gen_ai.usage.cache_creation.input_tokens", &u.cache_write))
        span_int(span, "gen_ai.usage.cache_write.input_tokens", &u.cache_write);
    span_int(span, "gen_ai.usage.reasoning.output_tokens", &u.reasoning);
    int rc = lt_span_set_double(span, LT_PRICE_ATTR, lt_price_cost(p, &u));
    return rc == -ENOMEM ? -ENOMEM : 0;
}

/* ---- the process's table ---- */

#define DEFAULT_REL "share/llmtap/prices.json"

/* Process state. `path` is written once by lt_price_configure() before our threads exist;
 * `loaded` and `table` only by the exporter thread (a forked child that copied a half-done
 * load simply loads again: `loaded` is set last). */
static struct {
    char *path;    /* LLMTAP_PRICES, or NULL for the default */
    bool disabled; /* LLMTAP_PRICES=none */
    int loaded;    /* 1 once lt_price_process() has decided */
    struct lt_price_table *table;
} proc;

void lt_price_configure(const char *path)
{
    free(proc.path);
    proc.path = NULL;
    proc.disabled = path && strcmp(path, "none") == 0;
    if (path && *path && !proc.disabled)
        proc.path = strdup(path);
}

/* Try <dir>/<up>DEFAULT_REL for the library's directory `dir` (length dn). */
static struct lt_price_table *try_default(const char *dir, size_t dn, const char *up)
{
    size_t n = dn + 1 + strlen(up) + sizeof(DEFAULT_REL);
    char *p = malloc(n);
    if (!p)
        return NULL;
    memcpy(p, dir, dn);
    p[dn] = '/';
    strcpy(p + dn + 1, up);
    strcat(p, DEFAULT_REL);
    struct lt_price_table *t = NULL;
    int rc = lt_price_table_load(p, false, &t); /* installed next to the library */
    if (rc != 0 && rc != -ENOENT)
        lt_log(LT_LOG_INFO, "price table %s not used: %s", p, strerror(-rc));
    free(p);
    return t;
}

static struct lt_price_table *load_default(void)
{
    Dl_info info;
    if (!dladdr((void *)lt_price_process, &info) || !info.dli_fname)
        return NULL;
    const char *f = info.dli_fname;
    const char *slash = strrchr(f, '/');
    const char *base = slash ? slash + 1 : f;
    if (strncmp(base, "libllmtap", 9) != 0)
        return NULL; /* linked into a test program: no default table */
    const char *dir = slash ? f : ".";
    size_t dn = slash ? (size_t)(slash - f) : 1;
    if (slash == f)
        dn = 0; /* "/libllmtap.so": the root directory */
    struct lt_price_table *t = try_default(dir, dn, "../");
    if (!t)
        t = try_default(dir, dn, "../../");
    if (!t)
        lt_log(LT_LOG_INFO, "no price table next to %s: no llmtap.cost.usd", f);
    return t;
}

const struct lt_price_table *lt_price_process(void)
{
    if (__atomic_load_n(&proc.loaded, __ATOMIC_ACQUIRE))
        return proc.table;
    struct lt_price_table *t = NULL;
    if (proc.disabled) {
        /* LLMTAP_PRICES=none */
    } else if (proc.path) {
        int rc = lt_price_table_load(proc.path, true, &t);
        if (rc != 0)
            lt_log(LT_LOG_WARN, "cannot use LLMTAP_PRICES=%s (%s): no llmtap.cost.usd", proc.path,
                   rc == -EINVAL  ? "not a valid price table"
                   : rc == -EFBIG ? "file too large"
                   : rc == -ELOOP ? "a symbolic link, not followed"
                                  : strerror(-rc));
    } else {
        t = load_default();
    }
    proc.table = t;
    __atomic_store_n(&proc.loaded, 1, __ATOMIC_RELEASE);
    return t;
}
