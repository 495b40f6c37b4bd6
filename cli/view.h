/* view.h — `llmtap view FILE.jsonl`: the spans as a tree per trace (process span → its
 * calls), with a duration bar scaled to the trace, duration, provider, tokens and status. */
#ifndef CLI_VIEW_H
#define CLI_VIEW_H

#include <stdbool.h>
#include <stdio.h>

#include "spans.h"

/** Print the tree of every trace in `s` to f, traces in order of first appearance, siblings
 *  by start time. With `color`, ANSI colours (errors red, calls green, bars cyan). Returns 0
 *  or -ENOMEM / -EIO. */
int cli_view_write(FILE *f, const struct cli_spans *s, bool color);

/** `llmtap view [--summary] [--color|--no-color] FILE.jsonl`: argv[0] is "view". Colour by
 *  default only when stdout is a terminal and NO_COLOR is unset or empty. Returns the exit
 *  status: 0, 1 when the file cannot be read, 2 on a usage error. */
int cli_view_main(int argc, char **argv);

#endif
