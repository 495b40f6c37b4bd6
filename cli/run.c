/* run.c — fork/exec of the traced command, signal forwarding and exit-status pass-through
 * (see run.h). The exec error travels back over a close-on-exec pipe, like posix_spawn. */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The signals forwarded to the child (see run.h). */
static const int forwarded[] = {SIGHUP,  SIGINT,   SIGQUIT, SIGTERM, SIGUSR1,
                                SIGUSR2, SIGWINCH, SIGCONT, SIGALRM};
#define N_FORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

/* The running child, 0 when there is none (the handler reads it). */
static volatile sig_atomic_t child_pid;

static void forward(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    /* SI_KERNEL: the terminal or kernel signalled the whole process group, the child too. */
    if (si && si->si_code == SI_KERNEL)
        return;
    int saved = errno;
    pid_t p = (pid_t)child_pid;
    if (p > 0)
        kill(p, sig);
    errno = saved;
}

static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int cli_find_lib(char *out, size_t cap)
{
    const char *env = getenv("LLMTAP_LIB");
    if (env && *env) {
        char *r = realpath(env, NULL);
        if (!r || !is_file(r)) {
            snprintf(out, cap, "%s", env);
            free(r);
            return -ENOENT;
        }
        snprintf(out, cap, "%s", r);
        free(r);
        return 0;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return -ENOENT;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return -ENOENT;
    *slash = '\0';
    const char *rel[] = {"/libllmtap.so", "/../lib/libllmtap.so"};
    for (size_t i = 0; i < 2; i++) {
        char cand[PATH_MAX + 32];
        snprintf(cand, sizeof(cand), "%s%s", exe, rel[i]);
        char *r = realpath(cand, NULL);
        if (r && is_file(r)) {
            snprintf(out, cap, "%s", r);
            free(r);
            return 0;
        }
        free(r);
    }
    snprintf(out, cap, "%s/libllmtap.so or %s/../lib/libllmtap.so", exe, exe);
    return -ENOENT;
}

/* lib*san.so* (libasan, libtsan, libubsan, liblsan, libhwasan): must be preloaded first. */
static bool is_sanitizer(const char *p, size_t k)
{
    size_t b = k;
    while (b > 0 && p[b - 1] != '/')
        b--;
    const char *base = p + b;
    size_t bl = k - b;
    if (bl < 9 || strncmp(base, "lib", 3) != 0)
        return false;
    for (size_t i = 3; i + 6 <= bl; i++)
        if (strncmp(base + i, "san.so", 6) == 0)
            return true;
    return false;
}

char *cli_preload_value(const char *lib, const char *old)
{
    size_t cap = strlen(lib) + (old ? strlen(old) : 0) + 3;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t n = 0;
    /* Two passes over old: sanitizer runtimes, then the library, then everything else.
     * LD_PRELOAD separates entries with ':' or spaces. */
    for (int pass = 0; pass < 3; pass++) {
        if (pass == 1) {
            n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? ":" : "", lib);
            continue;
        }
        for (const char *p = old ? old : ""; *p;) {
            p += strspn(p, ": ");
            size_t k = strcspn(p, ": ");
            bool san = k && is_sanitizer(p, k);
            bool self = k == strlen(lib) && strncmp(p, lib, k) == 0;
            if (k && !self && san == (pass == 0)) {
                n += (size_t)snprintf(out + n, cap - n, "%s%.*s", n ? ":" : "", (int)k, p);
            }
            p += k;
        }
    }
    return out;
}

int cli_run(char **argv, const char *preload, struct cli_run_result *r)
{
    memset(r, 0, sizeof(*r));
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -errno;
    sigset_t block, old;
    sigemptyset(&block);
    struct sigaction sa = {0}, saved[N_FORWARDED];
    sa.sa_sigaction = forward;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < N_FORWARDED; i++)
        sigaddset(&block, forwarded[i]);
    /* Blocked across fork: a signal arriving now is delivered once child_pid is set. */
    sigprocmask(SIG_BLOCK, &block, &old);
    for (size_t i = 0; i < N_FORWARDED; i++) {
        sigaction(forwarded[i], NULL, &saved[i]);
        /* An ignored signal (nohup, `cmd &` in a script) stays ignored, and the child
         * inherits that. */
        if (saved[i].sa_handler != SIG_IGN)
            sigaction(forwarded[i], &sa, NULL);
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        for (size_t i = 0; i < N_FORWARDED; i++)
            sigaction(forwarded[i], &saved[i], NULL);
        sigprocmask(SIG_SETMASK, &old, NULL);
        close(fds[0]);
        close(fds[1]);
        return -e;
    }
    if (pid == 0) {
        for (size_t i = 0; i < N_FORWARDED; i++)
            sigaction(forwarded[i], &saved[i], NULL);
        sigprocmask(SIG_SETMASK, &old, NULL);
        close(fds[0]);
        if (setenv("LD_PRELOAD", preload, 1) == 0)
            execvp(argv[0], argv);
        int e = errno;
        ssize_t w = write(fds[1], &e, sizeof(e));
        (void)w;
        _exit(127);
    }
    child_pid = pid;
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(fds[1]);
    int e = 0;
    ssize_t got;
    do
        got = read(fds[0], &e, sizeof(e));
    while (got < 0 && errno == EINTR);
    close(fds[0]);
    if (got == (ssize_t)sizeof(e))
        r->exec_errno = e ? e : EIO;
    /* Wait without reaping first, so the pid cannot be reused while the handler may still
     * signal it; then stop forwarding and reap. */
    siginfo_t info;
    while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) != 0 && errno == EINTR)
        ;
    child_pid = 0;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    r->status = status;
    for (size_t i = 0; i < N_FORWARDED; i++)
        sigaction(forwarded[i], &saved[i], NULL);
    return 0;
}

_Noreturn void cli_exit_like(int status)
{
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core); /* the child's core (if any) is the one wanted */
        fflush(NULL);
        signal(sig, SIG_DFL);
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, sig);
        sigprocmask(SIG_UNBLOCK, &s, NULL);
        raise(sig);
        _exit(128 + sig); /* a signal whose default is to be ignored or to stop */
    }
    exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}
