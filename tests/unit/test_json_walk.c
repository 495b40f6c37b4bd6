/* test_json_walk.c — preload/genai/json_walk.c: what it accepts cJSON parses to the tree its
 * callbacks saw (json_walk_oracle.h), and it refuses every text cJSON would refuse or read
 * differently that a fast path could trip on: grammar errors, lone surrogates, escaped keys,
 * deep nesting, long numbers. Each case is also tried cut short at every byte. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "json_walk_oracle.h"

/* Accepted whole; every prefix agrees with cJSON (accepted or not). */
static const char *const ACCEPT[] = {
    "{}",
    " \t\r\n{ } trailing bytes are ignored, as cJSON ignores them",
    "{\"a\":1}",
    "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1732147200,"
    "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
    "\"content\":\"\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}]}",
    "{\"choices\":[],\"usage\":{\"prompt_tokens\":24,\"completion_tokens\":197,"
    "\"prompt_tokens_details\":{\"cached_tokens\":0},\"completion_tokens_details\":"
    "{\"reasoning_tokens\":0}}}",
    "{ \"a\" : [ 1 , -2.5e+3 , 0.0 , -0 , 1E9 , true , false , null , \"x\" , { } , [ ] ] }",
    "{\"a\":\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00 \\u0000\"}",
    "{\"dup\":1,\"dup\":2}",
    "{\"\":\"empty key\"}",
    "{\"utf8\":\"\xc3\xa9\xe2\x82\xac\"}",
    "{\"n\":123456789012345678901234567890123456789012345678901234567890123}", /* 63 bytes */
};

/* Refused whole (cJSON may or may not parse them; the walker must not accept). */
static const char *const REFUSE[] = {
    "",
    "[]", /* an object was asked for */
    "{",
    "{\"a\"}",
    "{\"a\":}",
    "{\"a\":1,}",
    "{\"a\":1 \"b\":2}",
    "{a:1}",
    "{\"a\":01}",
    "{\"a\":1.}",
    "{\"a\":.5}",
    "{\"a\":+1}",
    "{\"a\":-}",
    "{\"a\":1e}",
    "{\"a\":0x1F}",
    "{\"a\":tru}",
    "{\"a\":nul}",
    "{\"a\":truex}",
    "{\"a\":\"\\x\"}",
    "{\"a\":\"\\u12G4\"}",
    "{\"a\":\"\\uDC00\"}",        /* a lone low surrogate: cJSON fails */
    "{\"a\":\"\\uD800\"}",        /* a high one without a low one */
    "{\"a\":\"\\uD800\\u0041\"}", /* followed by a non-surrogate */
    "{\"a\":\"tab\there\"}",      /* a raw control byte */
    "{\"a\\u0062\":1}",           /* an escaped key */
    "{\"a\\n\":1}",
    "{\"a\x01\":1}",
    "{\x01\"a\":1}", /* cJSON's whitespace (bytes <= 0x20) is wider than JSON's */
    "{\"a\":[1,2}",
    "{\"a\":{\"b\":1]}",
    "{\"n\":1234567890123456789012345678901234567890123456789012345678901234}", /* 64 */
    "\xef\xbb\xbf{}",                                                           /* a BOM */
};

static void check_all_prefixes(const char *t, size_t n, bool array)
{
    bool accepted;
    for (size_t k = 0; k <= n; k++) {
        assert_true(walk_agrees(t, k, array, &accepted));
        assert_true(walk_nested_agrees(t, k, &accepted));
    }
}

/* Every text of `table` (`n`) walked as an object agrees with cJSON, is accepted exactly when
 * `accept`, and agrees at every prefix. */
static void check_table(const char *const *table, size_t n, bool accept)
{
    for (size_t i = 0; i < n; i++) {
        bool accepted;
        size_t len = strlen(table[i]);
        assert_true(walk_agrees(table[i], len, false, &accepted));
        if (accepted != accept)
            fail_msg("%s: %s", accepted ? "accepted" : "refused", table[i]);
        assert_true(walk_nested_agrees(table[i], len, &accepted));
        if (accepted != accept)
            fail_msg("%s: %s", accepted ? "accepted" : "refused", table[i]);
        check_all_prefixes(table[i], len, false);
    }
}

static void test_accepts(void **state)
{
    (void)state;
    check_table(ACCEPT, sizeof(ACCEPT) / sizeof(ACCEPT[0]), true);
}

static void test_refuses(void **state)
{
    (void)state;
    check_table(REFUSE, sizeof(REFUSE) / sizeof(REFUSE[0]), false);
}

/* Nesting: LT_JSON_WALK_DEPTH levels are walked, one more is refused. */
static void test_depth(void **state)
{
    (void)state;
    char buf[4 * LT_JSON_WALK_DEPTH + 16];
    for (int depth = LT_JSON_WALK_DEPTH; depth <= LT_JSON_WALK_DEPTH + 1; depth++) {
        size_t n = 0;
        buf[n++] = '{';
        buf[n++] = '"';
        buf[n++] = 'a';
        buf[n++] = '"';
        buf[n++] = ':';
        for (int i = 1; i < depth; i++)
            buf[n++] = '[';
        buf[n++] = '1';
        for (int i = 1; i < depth; i++)
            buf[n++] = ']';
        buf[n++] = '}';
        bool accepted;
        assert_true(walk_agrees(buf, n, false, &accepted));
        assert_int_equal(accepted, depth == LT_JSON_WALK_DEPTH);
        assert_true(walk_nested_agrees(buf, n, &accepted));
        assert_int_equal(accepted, depth == LT_JSON_WALK_DEPTH);
    }
}

static void test_arrays(void **state)
{
    (void)state;
    bool accepted;
    const char *a = "[{\"index\":0,\"finish_reason\":\"stop\"},1,\"x\",[],null]";
    assert_true(walk_agrees(a, strlen(a), true, &accepted));
    assert_true(accepted);
    check_all_prefixes(a, strlen(a), true);
    assert_true(walk_agrees("[1,]", 4, true, &accepted));
    assert_false(accepted);
    assert_true(walk_agrees("{}", 2, true, &accepted));
    assert_false(accepted);
}

/* A callback's false answer stops the walk, which then reports false. */
static bool stop_at_b(void *ud, const char *k, size_t kn, const char *v, size_t vn)
{
    (void)v, (void)vn;
    int *calls = ud;
    (*calls)++;
    return !(kn == 1 && k[0] == 'b');
}

static void test_stop(void **state)
{
    (void)state;
    int calls = 0;
    const char *t = "{\"a\":1,\"b\":2,\"c\":3}";
    assert_false(lt_json_walk_object(t, strlen(t), stop_at_b, &calls));
    assert_int_equal(calls, 2);
}

/* In a one-pass nested walk, enter's -1 and an inner walker's false each stop the walk. */
static int enter_refuse_b(void *ud, const char *k, size_t kn, const char *v,
                          struct lt_json_walker *inner)
{
    (void)v;
    if (kn == 1 && k[0] == 'b')
        return -1;
    *inner = (struct lt_json_walker){stop_at_b, NULL, ud};
    return 1;
}

static void test_nested_stop(void **state)
{
    (void)state;
    int calls = 0;
    struct lt_json_walker refuse = {NULL, enter_refuse_b, &calls};
    const char *t = "{\"a\":{\"x\":1},\"b\":[2],\"c\":3}";
    assert_false(lt_json_walk_object_nested(t, 12, &refuse)); /* cut short */
    assert_false(lt_json_walk_object_nested(t, strlen(t), &refuse));
    const char *u = "{\"a\":{\"x\":1},\"c\":3}";
    calls = 0;
    assert_true(lt_json_walk_object_nested(u, strlen(u), &refuse));
    assert_int_equal(calls, 1); /* x, through the inner walker */
    const char *v = "{\"a\":{\"x\":1,\"b\":2,\"y\":3},\"c\":3}";
    calls = 0;
    assert_false(lt_json_walk_object_nested(v, strlen(v), &refuse)); /* inner b: false */
    assert_int_equal(calls, 2);
}

static void test_readers(void **state)
{
    (void)state;
    const char *s;
    size_t n;
    assert_true(lt_json_walk_plain_str("\"ab\"", 4, &s, &n));
    assert_int_equal(n, 2);
    assert_memory_equal(s, "ab", 2);
    assert_true(lt_json_walk_plain_str("\"\"", 2, &s, &n));
    assert_int_equal(n, 0);
    assert_false(lt_json_walk_plain_str("\"a\\nb\"", 6, &s, &n));
    assert_false(lt_json_walk_plain_str("12", 2, &s, &n));
    int64_t x;
    assert_int_equal(lt_json_walk_int("12", 2, &x), LT_JSON_INT_OK);
    assert_int_equal(x, 12);
    assert_int_equal(lt_json_walk_int("-7", 2, &x), LT_JSON_INT_OK);
    assert_int_equal(x, -7);
    assert_int_equal(lt_json_walk_int("999999999999999", 15, &x), LT_JSON_INT_OK);
    assert_int_equal(x, 999999999999999LL);
    assert_int_equal(lt_json_walk_int("1000000000000000", 16, &x), LT_JSON_INT_UNSURE);
    assert_int_equal(lt_json_walk_int("1.0", 3, &x), LT_JSON_INT_UNSURE);
    assert_int_equal(lt_json_walk_int("1e2", 3, &x), LT_JSON_INT_UNSURE);
    assert_int_equal(lt_json_walk_int("\"1\"", 3, &x), LT_JSON_INT_NONE);
    assert_int_equal(lt_json_walk_int("null", 4, &x), LT_JSON_INT_NONE);
    assert_int_equal(lt_json_walk_int("{}", 2, &x), LT_JSON_INT_NONE);
    double d;
    assert_true(lt_json_walk_num("0.7", 3, &d));
    assert_true(d == 0.7);
    assert_true(lt_json_walk_num("-1e-1", 5, &d));
    assert_true(d == -0.1);
    assert_false(lt_json_walk_num("1e999", 5, &d)); /* inf: lt_json_num says false */
    assert_false(lt_json_walk_num("\"1\"", 3, &d));
    assert_false(lt_json_walk_num("1.", 2, &d));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts), cmocka_unit_test(test_refuses),
        cmocka_unit_test(test_depth),   cmocka_unit_test(test_arrays),
        cmocka_unit_test(test_stop),    cmocka_unit_test(test_nested_stop),
        cmocka_unit_test(test_readers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
