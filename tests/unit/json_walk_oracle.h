/* json_walk_oracle.h — the property test_json_walk.c and fuzz_json_walk.c check: what the
 * walker of preload/genai/json_walk.h accepts, cJSON (code we did not write) parses into the
 * tree the walker's callbacks saw. An object or array the walker accepts must parse with
 * cJSON_ParseWithLength; its members, in order, must have the keys the callback got and
 * values equal (cJSON_Compare) to their views parsed on their own; and the value readers
 * (lt_json_walk_plain_str, lt_json_walk_int, lt_json_walk_num) must agree with the cJSON item.
 * Refusals are always allowed. A one-pass nested walk (lt_json_walk_object_nested) must
 * report exactly what walking each nested value's text again reports (walk_nested_agrees).
 * Every helper returns false on a disagreement. */
#ifndef LT_TEST_JSON_WALK_ORACLE_H
#define LT_TEST_JSON_WALK_ORACLE_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "genai/json_walk.h"

/** Members (elements) a walk reported, at most 64 kept. */
struct walk_seen {
    size_t n;
    struct {
        const char *k, *v;
        size_t kn, vn;
    } m[64];
    size_t total;
};

static inline bool walk_seen_fn(void *ud, const char *k, size_t kn, const char *v, size_t vn)
{
    struct walk_seen *s = ud;
    if (s->n < 64) {
        s->m[s->n].k = k;
        s->m[s->n].kn = kn;
        s->m[s->n].v = v;
        s->m[s->n].vn = vn;
        s->n++;
    }
    s->total++;
    return true;
}

/** Trees `a` and `b` are equal: types, keys in order, strings, numbers bit for bit
 *  (cJSON_Compare's tolerance makes an overflowed number, inf, unequal to itself). */
static inline bool walk_same_tree(const cJSON *a, const cJSON *b)
{
    if ((a->type & 0xff) != (b->type & 0xff))
        return false;
    if ((a->string == NULL) != (b->string == NULL) || (a->string && strcmp(a->string, b->string)))
        return false;
    if (cJSON_IsNumber(a))
        return memcmp(&a->valuedouble, &b->valuedouble, sizeof(double)) == 0;
    if (cJSON_IsString(a))
        return strcmp(a->valuestring, b->valuestring) == 0;
    const cJSON *x = a->child, *y = b->child;
    for (; x && y; x = x->next, y = y->next)
        if (!walk_same_tree(x, y))
            return false;
    return !x && !y;
}

/** The value readers against the cJSON item `it` parsed from the same text. */
static inline bool walk_readers_agree(const cJSON *it, const char *v, size_t vn)
{
    const char *s;
    size_t len;
    if (lt_json_walk_plain_str(v, vn, &s, &len)) {
        if (!cJSON_IsString(it) || strlen(it->valuestring) != len ||
            memcmp(it->valuestring, s, len) != 0)
            return false;
    } else if (cJSON_IsString(it) && !memchr(v, '\\', vn)) {
        /* refused only for escapes (control bytes: strict JSON has none in strings) */
        return false;
    }
    int64_t x;
    enum lt_json_walk_int r = lt_json_walk_int(v, vn, &x);
    if (r == LT_JSON_INT_NONE && cJSON_IsNumber(it))
        return false;
    if (r == LT_JSON_INT_OK && (!cJSON_IsNumber(it) || it->valuedouble != (double)x))
        return false;
    double d;
    if (lt_json_walk_num(v, vn, &d)) {
        if (!cJSON_IsNumber(it) || memcmp(&d, &it->valuedouble, sizeof(d)) != 0)
            return false;
    } else if (cJSON_IsNumber(it) && isfinite(it->valuedouble)) {
        return false;
    }
    return true;
}

/** Walk `p` (`n` bytes) as an object (`array` false) or array; when accepted, check it
 *  against cJSON. *accepted tells whether the walker accepted it. */
static inline bool walk_agrees(const char *p, size_t n, bool array, bool *accepted)
{
    struct walk_seen seen = {0};
    bool ok = array ? lt_json_walk_array(p, n, walk_seen_fn, &seen)
                    : lt_json_walk_object(p, n, walk_seen_fn, &seen);
    *accepted = ok;
    if (!ok)
        return true;
    cJSON *j = cJSON_ParseWithLength(p, n);
    bool good = j && (array ? cJSON_IsArray(j) : cJSON_IsObject(j)) &&
                (size_t)cJSON_GetArraySize(j) == seen.total;
    const cJSON *it = j ? j->child : NULL;
    for (size_t i = 0; good && i < seen.n; i++, it = it->next) {
        if (array ? seen.m[i].k != NULL
                  : (!it->string || strlen(it->string) != seen.m[i].kn ||
                     memcmp(it->string, seen.m[i].k, seen.m[i].kn) != 0))
            good = false;
        cJSON *v = cJSON_ParseWithLength(seen.m[i].v, seen.m[i].vn);
        /* the standalone value has no key: compare it under the member's */
        if (v)
            v->string = it->string;
        if (!v || !walk_same_tree(v, it) || !walk_readers_agree(it, seen.m[i].v, seen.m[i].vn))
            good = false;
        if (v)
            v->string = NULL;
        cJSON_Delete(v);
    }
    cJSON_Delete(j);
    return good;
}

/* ---- nested walks: one pass (lt_json_walk_object_nested) equals walking each value again ---- */

/** What a walk reported, in order: each member (element) with its depth (1: the top level),
 *  nested members before the member that holds them. At most 512 kept. */
struct walk_log {
    size_t n, total;
    struct {
        int depth;
        const char *k, *v;
        size_t kn, vn;
    } e[512];
};

static inline void walk_log_add(struct walk_log *l, int depth, const char *k, size_t kn,
                                const char *v, size_t vn)
{
    if (l->n < 512) {
        l->e[l->n].depth = depth;
        l->e[l->n].k = k;
        l->e[l->n].kn = kn;
        l->e[l->n].v = v;
        l->e[l->n].vn = vn;
        l->n++;
    }
    l->total++;
}

/** The contexts of a one-pass walk that enters every container: one per level walked. */
struct walk_pool {
    struct walk_log log;
    struct walk_nest {
        struct walk_pool *pool;
        int depth;
    } ctx[256];
    size_t used;
    bool exhausted; /* a container was left unentered: the logs cannot be compared */
};

static inline bool walk_nest_member(void *ud, const char *k, size_t kn, const char *v, size_t vn)
{
    struct walk_nest *c = ud;
    walk_log_add(&c->pool->log, c->depth, k, kn, v, vn);
    return true;
}

static inline int walk_nest_enter(void *ud, const char *k, size_t kn, const char *v,
                                  struct lt_json_walker *inner)
{
    (void)k, (void)kn, (void)v;
    struct walk_nest *c = ud;
    struct walk_pool *pool = c->pool;
    if (pool->used == sizeof(pool->ctx) / sizeof(pool->ctx[0])) {
        pool->exhausted = true;
        return 0;
    }
    struct walk_nest *n = &pool->ctx[pool->used++];
    n->pool = pool;
    n->depth = c->depth + 1;
    *inner = (struct lt_json_walker){walk_nest_member, walk_nest_enter, n};
    return 1;
}

/** The reference: walk `p` (`n` bytes) level by level, each container value walked again on
 *  its own text, logging in the one-pass order (a member's nested members before it).
 *  1: done; 0: a nested walk refused a value the outer walk accepted; -1: a level has more
 *  members than walk_seen keeps (nothing to compare). */
static inline int walk_ref(const char *p, size_t n, bool array, int depth, struct walk_log *l)
{
    struct walk_seen seen = {0};
    bool ok = array ? lt_json_walk_array(p, n, walk_seen_fn, &seen)
                    : lt_json_walk_object(p, n, walk_seen_fn, &seen);
    if (!ok)
        return 0;
    if (seen.total > seen.n)
        return -1;
    for (size_t i = 0; i < seen.n; i++) {
        char c0 = seen.m[i].v[0];
        if (c0 == '{' || c0 == '[') {
            int r = walk_ref(seen.m[i].v, seen.m[i].vn, c0 == '[', depth + 1, l);
            if (r <= 0)
                return r;
        }
        walk_log_add(l, depth, seen.m[i].k, seen.m[i].kn, seen.m[i].v, seen.m[i].vn);
    }
    return 1;
}

/** lt_json_walk_object_nested, entering every container, against lt_json_walk_object: the
 *  same answer, and when accepted the same members (same views) in the one-pass order as
 *  walking every value's text again (walk_ref). */
static inline bool walk_nested_agrees(const char *p, size_t n, bool *accepted)
{
    static struct walk_pool pool; /* large: not on the stack (one fuzz input at a time) */
    static struct walk_log ref;
    memset(&pool, 0, sizeof(pool));
    memset(&ref, 0, sizeof(ref));
    pool.ctx[0].pool = &pool;
    pool.ctx[0].depth = 1;
    pool.used = 1;
    struct lt_json_walker w = {walk_nest_member, walk_nest_enter, &pool.ctx[0]};
    bool ok = lt_json_walk_object_nested(p, n, &w);
    struct walk_seen seen = {0};
    *accepted = ok;
    if (ok != lt_json_walk_object(p, n, walk_seen_fn, &seen))
        return false;
    if (!ok || pool.exhausted)
        return true;
    int r = walk_ref(p, n, false, 1, &ref);
    if (r < 0)
        return true;
    if (r == 0 || ref.total != pool.log.total || ref.n != pool.log.n)
        return false;
    for (size_t i = 0; i < ref.n; i++)
        if (ref.e[i].depth != pool.log.e[i].depth || ref.e[i].k != pool.log.e[i].k ||
            ref.e[i].kn != pool.log.e[i].kn || ref.e[i].v != pool.log.e[i].v ||
            ref.e[i].vn != pool.log.e[i].vn)
            return false;
    return true;
}

#endif
