/* fuzz_cli_spans.c — libFuzzer target for the `llmtap` command's readers of untrusted span
 * files (cli/): the input is an OTLP JSON lines file; it is loaded (cli/spans.c), summarised
 * (cli/summary.c), drawn as a tree with and without colour (cli/view.c) and serialised as the
 * report's data (cli/report.c). Invariants: no crash, no leak, the report data never
 * contains '<', '>' or '&', and every summary line fits in 80 columns. The command is not in
 * the library, so its sources are compiled in here. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli/fmt.c"
#include "cli/report.c"
#include "cli/spans.c"
#include "cli/summary.c"
#include "cli/view.c"

/* report.c's embedded template (normally generated from share/llmtap/report.html). */
const unsigned char cli_report_html[] = "<script>/*LLMTAP_DATA*/</script>";
const size_t cli_report_html_len = sizeof(cli_report_html) - 1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("fuzz_cli_spans", 0);
        if (fd < 0)
            abort();
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    struct cli_spans s;
    if (cli_spans_load(path, 0, &s) == 0) {
        char *text = cli_summary_text(&s);
        if (text) {
            /* The table rows fit in 80 columns (provider names are cut to 80). */
            for (char *line = text, *nl; *line; line = nl + 1) {
                nl = strchr(line, '\n');
                if (!nl)
                    break;
                if (strncmp(line, "trace ", 6) != 0 && nl - line > 80)
                    abort();
            }
            free(text);
        }
        FILE *null = fopen("/dev/null", "w");
        if (null) {
            cli_view_write(null, &s, false);
            cli_view_write(null, &s, true);
            fclose(null);
        }
        char *json = cli_report_data(&s, "f<&>.jsonl", "2026-01-01T00:00:00Z");
        if (json && strpbrk(json, "<>&"))
            abort();
        free(json);
    }
    cli_spans_free(&s);
    return 0;
}
