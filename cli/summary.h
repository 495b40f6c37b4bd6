/* summary.h — the `llmtap -s` table (issue 6, "Summary at exit"): one row per
 * provider/model with calls, errors, token sums, cost, latency percentiles and time to
 * first chunk; a total row; the trace ids. At most 80 columns. */
#ifndef CLI_SUMMARY_H
#define CLI_SUMMARY_H

#include <stdio.h>

#include "spans.h"

/** Write the summary of the inference spans in `s` to f (plain text, no colour).
 *  Columns: calls; err (status ERROR or error.type); in, out, cache, reas — sums of
 *  gen_ai.usage.input_tokens, output_tokens, cache_read.input_tokens and
 *  reasoning.output_tokens; USD — sum of llmtap.cost.usd ("-" when no call of the row has
 *  it); p50, p95 — nearest-rank percentiles of the span durations; ttfc — p50 of
 *  gen_ai.response.time_to_first_chunk. Returns 0 or -EIO when writing failed. */
int cli_summary_write(FILE *f, const struct cli_spans *s);

/** The same text in a malloc'd string (caller frees), or NULL on allocation failure. */
char *cli_summary_text(const struct cli_spans *s);

#endif
