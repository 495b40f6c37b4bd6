/* json_walk_oracle.h — the property test_json_walk.c and fuzz_json_walk.c check: what the
 * walker of preload/genai/json_walk.h accepts, cJSON (code we did not write) parses into the
 * tree the walker's callbacks saw. An object or array the walker accepts must parse with
 * cJSON_ParseWithLength; its members, in order, must have the keys the callback got and
 * values equal (cJSON_Compare) to their views parsed on their own; and the value readers
 * (lt_json_walk_plain_str, lt_json_walk_int, lt_json_walk_num) must agree with the cJSON item.
 * Refusals are always allowed. Every helper returns false on a disagreement. */
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

#endif
