/* report.c — fills the embedded page template with the trace data (see report.h). */
#include "report.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "summary.h"

char *cli_report_data(const struct cli_spans *s, const char *source, const char *generated)
{
    cJSON *root = cJSON_CreateObject();
    char *summary = cli_summary_text(s);
    cJSON *traces = NULL;
    bool ok = root && summary && cJSON_AddStringToObject(root, "source", source) &&
              cJSON_AddStringToObject(root, "generated", generated) &&
              cJSON_AddStringToObject(root, "summary", summary) &&
              (traces = cJSON_AddArrayToObject(root, "traces")) != NULL;
    /* The documents are shared by reference: no copy of a large file. */
    for (size_t i = 0; ok && i < s->n_docs; i++)
        ok = cJSON_AddItemReferenceToArray(traces, s->docs[i]);
    char *json = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    free(summary);
    if (!json)
        return NULL;
    /* '<', '>' and '&' only occur inside JSON strings, where \uXXXX is equivalent. */
    size_t n = 0, extra = 0;
    for (; json[n]; n++)
        extra += json[n] == '<' || json[n] == '>' || json[n] == '&';
    char *out = malloc(n + extra * 5 + 1);
    if (!out) {
        free(json);
        return NULL;
    }
    char *w = out;
    for (const char *p = json; *p; p++) {
        const char *esc = *p == '<'   ? "\\u003c"
                          : *p == '>' ? "\\u003e"
                          : *p == '&' ? "\\u0026"
                                      : NULL;
        if (esc) {
            memcpy(w, esc, 6);
            w += 6;
        } else {
            *w++ = *p;
        }
    }
    *w = '\0';
    free(json);
    return out;
}

/* The template split at its placeholder; -EINVAL when it is not there exactly once. */
static int split_template(size_t *before, size_t *after)
{
    const char *t = (const char *)cli_report_html;
    size_t n = cli_report_html_len, pl = strlen(CLI_REPORT_PLACEHOLDER), found = 0, at = 0;
    for (size_t i = 0; i + pl <= n; i++)
        if (memcmp(t + i, CLI_REPORT_PLACEHOLDER, pl) == 0) {
            found++;
            at = i;
        }
    if (found != 1)
        return -EINVAL;
    *before = at;
    *after = at + pl;
    return 0;
}

static void report_usage(FILE *f)
{
    fprintf(f, "usage: llmtap report FILE.jsonl [-o OUT.html]\n");
}

int cli_report_main(int argc, char **argv)
{
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *out_path = NULL;
    int c;
    optind = 1;
    /* Options may follow the file name (`report FILE -o OUT`): permute here. */
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out_path = optarg;
            break;
        case 'h':
            report_usage(stdout);
            return 0;
        default:
            report_usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        report_usage(stderr);
        return 2;
    }
    const char *in = argv[optind];
    size_t before, after;
    if (split_template(&before, &after)) {
        fprintf(stderr, "llmtap: the embedded report template has no single %s\n",
                CLI_REPORT_PLACEHOLDER);
        return 1;
    }
    struct cli_spans s;
    int rc = cli_spans_load(in, 0, &s);
    if (rc) {
        fprintf(stderr, "llmtap: %s: %s\n", in, strerror(-rc));
        cli_spans_free(&s);
        return 1;
    }
    if (s.bad_lines)
        fprintf(stderr, "llmtap: %s: %zu line(s) skipped (not OTLP JSON)\n", in, s.bad_lines);
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    const char *base = strrchr(in, '/');
    char *data = cli_report_data(&s, base ? base + 1 : in, when);
    cli_spans_free(&s);
    if (!data) {
        fprintf(stderr, "llmtap: out of memory\n");
        return 1;
    }
    FILE *f = out_path && strcmp(out_path, "-") != 0 ? fopen(out_path, "w") : stdout;
    if (!f) {
        fprintf(stderr, "llmtap: %s: %s\n", out_path, strerror(errno));
        free(data);
        return 1;
    }
    fwrite(cli_report_html, 1, before, f);
    fputs(data, f);
    fwrite(cli_report_html + after, 1, cli_report_html_len - after, f);
    free(data);
    int bad = ferror(f);
    if (f != stdout)
        bad |= fclose(f) != 0;
    else
        bad |= fflush(f) != 0;
    if (bad) {
        fprintf(stderr, "llmtap: %s: write error\n", out_path ? out_path : "stdout");
        return 1;
    }
    return 0;
}
