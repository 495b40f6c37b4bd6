/* span.c — span records and their attribute setters (see span.h). Attribute count and
 * value-length limits follow the OTel SDK spec ("Attribute Limits"): values are cut on a
 * UTF-8 boundary, refused attributes are counted in dropped_attrs. */
#include "span.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The process-wide key table: attribute keys are few and repeat on every span (the SPEC's
 * names), so the setters share one copy of each instead of a malloc+copy+free per
 * attribute. Insert-only and lock-free (compare-and-swap on a slot; safe in a fork child
 * and from any thread); entries are never freed. Bounded: KEY_TABLE_MAX keys of at most
 * KEY_SHARED_MAX bytes (64 KiB); past that, keys are copied per attribute as before. */
#define KEY_TABLE_SLOTS 1024u /* power of two, open addressing */
#define KEY_TABLE_MAX 512u    /* keys kept: the table stays at most half full */
#define KEY_SHARED_MAX 128u   /* longer keys are not shared */

struct shared_key {
    uint32_t hash;
    char s[]; /* NUL-terminated */
};
static struct shared_key *key_table[KEY_TABLE_SLOTS];
static unsigned key_count; /* atomic: entries claimed */

_Static_assert(sizeof(struct lt_attr) <= 32, "struct lt_attr grew: see span.h");

struct lt_span_limits lt_span_limits = {.attr_count = 128, .value_length = 0};

struct lt_span *lt_span_new(const char *name, enum lt_span_kind kind)
{
    struct lt_span *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->name = strdup(name ? name : "");
    if (!s->name) {
        free(s);
        return NULL;
    }
    s->kind = kind;
    return s;
}

static void attr_clear(struct lt_attr *a)
{
    if (a->type == LT_ATTR_STRING) {
        free(a->u.s);
    } else if (a->type == LT_ATTR_STRING_ARRAY) {
        for (size_t i = 0; i < a->u.arr.n; i++)
            free(a->u.arr.v[i]);
        free(a->u.arr.v);
    }
    memset(&a->u, 0, sizeof(a->u));
}

void lt_span_free(struct lt_span *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_attrs; i++) {
        attr_clear(&s->attrs[i]);
        if (!s->attrs[i].key_shared)
            free(s->attrs[i].key);
    }
    free(s->attrs);
    free(s->name);
    free(s->status_message);
    free(s->trace_state);
    free(s);
}

void lt_span_free_list(struct lt_span *s)
{
    while (s) {
        struct lt_span *next = s->next;
        lt_span_free(s);
        s = next;
    }
}

int lt_span_set_name(struct lt_span *s, const char *name)
{
    char *n = strdup(name ? name : "");
    if (!n)
        return -ENOMEM;
    free(s->name);
    s->name = n;
    return 0;
}

/* Length of the longest prefix of p[0..n) no longer than `limit` that does not end inside
 * a UTF-8 sequence. */
static size_t utf8_cut(const char *p, size_t n, size_t limit)
{
    if (!limit || n <= limit)
        return n;
    size_t cut = limit;
    /* Step back over continuation bytes (10xxxxxx) to the start of the cut character. */
    while (cut > 0 && ((unsigned char)p[cut] & 0xC0) == 0x80)
        cut--;
    return cut;
}

static char *dup_value(const char *v, size_t n)
{
    n = utf8_cut(v, n, lt_span_limits.value_length);
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, v, n);
    d[n] = '\0';
    return d;
}

/* The hash of `key` (`len` bytes): its length and its first and last 8 bytes, mixed. Cheap
 * on the long dotted keys of the semantic conventions (which differ in length or near an
 * end); keys that agree there collide and are told apart by the strcmp after it. */
static uint32_t key_hash(const char *key, size_t len)
{
    uint64_t a = 0, b = 0;
    if (len >= 8) {
        memcpy(&a, key, 8);
        memcpy(&b, key + len - 8, 8);
    } else {
        for (size_t i = 0; i < len; i++)
            a = a << 8 | (unsigned char)key[i];
    }
    uint64_t x = (a ^ (b << 23 | b >> 41) ^ len) * 0x9E3779B97F4A7C15ull;
    uint32_t h = (uint32_t)(x >> 32);
    return h ? h : 1;
}

uint32_t lt_span_key_hash(const char *key)
{
    return key_hash(key, strlen(key));
}

/* The shared copy of `key` (hash `h`, length `len`), inserted if need be; NULL when the key
 * is too long, the table is full or on ENOMEM (the caller copies the key itself). */
static char *shared_key(const char *key, uint32_t h, size_t len)
{
    if (len >= KEY_SHARED_MAX)
        return NULL;
    struct shared_key *mine = NULL;
    for (uint32_t i = h, n = 0; n < KEY_TABLE_SLOTS; i++, n++) {
        struct shared_key **slotp = &key_table[i & (KEY_TABLE_SLOTS - 1)];
        struct shared_key *e = __atomic_load_n(slotp, __ATOMIC_ACQUIRE);
        if (!e) {
            if (!mine) {
                if (__atomic_add_fetch(&key_count, 1, __ATOMIC_RELAXED) > KEY_TABLE_MAX)
                    return NULL; /* full (the count stays past the limit: no retries) */
                mine = malloc(sizeof(*mine) + len + 1);
                if (!mine) {
                    __atomic_sub_fetch(&key_count, 1, __ATOMIC_RELAXED);
                    return NULL;
                }
                mine->hash = h;
                memcpy(mine->s, key, len + 1);
            }
            if (__atomic_compare_exchange_n(slotp, &e, mine, false, __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE))
                return mine->s;
            /* Another thread filled the slot first: `e` is its entry, compare it below. */
        }
        if (e->hash == h && strcmp(e->s, key) == 0) {
            if (mine) {
                free(mine);
                __atomic_sub_fetch(&key_count, 1, __ATOMIC_RELAXED);
            }
            return e->s;
        }
    }
    if (mine) {
        free(mine);
        __atomic_sub_fetch(&key_count, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

/* The attribute named `key` (hash `h`), or NULL. Keys set through the setters carry their
 * hash, so most mismatches cost one integer compare instead of a strcmp. Newest first: an
 * attribute read back or set again (a stream's response attributes) is usually a recent
 * one. */
static struct lt_attr *find(const struct lt_span *s, const char *key, uint32_t h)
{
    for (size_t i = s->n_attrs; i-- > 0;) {
        struct lt_attr *a = &s->attrs[i];
        if ((a->key_hash == h || a->key_hash == 0) && strcmp(a->key, key) == 0)
            return a;
    }
    return NULL;
}

/* The slot for `key`: the existing attribute (cleared) or a new one. NULL when the count
 * limit refuses it (-ENOSPC in *err) or on ENOMEM. */
static struct lt_attr *slot(struct lt_span *s, const char *key, int *err)
{
    size_t len = strlen(key);
    uint32_t h = key_hash(key, len);
    struct lt_attr *found = find(s, key, h);
    if (found) {
        attr_clear(found);
        return found;
    }
    if (lt_span_limits.attr_count && s->n_attrs >= lt_span_limits.attr_count) {
        s->dropped_attrs++;
        *err = -ENOSPC;
        return NULL;
    }
    if (s->n_attrs == s->cap_attrs) {
        size_t cap = s->cap_attrs ? s->cap_attrs * 2 : 32; /* an inference span has ~25 */
        struct lt_attr *na = realloc(s->attrs, cap * sizeof(*na));
        if (!na) {
            *err = -ENOMEM;
            return NULL;
        }
        s->attrs = na;
        s->cap_attrs = cap;
    }
    struct lt_attr *a = &s->attrs[s->n_attrs];
    memset(a, 0, sizeof(*a));
    a->key = shared_key(key, h, len);
    a->key_shared = a->key != NULL;
    if (!a->key) {
        a->key = malloc(len + 1);
        if (!a->key) {
            *err = -ENOMEM;
            return NULL;
        }
        memcpy(a->key, key, len + 1);
    }
    a->key_hash = h;
    s->n_attrs++;
    return a;
}

/* Undo a slot whose value could not be stored: drop it (it is always the last or a
 * replaced one; a replaced one becomes an empty string so the array stays dense). */
static int slot_failed(struct lt_span *s, struct lt_attr *a)
{
    if (a == &s->attrs[s->n_attrs - 1]) {
        if (!a->key_shared)
            free(a->key);
        s->n_attrs--;
    } else {
        a->type = LT_ATTR_STRING;
        a->u.s = NULL;
    }
    return -ENOMEM;
}

int lt_span_set_strn(struct lt_span *s, const char *key, const char *val, size_t len)
{
    int err = 0;
    struct lt_attr *a = slot(s, key, &err);
    if (!a)
        return err;
    a->type = LT_ATTR_STRING;
    a->u.s = dup_value(val ? val : "", val ? len : 0);
    return a->u.s ? 0 : slot_failed(s, a);
}

int lt_span_set_str(struct lt_span *s, const char *key, const char *val)
{
    return lt_span_set_strn(s, key, val, val ? strlen(val) : 0);
}

int lt_span_set_int(struct lt_span *s, const char *key, int64_t v)
{
    int err = 0;
    struct lt_attr *a = slot(s, key, &err);
    if (!a)
        return err;
    a->type = LT_ATTR_INT;
    a->u.i = v;
    return 0;
}

int lt_span_set_double(struct lt_span *s, const char *key, double v)
{
    int err = 0;
    struct lt_attr *a = slot(s, key, &err);
    if (!a)
        return err;
    a->type = LT_ATTR_DOUBLE;
    a->u.d = v;
    return 0;
}

int lt_span_set_bool(struct lt_span *s, const char *key, bool v)
{
    int err = 0;
    struct lt_attr *a = slot(s, key, &err);
    if (!a)
        return err;
    a->type = LT_ATTR_BOOL;
    a->u.b = v;
    return 0;
}

int lt_span_set_str_array(struct lt_span *s, const char *key, const char *const *v, size_t n)
{
    int err = 0;
    struct lt_attr *a = slot(s, key, &err);
    if (!a)
        return err;
    a->type = LT_ATTR_STRING_ARRAY;
    a->u.arr.v = n ? calloc(n, sizeof(char *)) : NULL;
    if (n && !a->u.arr.v)
        return slot_failed(s, a);
    for (size_t i = 0; i < n; i++) {
        a->u.arr.v[i] = dup_value(v[i], strlen(v[i]));
        if (!a->u.arr.v[i]) {
            a->u.arr.n = i;
            attr_clear(a);
            return slot_failed(s, a);
        }
    }
    a->u.arr.n = n;
    return 0;
}

const struct lt_attr *lt_span_get(const struct lt_span *s, const char *key)
{
    return find(s, key, lt_span_key_hash(key));
}

void lt_span_set_status(struct lt_span *s, enum lt_status_code code, const char *msg)
{
    s->status = code;
    free(s->status_message);
    s->status_message = NULL;
    if (code == LT_STATUS_ERROR && msg)
        s->status_message = strdup(msg);
}
