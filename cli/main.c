/* main.c — the `llmtap` command (issue 6): dispatches to the subcommands (`view`,
 * `report`) or runs a command under the library, with the summary table at exit (`-s`).
 * Exit status: the command's (or its death by the same signal); 2 usage error; 125 llmtap
 * itself failed (library not found, span file not writable); 126 the command could not be
 * executed; 127 it was not found — as env(1) and timeout(1) do. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "options.h"
#include "report.h"
#include "run.h"
#include "spans.h"
#include "summary.h"
#include "view.h"

#define EXIT_LLMTAP 125   /* llmtap itself failed */
#define EXIT_NOEXEC 126   /* found but could not be executed */
#define EXIT_NOTFOUND 127 /* not found */

/* Where the spans of this run go and where the summary reads them. */
struct span_file {
    char path[PATH_MAX];
    char tmpdir[PATH_MAX - 32]; /* private directory to remove at the end, or "" */
    long offset;                /* the summary reads from here (an inherited LLMTAP_FILE grows) */
    bool set;                   /* path is to be exported as LLMTAP_FILE */
};

static int absolute(char *out, size_t cap, const char *p)
{
    if (p[0] == '/') {
        if ((size_t)snprintf(out, cap, "%s", p) >= cap)
            return -ENAMETOOLONG;
        return 0;
    }
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof(cwd)))
        return -errno;
    if ((size_t)snprintf(out, cap, "%s/%s", cwd, p) >= cap)
        return -ENAMETOOLONG;
    return 0;
}

/* Decide the span file; -errno on failure (message printed). */
static int prepare_file(const struct cli_opts *o, struct span_file *sf)
{
    memset(sf, 0, sizeof(*sf));
    if (o->output) {
        int rc = absolute(sf->path, sizeof(sf->path), o->output);
        /* Truncated like strace -o: the file holds this run. O_NOFOLLOW as the library. */
        int fd =
            rc ? -1 : open(sf->path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
            rc = rc ? rc : -errno;
            fprintf(stderr, "llmtap: %s: %s\n", o->output, strerror(-rc));
            return rc;
        }
        close(fd);
        sf->set = true;
        return 0;
    }
    if (!o->summary)
        return 0;
    const char *env = getenv("LLMTAP_FILE");
    if (env && *env) {
        /* Keep the user's file; summarise what this run appends to it. */
        struct stat st;
        snprintf(sf->path, sizeof(sf->path), "%s", env);
        sf->offset = stat(env, &st) == 0 ? (long)st.st_size : 0;
        return 0;
    }
    const char *tmp = getenv("TMPDIR");
    if (!tmp || strlen(tmp) > sizeof(sf->tmpdir) - 32)
        tmp = "/tmp";
    snprintf(sf->tmpdir, sizeof(sf->tmpdir), "%s/llmtap.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(sf->tmpdir)) { /* mode 0700 */
        int e = errno;
        fprintf(stderr, "llmtap: cannot create a temporary directory: %s\n", strerror(e));
        sf->tmpdir[0] = '\0';
        return -e;
    }
    snprintf(sf->path, sizeof(sf->path), "%s/spans.jsonl", sf->tmpdir);
    sf->set = true;
    return 0;
}

static void cleanup_file(struct span_file *sf)
{
    if (!sf->tmpdir[0])
        return;
    unlink(sf->path);
    rmdir(sf->tmpdir);
    sf->tmpdir[0] = '\0';
}

static void print_summary(const struct cli_opts *o, const struct span_file *sf)
{
    struct cli_spans s;
    int rc = cli_spans_load(sf->path, sf->offset, &s);
    if (rc && rc != -ENOENT) {
        if (!o->quiet)
            fprintf(stderr, "llmtap: %s: %s\n", sf->path, strerror(-rc));
        cli_spans_free(&s);
        return;
    }
    FILE *f = stderr;
    if (o->summary_file) {
        f = fopen(o->summary_file, "w");
        if (!f) {
            fprintf(stderr, "llmtap: %s: %s\n", o->summary_file, strerror(errno));
            f = stderr;
        }
    }
    cli_summary_write(f, &s);
    if (o->output)
        fprintf(f, "spans: %s\n", sf->path);
    if (f != stderr)
        fclose(f);
    else
        fflush(f);
    cli_spans_free(&s);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "view") == 0)
        return cli_view_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "report") == 0)
        return cli_report_main(argc - 1, argv + 1);

    struct cli_opts o;
    int rc = cli_options_parse(argc, argv, &o);
    if (rc == CLI_OPTS_EXIT_OK)
        return fflush(stdout) == 0 ? 0 : 1;
    if (rc)
        return 2;
    char lib[2 * PATH_MAX + 64];
    if (cli_find_lib(lib, sizeof(lib))) {
        fprintf(stderr, "llmtap: libllmtap.so not found (looked for %s); set LLMTAP_LIB\n", lib);
        return EXIT_LLMTAP;
    }
    struct span_file sf;
    if (prepare_file(&o, &sf))
        return EXIT_LLMTAP;
    char *preload = cli_preload_value(lib, getenv("LD_PRELOAD"));
    if (!preload || cli_options_apply(&o, sf.set ? sf.path : NULL)) {
        fprintf(stderr, "llmtap: out of memory\n");
        cleanup_file(&sf);
        return EXIT_LLMTAP;
    }
    struct cli_run_result r;
    rc = cli_run(argv + o.cmd, preload, &r);
    free(preload);
    if (rc) {
        fprintf(stderr, "llmtap: cannot start %s: %s\n", argv[o.cmd], strerror(-rc));
        cleanup_file(&sf);
        return EXIT_LLMTAP;
    }
    if (r.exec_errno) {
        fprintf(stderr, "llmtap: %s: %s\n", argv[o.cmd], strerror(r.exec_errno));
        cleanup_file(&sf);
        return r.exec_errno == ENOENT || r.exec_errno == ENOTDIR ? EXIT_NOTFOUND : EXIT_NOEXEC;
    }
    if (o.summary)
        print_summary(&o, &sf);
    cleanup_file(&sf);
    cli_exit_like(r.status);
}
