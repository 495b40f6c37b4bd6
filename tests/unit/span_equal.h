/* span_equal.h — whether two spans carry the same name, status and attributes (in the same
 * order): for the differential checks of the GenAI fast paths (genai_testutil.h in the unit
 * tests, fuzz_genai.c). */
#ifndef LT_TEST_SPAN_EQUAL_H
#define LT_TEST_SPAN_EQUAL_H

#include <stdbool.h>
#include <string.h>

#include "trace/span.h"

/** Same key, type and value (doubles by ==). */
static inline bool span_attr_equal(const struct lt_attr *a, const struct lt_attr *b)
{
    if (strcmp(a->key, b->key) != 0 || a->type != b->type)
        return false;
    switch (a->type) {
    case LT_ATTR_STRING:
        return strcmp(a->u.s, b->u.s) == 0;
    case LT_ATTR_BOOL:
        return a->u.b == b->u.b;
    case LT_ATTR_INT:
        return a->u.i == b->u.i;
    case LT_ATTR_DOUBLE:
        return a->u.d == b->u.d;
    case LT_ATTR_STRING_ARRAY:
        if (a->u.arr.n != b->u.arr.n)
            return false;
        for (size_t i = 0; i < a->u.arr.n; i++)
            if (strcmp(a->u.arr.v[i], b->u.arr.v[i]) != 0)
                return false;
        return true;
    }
    return false;
}

/** Same name, status, status message and attributes in order. */
static inline bool spans_equal(const struct lt_span *a, const struct lt_span *b)
{
    if (strcmp(a->name, b->name) != 0 || a->status != b->status ||
        (a->status_message == NULL) != (b->status_message == NULL) ||
        (a->status_message && strcmp(a->status_message, b->status_message) != 0) ||
        a->n_attrs != b->n_attrs)
        return false;
    for (size_t i = 0; i < a->n_attrs; i++)
        if (!span_attr_equal(&a->attrs[i], &b->attrs[i]))
            return false;
    return true;
}

#endif
