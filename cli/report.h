/* report.h — `llmtap report FILE.jsonl -o trace.html`: one self-contained HTML page. The
 * page template (share/llmtap/report.html, embedded at build time as build/gen/report_html.c)
 * holds the literal placeholder once inside <script id="llmtap-data"
 * type="application/json">; it is replaced by {"source", "generated", "summary", "traces"}. */
#ifndef CLI_REPORT_H
#define CLI_REPORT_H

#include <stddef.h>

#include "spans.h"

/** The placeholder the template carries exactly once. */
#define CLI_REPORT_PLACEHOLDER "/*LLMTAP_DATA*/"

/** The embedded template (generated from share/llmtap/report.html; not NUL-terminated). */
extern const unsigned char cli_report_html[];
/** Its length in bytes. */
extern const size_t cli_report_html_len;

/** The data object as JSON text, with every '<', '>' and '&' written as \u003c, \u003e,
 *  \u0026 so that nothing in it can close the script element. `source` is the input's file
 *  name, `generated` an ISO-8601 UTC time. Returns a malloc'd string (caller frees) or NULL
 *  on allocation failure. */
char *cli_report_data(const struct cli_spans *s, const char *source, const char *generated);

/** `llmtap report FILE.jsonl [-o OUT.html]` (argv[0] is "report"; without -o the page goes
 *  to stdout). Returns the exit status: 0, 1 on a read/write error, 2 on a usage error. */
int cli_report_main(int argc, char **argv);

#endif
