/* fmt.c — compact numbers, durations, costs, percentiles and abbreviations (see fmt.h). */
#include "fmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *cli_fmt_count(char out[CLI_FMT_MAX], uint64_t n)
{
    static const char unit[] = "kMGTPE";
    if (n < 100000) {
        snprintf(out, CLI_FMT_MAX, "%llu", (unsigned long long)n);
        return out;
    }
    double v = (double)n / 1000.0; /* n >= 100000: at least "100k" */
    int u = 0;
    while (v >= 999.5 && u < 5) {
        v /= 1000.0;
        u++;
    }
    if (v < 9.95)
        snprintf(out, CLI_FMT_MAX, "%.1f%c", v, unit[u]);
    else
        snprintf(out, CLI_FMT_MAX, "%.0f%c", v, unit[u]);
    return out;
}

char *cli_fmt_dur(char out[CLI_FMT_MAX], uint64_t ns)
{
    double ms = (double)ns / 1e6;
    if (ms < 9.95)
        snprintf(out, CLI_FMT_MAX, "%.1fms", ms);
    else if (ms < 999.5)
        snprintf(out, CLI_FMT_MAX, "%.0fms", ms);
    else if (ms < 9995)
        snprintf(out, CLI_FMT_MAX, "%.2fs", ms / 1e3);
    else if (ms < 99950)
        snprintf(out, CLI_FMT_MAX, "%.1fs", ms / 1e3);
    else if (ms < 999500)
        snprintf(out, CLI_FMT_MAX, "%.0fs", ms / 1e3);
    else if (ms < 99.5 * 60e3)
        snprintf(out, CLI_FMT_MAX, "%.0fm", ms / 60e3);
    else if (ms < 9.95 * 3600e3)
        snprintf(out, CLI_FMT_MAX, "%.1fh", ms / 3600e3);
    else if (ms < 999.5 * 3600e3)
        snprintf(out, CLI_FMT_MAX, "%.0fh", ms / 3600e3);
    else
        snprintf(out, CLI_FMT_MAX, ">999h");
    return out;
}

char *cli_fmt_cost(char out[CLI_FMT_MAX], double usd)
{
    if (!isfinite(usd) || usd < 0)
        snprintf(out, CLI_FMT_MAX, "-");
    else if (usd == 0)
        snprintf(out, CLI_FMT_MAX, "0");
    else if (usd < 0.000005)
        snprintf(out, CLI_FMT_MAX, "<1e-5"); /* would print as 0.00000 */
    else if (usd < 0.999995)
        snprintf(out, CLI_FMT_MAX, "%.5f", usd);
    else if (usd < 9.99995)
        snprintf(out, CLI_FMT_MAX, "%.4f", usd);
    else if (usd < 999.995)
        snprintf(out, CLI_FMT_MAX, "%.2f", usd);
    else if (usd < 99999.5)
        snprintf(out, CLI_FMT_MAX, "%.0f", usd);
    else
        cli_fmt_count(out, (uint64_t)fmin(usd, 1e18));
    return out;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double cli_percentile(double *v, size_t n, double p)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof(*v), cmp_double);
    /* Nearest rank: the smallest value with at least p% of the values at or below it. */
    double r = ceil(p / 100.0 * (double)n);
    size_t k = r < 1 ? 1 : (r > (double)n ? n : (size_t)r);
    return v[k - 1];
}

char *cli_abbrev(char *out, size_t width, const char *s)
{
    size_t n = strlen(s);
    if (n <= width) {
        memcpy(out, s, n + 1);
        return out;
    }
    if (width == 0) {
        out[0] = '\0';
        return out;
    }
    size_t keep = width - 1;
    while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80)
        keep--; /* s[keep] is a continuation byte: the cut would split a character */
    memcpy(out, s, keep);
    out[keep] = '~';
    out[keep + 1] = '\0';
    return out;
}

char *cli_clean(char *out, size_t width, const char *s)
{
    char tmp[256];
    size_t k = 0;
    for (; *s && k < sizeof(tmp) - 1; s++)
        tmp[k++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
    tmp[k] = '\0';
    return cli_abbrev(out, width, tmp);
}
