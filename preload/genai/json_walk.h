/* json_walk.h — reading a few members of a JSON object straight from its text, with no tree
 * and no allocation, for adapters' fast paths (content capture off, adapter.h stream_text).
 *
 * The walker accepts only strict JSON (RFC 8259 §2-§7, nesting at most LT_JSON_WALK_DEPTH,
 * numbers at most 63 bytes, \u escapes only as cJSON accepts them: no lone surrogates) and
 * passes each member's key and the exact text of its value to a callback. Text it accepts is
 * text cJSON_ParseWithLength parses into the tree the callbacks saw, member for member in the
 * same order; anything else — a grammar error, a key holding an escape (its decoded name is
 * not at hand), deeper nesting — is refused, and the caller parses with cJSON instead. Being
 * stricter than cJSON is safe; being laxer is not, so refusal is the answer whenever in
 * doubt. Bytes after the object are ignored, as cJSON_ParseWithLength ignores them. */
#ifndef LT_GENAI_JSON_WALK_H
#define LT_GENAI_JSON_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** 1 where strings are scanned a word (8 bytes) at a time with lt_json_special8 (its
 *  lowest marked byte is the first special byte only in little-endian order), else 0. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LT_JSON_SWAR 1
#else
#define LT_JSON_SWAR 0
#endif

/** The bytes of the little-endian word `w` (8 bytes of a JSON text) that are '"', '\\' or
 *  below 0x20, each as its high bit (0x80 << 8 * index). Only the lowest one set is exact — a
 *  borrow can mark bytes above a true one — so callers use __builtin_ctzll on it, and only
 *  when nonzero, to find the first byte a string scan must look at; 0 means the 8 bytes are
 *  plain string content. */
static inline uint64_t lt_json_special8(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
    return (((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w)) & high;
}

/** The first byte at or after `p` (before `end`) that lt_json_special8 marks — a quote, a
 *  backslash or a control byte — or `end` when none: a string scan's plain run skipped a
 *  word at a time (where LT_JSON_SWAR; else `p` itself, for the caller's byte loop). */
static inline const char *lt_json_skip_plain(const char *p, const char *end)
{
#if LT_JSON_SWAR
    while (end - p >= 8) {
        uint64_t w;
        __builtin_memcpy(&w, p, 8);
        uint64_t m = lt_json_special8(w);
        if (m)
            return p + (__builtin_ctzll(m) >> 3);
        p += 8;
    }
#else
    (void)end;
#endif
    return p;
}

/** Deepest nesting of objects and arrays the walker follows (cJSON's limit is 1000). */
#define LT_JSON_WALK_DEPTH 64

/** Called for one member of the walked object (or element of the walked array: `key` NULL,
 *  `key_len` 0). `key` is the member's name, `key_len` bytes, free of escapes and control
 *  bytes (so equal to its decoded name), not NUL-terminated; `val` the exact text of its
 *  value, `val_len` bytes (a string keeps its quotes). Both point into the walked text.
 *  Return false to stop the walk (it then reports false). */
typedef bool (*lt_json_member_fn)(void *ud, const char *key, size_t key_len, const char *val,
                                  size_t val_len);

/** Walk the object that starts `p` (`n` bytes; JSON whitespace before it is skipped): call
 *  `fn` for every member in order. True when the object is strict JSON within the limits
 *  above, every key is escape-free and `fn` returned true each time; false otherwise (then
 *  `fn` may have been called for some members: callers collect first and act after). */
bool lt_json_walk_object(const char *p, size_t n, lt_json_member_fn fn, void *ud);

/** As lt_json_walk_object for an array: `fn` gets each element with `key` NULL. */
bool lt_json_walk_array(const char *p, size_t n, lt_json_member_fn fn, void *ud);

struct lt_json_walker;

/** Called, when a walker has one, for a member (element) whose value is an object or array,
 *  before that value is scanned: `key`/`key_len` as for lt_json_member_fn, `val` the value's
 *  first byte ('{' or '['; its end is not known yet). Return 1 to have the value walked in
 *  the same pass with `*inner` (zeroed on entry; fill it in: its members are reported before
 *  this member's own lt_json_member_fn call), 0 to have it only scanned, -1 to stop the walk
 *  (it then reports false). */
typedef int (*lt_json_enter_fn)(void *ud, const char *key, size_t key_len, const char *val,
                                struct lt_json_walker *inner);

/** What a walk calls for one object or array: `member` (may be NULL) for every member,
 *  `enter` (may be NULL: nested values are only scanned) for every container value, both
 *  with `ud`. */
struct lt_json_walker {
    lt_json_member_fn member;
    lt_json_enter_fn enter;
    void *ud;
};

/** lt_json_walk_object with nested walks: the object, and every object or array value
 *  w->enter (recursively, its inner walkers' enter) asks for, are walked in one pass over
 *  the text, each byte scanned once — instead of walking a value's text again after the
 *  outer walk has scanned it. Accepts and refuses exactly what lt_json_walk_object does
 *  (unless a callback stops it); a nested walker sees what lt_json_walk_object (or _array)
 *  on that value's text would show it. */
bool lt_json_walk_object_nested(const char *p, size_t n, const struct lt_json_walker *w);

/** A value view from a walk holds a string free of escapes and control bytes: *s and *len get
 *  its bytes (= its decoded value). False for any other value. */
bool lt_json_walk_plain_str(const char *v, size_t n, const char **s, size_t *len);

/** How a value view reads as a cJSON integer (lt_json_int in adapter.h). */
enum lt_json_walk_int {
    LT_JSON_INT_NONE = 0, /* not a number: lt_json_int would say false */
    LT_JSON_INT_OK,       /* an integer of at most 15 digits (sign allowed), in *out */
    LT_JSON_INT_UNSURE,   /* another number (fraction, exponent, more digits) */
};

/** Read a value view as lt_json_int would read the cJSON number it parses to. */
enum lt_json_walk_int lt_json_walk_int(const char *v, size_t n, int64_t *out);

/** Read a value view as lt_json_num (adapter.h) would read the cJSON item it parses to: a
 *  finite number into *out and true; false for anything else. The number's text is
 *  converted as cJSON converts it (strtod after putting the locale's decimal point in place
 *  of '.'), so the double is the same. */
bool lt_json_walk_num(const char *v, size_t n, double *out);

#endif
