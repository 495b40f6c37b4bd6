/* fmt.h — the number formatting and statistics the summary and the tree share: counts with
 * k/M suffixes, durations, USD, nearest-rank percentiles, and names cut to a column width.
 * Pure functions, unit-tested in tests/unit/test_cli_fmt.c. */
#ifndef CLI_FMT_H
#define CLI_FMT_H

#include <stddef.h>
#include <stdint.h>

/** Size of a buffer that holds any cli_fmt_* result. */
#define CLI_FMT_MAX 16

/** A count in at most 5 characters: exact below 100000 ("99999"), then "123k", "1.2M",
 *  "12M", "123M", "1.2G"… Writes into out (CLI_FMT_MAX bytes) and returns out. */
char *cli_fmt_count(char out[CLI_FMT_MAX], uint64_t n);

/** A duration given in ns, in at most 6 characters: "0.4ms", "12.3ms", "123ms", "1.23s",
 *  "12.3s", "123s", "17m", "2.1h", "12h", and ">999h" beyond. Returns out. */
char *cli_fmt_dur(char out[CLI_FMT_MAX], uint64_t ns);

/** A cost in USD, at most 7 characters: "0" for 0, "<1e-5" above 0 and below 0.000005,
 *  "0.00024" (5 decimals below 1), "1.2345" (4 below 10), "12.34", "1234", "123k", "1.2M".
 *  Negative or non-finite values print "-". Returns out. */
char *cli_fmt_cost(char out[CLI_FMT_MAX], double usd);

/** The nearest-rank p-th percentile (0 < p <= 100) of v[0..n), which is sorted in place;
 *  0 when n is 0. p50 of {1,2,3,4} is 2; p95 of 20 values is the 19th. */
double cli_percentile(double *v, size_t n, double p);

/** Copy s into out (size width + 1) cut to at most `width` bytes: a longer s keeps its first
 *  width - 1 bytes followed by '~' (a cut never splits a UTF-8 sequence; the result may then
 *  be shorter). Returns out. */
char *cli_abbrev(char *out, size_t width, const char *s);

/** cli_abbrev of s with every control byte (< 0x20, 0x7f) replaced by '?', so that text
 *  from the traffic cannot move the cursor or send terminal escapes. out has width + 1
 *  bytes; s is read up to 255 bytes. Returns out. */
char *cli_clean(char *out, size_t width, const char *s);

#endif
