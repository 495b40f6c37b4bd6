/* test_cli_fmt.c — the `llmtap` command's pure helpers (cli/fmt.c): compact counts,
 * durations and costs, nearest-rank percentiles, abbreviation to a column width. The
 * command is not part of the library archive, so its source is compiled in here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli/fmt.c"

static void count(void **state)
{
    (void)state;
    char b[CLI_FMT_MAX];
    assert_string_equal(cli_fmt_count(b, 0), "0");
    assert_string_equal(cli_fmt_count(b, 99999), "99999");
    assert_string_equal(cli_fmt_count(b, 100000), "100k");
    assert_string_equal(cli_fmt_count(b, 123456), "123k");
    assert_string_equal(cli_fmt_count(b, 999499), "999k");
    assert_string_equal(cli_fmt_count(b, 999500), "1.0M");
    assert_string_equal(cli_fmt_count(b, 1234567), "1.2M");
    assert_string_equal(cli_fmt_count(b, 12345678), "12M");
    assert_string_equal(cli_fmt_count(b, 123456789), "123M");
    assert_string_equal(cli_fmt_count(b, 4200000000ULL), "4.2G");
    assert_string_equal(cli_fmt_count(b, UINT64_MAX), "18E");
}

static void duration(void **state)
{
    (void)state;
    char b[CLI_FMT_MAX];
    assert_string_equal(cli_fmt_dur(b, 0), "0.0ms");
    assert_string_equal(cli_fmt_dur(b, 400000), "0.4ms");
    assert_string_equal(cli_fmt_dur(b, 9940000), "9.9ms");
    assert_string_equal(cli_fmt_dur(b, 12300000), "12ms");
    assert_string_equal(cli_fmt_dur(b, 999400000), "999ms");
    assert_string_equal(cli_fmt_dur(b, 1234000000), "1.23s");
    assert_string_equal(cli_fmt_dur(b, 12340000000ULL), "12.3s");
    assert_string_equal(cli_fmt_dur(b, 123400000000ULL), "123s");
    assert_string_equal(cli_fmt_dur(b, 1020000000000ULL), "17m");
    assert_string_equal(cli_fmt_dur(b, 7560000000000ULL), "2.1h");
    assert_string_equal(cli_fmt_dur(b, 43200000000000ULL), "12h");
    assert_string_equal(cli_fmt_dur(b, UINT64_MAX), ">999h");
}

static void cost(void **state)
{
    (void)state;
    char b[CLI_FMT_MAX];
    assert_string_equal(cli_fmt_cost(b, 0), "0");
    assert_string_equal(cli_fmt_cost(b, 0.000001), "<1e-5");
    assert_string_equal(cli_fmt_cost(b, 0.000024), "0.00002");
    assert_string_equal(cli_fmt_cost(b, 0.000606), "0.00061");
    assert_string_equal(cli_fmt_cost(b, 1.23456), "1.2346");
    assert_string_equal(cli_fmt_cost(b, 12.345), "12.35");
    assert_string_equal(cli_fmt_cost(b, 1234.4), "1234");
    assert_string_equal(cli_fmt_cost(b, 250000), "250k");
    assert_string_equal(cli_fmt_cost(b, -1), "-");
    assert_string_equal(cli_fmt_cost(b, 0.0 / 0.0), "-");
}

static void percentile(void **state)
{
    (void)state;
    double four[] = {4, 1, 3, 2};
    assert_true(cli_percentile(four, 4, 50) == 2);
    assert_true(cli_percentile(four, 4, 95) == 4);
    assert_true(cli_percentile(four, 4, 25) == 1);
    assert_true(cli_percentile(four, 4, 26) == 2);
    double one[] = {7};
    assert_true(cli_percentile(one, 1, 50) == 7);
    assert_true(cli_percentile(one, 1, 95) == 7);
    assert_true(cli_percentile(NULL, 0, 50) == 0);
    double twenty[20];
    for (int i = 0; i < 20; i++)
        twenty[i] = 20 - i; /* 20..1 */
    assert_true(cli_percentile(twenty, 20, 95) == 19);
    assert_true(cli_percentile(twenty, 20, 50) == 10);
    assert_true(cli_percentile(twenty, 20, 100) == 20);
}

static void abbrev(void **state)
{
    (void)state;
    char b[32];
    assert_string_equal(cli_abbrev(b, 15, "gpt-4o-mini"), "gpt-4o-mini");
    assert_string_equal(cli_abbrev(b, 15, "claude-sonnet-4"), "claude-sonnet-4");
    assert_string_equal(cli_abbrev(b, 15, "claude-sonnet-4-5"), "claude-sonnet-~");
    assert_string_equal(cli_abbrev(b, 1, "ab"), "~");
    assert_string_equal(cli_abbrev(b, 0, "ab"), "");
    /* "aé…": the cut at 3 bytes would split é (2 bytes at offset 1..2): kept whole. */
    assert_string_equal(cli_abbrev(b, 4, "a\xc3\xa9xyz"), "a\xc3\xa9~");
    assert_string_equal(cli_abbrev(b, 3, "a\xc3\xa9xyz"), "a~");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(count),      cmocka_unit_test(duration), cmocka_unit_test(cost),
        cmocka_unit_test(percentile), cmocka_unit_test(abbrev),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
