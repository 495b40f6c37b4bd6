/* options.c — command-line options of `llmtap` and the environment they set (see
 * options.h). Each option maps to one documented variable; the help text prints the map. */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef LLMTAP_VERSION
#define LLMTAP_VERSION "unknown"
#endif

enum { OPT_PROTOCOL = 256, OPT_CONTENT, OPT_SUMMARY_FILE, OPT_SERVICE, OPT_PROVIDERS, OPT_PRICES };

void cli_usage(FILE *f)
{
    fputs(
        "usage: llmtap [options] [--] COMMAND [ARGS...]\n"
        "       llmtap view [--summary] FILE.jsonl\n"
        "       llmtap report FILE.jsonl -o trace.html\n"
        "\n"
        "Runs COMMAND with libllmtap.so preloaded: its calls to LLM APIs become\n"
        "OpenTelemetry GenAI spans. Exit status is COMMAND's.\n"
        "\n"
        "options (environment variable set for COMMAND):\n"
        "  -o, --output FILE      OTLP JSON lines, FILE truncated     LLMTAP_FILE\n"
        "  -e, --endpoint URL     OTLP/HTTP collector (adds otlp)     OTEL_EXPORTER_OTLP_ENDPOINT\n"
        "      --protocol P       http/protobuf or http/json          OTEL_EXPORTER_OTLP_PROTOCOL\n"
        "      --content          capture prompts and completions     "
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true\n"
        "  -s, --summary          table per provider/model at exit (stderr)\n"
        "      --summary-file F   write that table to F (implies -s)\n"
        "  -t, --tree             span tree on stderr at exit         "
        "OTEL_TRACES_EXPORTER+=console\n"
        "  -q, --quiet            no llmtap warnings                  LLMTAP_LOG=off\n"
        "      --service NAME     service.name                        OTEL_SERVICE_NAME\n"
        "      --providers H=P,.. host[:port]=provider               LLMTAP_PROVIDERS\n"
        "      --prices FILE      price table (JSON)                  LLMTAP_PRICES\n"
        "  -h, --help             this text\n"
        "  -V, --version          print the version\n"
        "\n"
        "Without -e and without OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, OTEL_TRACES_EXPORTER\n"
        "defaults to none (or console with -t): a quick run needs no collector.\n"
        "Options end at the first non-option: `llmtap curl -s URL` passes -s to curl.\n"
        "LLMTAP_LIB overrides the library path. See llmtap(1).\n",
        f);
}

int cli_options_parse(int argc, char **argv, struct cli_opts *o)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"endpoint", required_argument, NULL, 'e'},
        {"protocol", required_argument, NULL, OPT_PROTOCOL},
        {"content", no_argument, NULL, OPT_CONTENT},
        {"summary", no_argument, NULL, 's'},
        {"summary-file", required_argument, NULL, OPT_SUMMARY_FILE},
        {"tree", no_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},
        {"service", required_argument, NULL, OPT_SERVICE},
        {"providers", required_argument, NULL, OPT_PROVIDERS},
        {"prices", required_argument, NULL, OPT_PRICES},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof(*o));
    optind = 1;
    opterr = 1;
    int c;
    /* '+': stop at the first non-option, which is the command. */
    while ((c = getopt_long(argc, argv, "+o:e:stqhV", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            o->output = optarg;
            break;
        case 'e':
            o->endpoint = optarg;
            break;
        case OPT_PROTOCOL:
            if (strcmp(optarg, "http/protobuf") != 0 && strcmp(optarg, "http/json") != 0) {
                fprintf(stderr, "llmtap: --protocol must be http/protobuf or http/json\n");
                return CLI_OPTS_USAGE;
            }
            o->protocol = optarg;
            break;
        case OPT_CONTENT:
            o->content = true;
            break;
        case 's':
            o->summary = true;
            break;
        case OPT_SUMMARY_FILE:
            o->summary_file = optarg;
            o->summary = true;
            break;
        case 't':
            o->tree = true;
            break;
        case 'q':
            o->quiet = true;
            break;
        case OPT_SERVICE:
            o->service = optarg;
            break;
        case OPT_PROVIDERS:
            o->providers = optarg;
            break;
        case OPT_PRICES:
            o->prices = optarg;
            break;
        case 'h':
            cli_usage(stdout);
            return CLI_OPTS_EXIT_OK;
        case 'V':
            printf("llmtap %s\n", LLMTAP_VERSION);
            return CLI_OPTS_EXIT_OK;
        default: /* getopt printed the reason */
            fprintf(stderr, "Try 'llmtap --help'.\n");
            return CLI_OPTS_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "llmtap: no command given\n");
        cli_usage(stderr);
        return CLI_OPTS_USAGE;
    }
    o->cmd = optind;
    return 0;
}

static bool set_nonempty(const char *v)
{
    return v && *v;
}

/* True when the comma/space separated list `l` has `item` (case-insensitive). */
static bool list_has(const char *l, const char *item)
{
    size_t n = strlen(item);
    for (const char *p = l; *p;) {
        p += strspn(p, ", ");
        size_t k = strcspn(p, ", ");
        if (k == n && strncasecmp(p, item, n) == 0)
            return true;
        p += k;
    }
    return false;
}

/* Append `item` (k bytes) to the comma list out[0..*n). */
static int append(char *out, size_t cap, size_t *n, const char *item, size_t k)
{
    int w = snprintf(out + *n, cap - *n, "%s%.*s", *n ? "," : "", (int)k, item);
    if (w < 0 || (size_t)w >= cap - *n)
        return -ENOMEM;
    *n += (size_t)w;
    return 0;
}

/* The OTEL_TRACES_EXPORTER value for *o (see cli_options_apply). */
static int exporters(const struct cli_opts *o, char *out, size_t cap)
{
    const char *user = getenv("OTEL_TRACES_EXPORTER");
    bool endpoint = o->endpoint || set_nonempty(getenv("OTEL_EXPORTER_OTLP_ENDPOINT")) ||
                    set_nonempty(getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"));
    const char *base = set_nonempty(user) ? user : endpoint ? "otlp" : "none";
    bool otlp = list_has(base, "otlp") || o->endpoint;
    bool console = list_has(base, "console") || o->tree;
    size_t n = 0;
    out[0] = '\0';
    /* Names other than none/otlp/console are passed on as given (the library warns). */
    for (const char *p = base; *p;) {
        p += strspn(p, ", ");
        size_t k = strcspn(p, ", ");
        bool known =
            (k == 4 && (strncasecmp(p, "none", 4) == 0 || strncasecmp(p, "otlp", 4) == 0)) ||
            (k == 7 && strncasecmp(p, "console", 7) == 0);
        if (k && !known && append(out, cap, &n, p, k))
            return -ENOMEM;
        p += k;
    }
    if ((otlp && append(out, cap, &n, "otlp", 4)) ||
        (console && append(out, cap, &n, "console", 7)))
        return -ENOMEM;
    if (!n)
        snprintf(out, cap, "none");
    return 0;
}

int cli_options_apply(const struct cli_opts *o, const char *file)
{
    char exp[256];
    if (exporters(o, exp, sizeof(exp)))
        return -ENOMEM;
    int rc = setenv("OTEL_TRACES_EXPORTER", exp, 1);
    if (file)
        rc |= setenv("LLMTAP_FILE", file, 1);
    if (o->endpoint) {
        rc |= setenv("OTEL_EXPORTER_OTLP_ENDPOINT", o->endpoint, 1);
        /* The traces-specific variable would win inside the library: -e wins here. */
        rc |= unsetenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    }
    if (o->protocol) {
        rc |= setenv("OTEL_EXPORTER_OTLP_PROTOCOL", o->protocol, 1);
        rc |= unsetenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL");
    }
    if (o->content)
        rc |= setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true", 1);
    if (o->quiet)
        rc |= setenv("LLMTAP_LOG", "off", 1);
    if (o->service)
        rc |= setenv("OTEL_SERVICE_NAME", o->service, 1);
    if (o->providers)
        rc |= setenv("LLMTAP_PROVIDERS", o->providers, 1);
    if (o->prices)
        rc |= setenv("LLMTAP_PRICES", o->prices, 1);
    return rc ? -ENOMEM : 0;
}
