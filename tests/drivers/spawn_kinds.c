/* spawn_kinds.c — child processes made every way a host makes them, each doing an LLM
 * exchange with the TLS mock, while the parent's exporter thread runs.
 *
 *   spawn_kinds PORT CA KIND [N] [--busy]
 *
 * The parent does one chat exchange, makes N children (default 2) one after the other with
 * KIND, then one more exchange. With --busy a second parent thread does 3 streamed exchanges
 * while the children are made (fork with another thread inside the agent). KIND:
 *   fork         fork(), the child does one exchange and exit(0)s
 *   fork_exit_   fork(), the child does one exchange and _exit(0)s (Python multiprocessing)
 *   fork_exec    fork() + execv(self child)
 *   vfork        vfork() + execv(self child)
 *   posix_spawn  posix_spawn(self child)
 *   kill_stream  fork(); the child starts a stream and is SIGKILLed after its first bytes
 *   orphans      fork() N children that stream; the parent SIGKILLs itself once they all
 *                started; each child prints one line when done (order varies)
 * Bodies go to stdout; exit 0 when every exchange answered 200. */
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <pthread.h>

#include "drv_tls.h"

extern char **environ;

static int port;
static const char *ca;
static char self[4096];

static int child_main(void)
{
    SSL_CTX *ctx = drv_ctx(ca);
    int st = drv_exchange(ctx, port, DRV_CHAT, stdout);
    SSL_CTX_free(ctx);
    return st == 200 ? 0 : 1;
}

/* --busy: streamed exchanges on another parent thread while the children are made. */
static void *busy_main(void *arg)
{
    SSL_CTX *ctx = arg;
    long bad = 0;
    for (int i = 0; i < 3; i++)
        bad += drv_exchange(ctx, port, DRV_STREAM, NULL) != 200;
    return (void *)bad;
}

/* kill_stream: the child tells the parent it is mid-stream, then keeps reading slowly. */
static int signal_fd = -1;
static void tell_parent(void *arg)
{
    (void)arg;
    char c = 'x';
    if (write(signal_fd, &c, 1) != 1)
        _exit(4);
    sleep(30); /* killed long before */
}

static void orphan(int i, int ready_fd)
{
    SSL_CTX *ctx = drv_ctx(ca);
    char c = 'r';
    if (write(ready_fd, &c, 1) != 1)
        _exit(4);
    close(ready_fd);
    int fd;
    SSL *ssl = drv_open(ctx, port, &fd);
    struct drv_resp r = {0};
    int rc = ssl ? drv_talk(ssl, DRV_STREAM, port, &r, NULL, NULL) : -1;
    if (ssl)
        SSL_free(ssl);
    char line[128];
    int n = snprintf(line, sizeof(line), "orphan %d: status %d, %zu body bytes\n", i, r.status,
                     r.body_len);
    if (write(1, line, (size_t)n) != n) /* one write: lines from several children never mix */
        rc = -1;
    free(r.data);
    SSL_CTX_free(ctx);
    exit(rc == 0 && r.status == 200 ? 0 : 1);
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[3], "child") == 0) {
        port = atoi(argv[1]);
        ca = argv[2];
        return child_main();
    }
    if (argc < 4) {
        fprintf(stderr, "usage: spawn_kinds PORT CA KIND [N] [--busy]\n");
        return 2;
    }
    port = atoi(argv[1]);
    ca = argv[2];
    const char *kind = argv[3];
    int n = 2;
    int busy = 0;
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--busy") == 0)
            busy = 1;
        else
            n = atoi(argv[i]);
    }
    ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (sl <= 0)
        return 2;
    self[sl] = '\0';
    signal(SIGPIPE, SIG_IGN);

    SSL_CTX *ctx = drv_ctx(ca);
    int bad = drv_exchange(ctx, port, DRV_CHAT, stdout) != 200;
    fflush(stdout);
    /* DRV_FORK_SETTLE_MS: give an agent's exporter thread time to ship that exchange and go
     * idle before the children are made (see tests/integ/test_process.py, ASan). */
    const char *settle = getenv("DRV_FORK_SETTLE_MS");
    if (settle)
        usleep((useconds_t)atoi(settle) * 1000u);

    pthread_t busy_t;
    if (busy && pthread_create(&busy_t, NULL, busy_main, ctx) != 0)
        return 2;

    if (strcmp(kind, "orphans") == 0) {
        int ready[2];
        if (pipe(ready) != 0)
            return 2;
        for (int i = 0; i < n; i++) {
            pid_t pid = fork();
            if (pid < 0)
                return 2;
            if (pid == 0) {
                close(ready[0]);
                orphan(i, ready[1]);
            }
        }
        close(ready[1]);
        for (int i = 0; i < n; i++) {
            char c;
            if (read(ready[0], &c, 1) != 1)
                return 2;
        }
        raise(SIGKILL);
        return 3;
    }

    char *child_argv[] = {self, argv[1], argv[2], "child", NULL};
    for (int i = 0; i < n; i++) {
        pid_t pid = -1;
        int sigpipe[2] = {-1, -1};
        if (strcmp(kind, "fork") == 0 || strcmp(kind, "fork_exit_") == 0) {
            pid = fork();
            if (pid == 0) {
                int rc = child_main();
                fflush(stdout);
                if (kind[4] == '_')
                    _exit(rc);
                exit(rc);
            }
        } else if (strcmp(kind, "fork_exec") == 0) {
            pid = fork();
            if (pid == 0) {
                execv(self, child_argv);
                _exit(127);
            }
        } else if (strcmp(kind, "vfork") == 0) {
            pid = vfork();
            if (pid == 0) {
                execv(self, child_argv);
                _exit(127);
            }
        } else if (strcmp(kind, "posix_spawn") == 0) {
            if (posix_spawn(&pid, self, NULL, NULL, child_argv, environ) != 0)
                pid = -1;
        } else if (strcmp(kind, "kill_stream") == 0) {
            if (pipe(sigpipe) != 0)
                return 2;
            pid = fork();
            if (pid == 0) {
                close(sigpipe[0]);
                signal_fd = sigpipe[1];
                SSL_CTX *cctx = drv_ctx(ca);
                int fd;
                SSL *ssl = drv_open(cctx, port, &fd);
                struct drv_resp r;
                if (ssl)
                    drv_talk(ssl, DRV_STREAM, port, &r, tell_parent, NULL);
                _exit(5); /* only when the stream never started */
            }
            close(sigpipe[1]);
        } else {
            fprintf(stderr, "unknown kind %s\n", kind);
            return 2;
        }
        if (pid < 0)
            return 2;
        if (sigpipe[0] >= 0) {
            char c;
            if (read(sigpipe[0], &c, 1) == 1)
                kill(pid, SIGKILL);
            close(sigpipe[0]);
        }
        int ws = 0;
        if (waitpid(pid, &ws, 0) != pid)
            return 2;
        if (WIFSIGNALED(ws))
            printf("child %d: signal %d\n", i, WTERMSIG(ws));
        else
            printf("child %d: exit %d\n", i, WEXITSTATUS(ws));
        fflush(stdout);
        if (strcmp(kind, "kill_stream") != 0)
            bad |= !WIFEXITED(ws) || WEXITSTATUS(ws) != 0;
    }
    if (busy) {
        void *r;
        pthread_join(busy_t, &r);
        bad |= r != NULL;
    }
    bad |= drv_exchange(ctx, port, DRV_CHAT, stdout) != 200;
    SSL_CTX_free(ctx);
    return bad;
}
