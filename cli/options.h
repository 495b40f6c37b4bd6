/* options.h — `llmtap [options] [--] COMMAND [ARGS…]`: the command line (getopt_long,
 * stopping at the first non-option) and its translation into the environment variables the
 * library reads (README "Configuration"), so bare LD_PRELOAD reaches the same behaviour. */
#ifndef CLI_OPTIONS_H
#define CLI_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

/** What the command line asked for. Strings point into argv. */
struct cli_opts {
    const char *output;       /* -o: LLMTAP_FILE (made absolute) */
    const char *endpoint;     /* -e: OTEL_EXPORTER_OTLP_ENDPOINT */
    const char *protocol;     /* --protocol: OTEL_EXPORTER_OTLP_PROTOCOL */
    const char *summary_file; /* --summary-file (implies summary) */
    const char *service;      /* --service: OTEL_SERVICE_NAME */
    const char *providers;    /* --providers: LLMTAP_PROVIDERS */
    const char *prices;       /* --prices: LLMTAP_PRICES */
    bool content;             /* --content: OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT */
    bool summary;             /* -s */
    bool tree;                /* -t: console exporter */
    bool quiet;               /* -q: LLMTAP_LOG=off, and the command's own warnings off */
    int cmd;                  /* argv index of COMMAND */
};

/** Outcome of cli_options_parse besides 0 (run the command). */
enum { CLI_OPTS_EXIT_OK = 1 /* --help/--version printed */, CLI_OPTS_USAGE = 2 };

/** Parse argv into *o. Returns 0 when a command follows, CLI_OPTS_EXIT_OK after --help or
 *  --version (printed on stdout), CLI_OPTS_USAGE after a usage error (message on stderr). */
int cli_options_parse(int argc, char **argv, struct cli_opts *o);

/** Set the environment (of this process, inherited by the command) for *o; `file` is the
 *  LLMTAP_FILE to use (NULL: leave it as it is). The exporter list becomes
 *  OTEL_TRACES_EXPORTER as given, else `otlp` when an endpoint is known (-e or
 *  OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT), else `none`; -e adds otlp and -t adds console.
 *  Returns 0 or -ENOMEM. */
int cli_options_apply(const struct cli_opts *o, const char *file);

/** Print the help text (usage, options with their environment variables, subcommands). */
void cli_usage(FILE *f);

#endif
