/* test_plain.c — plain-text HTTP sockets (plain.c): a connected TCP socket is examined once
 * on its first written bytes; only an HTTP request to an LLM path makes it followed, and
 * then its exchanges are rebuilt like TLS ones. Real loopback sockets, so the peer address
 * is real; the exporter is a stub collecting exchanges. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../export/export.h"
#include "config.h"
#include "conn.h"
#include "exchange.h"
#include "plain.h"

static struct lt_exchange *got[16];
static size_t n_got;

bool lt_export_submit(struct lt_exchange *x)
{
    assert_true(n_got < 16);
    got[n_got++] = x;
    return true;
}

void lt_export_arm_exit(void) {}

static void reset(void)
{
    for (size_t i = 0; i < n_got; i++)
        lt_exchange_free(got[i]);
    n_got = 0;
}

static int teardown_each(void **state)
{
    reset();
    return 0;
}

static int setup(void **state)
{
    lt_cfg.max_body = 1 << 20;
    return 0;
}

/* A connected loopback TCP socket, registered as the connect hook would; *port its peer. */
static int connected(int *lfd, int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    *lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(*lfd >= 0);
    assert_int_equal(bind(*lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(*lfd, 1), 0);
    assert_int_equal(getsockname(*lfd, (struct sockaddr *)&a, &len), 0);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    lt_conn_fd_connected(fd, (struct sockaddr *)&a, sizeof(a));
    lt_plain_connected(fd, AF_INET);
    *port = ntohs(a.sin_port);
    return fd;
}

static void wr(int fd, const char *s, size_t cut)
{
    size_t n = strlen(s);
    if (cut > n)
        cut = n;
    struct iovec v[2] = {{(void *)s, cut}, {(void *)(s + cut), n - cut}};
    lt_plain_write(fd, v, 2, n); /* one gathered write (writev-style) */
}

static void rd(int fd, const char *s)
{
    struct iovec v = {(void *)s, strlen(s)};
    lt_plain_read(fd, &v, 1, strlen(s));
}

static const char req[] = "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost:8000\r\n"
                          "Content-Type: application/json\r\nContent-Length: 24\r\n\r\n"
                          "{\"model\":\"llama3.2:1b\"}\n";
static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                           "Content-Length: 2\r\n\r\n{}";

static void test_llm_socket_followed_every_split(void **state)
{
    for (size_t cut = 0; cut <= strlen(req); cut += 7) {
        int lfd, port;
        int fd = connected(&lfd, &port);
        assert_int_equal(lt_plain_state(fd), LT_FD_CANDIDATE);
        wr(fd, req, cut);
        assert_int_equal(lt_plain_state(fd), LT_FD_TRACKED);
        rd(fd, resp);
        assert_int_equal(n_got, 1);
        struct lt_exchange *x = got[0];
        assert_int_equal(x->api, LT_API_OPENAI_CHAT);
        assert_string_equal(x->server_address, "localhost");
        assert_int_equal(x->server_port, 8000);
        assert_string_equal(x->peer_address, "127.0.0.1");
        assert_int_equal(x->peer_port, port);
        assert_int_equal(x->status, 200);
        lt_plain_closed(fd);
        assert_int_equal(lt_plain_state(fd), LT_FD_NONE);
        close(fd);
        close(lfd);
        reset();
    }
}

static void test_other_traffic_ignored_for_good(void **state)
{
    static const char *const firsts[] = {
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", /* a TLS ClientHello */
        "GET /v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "POST /upload HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "POST /v1/chat/completions", /* request line not complete in the first write */
        "SSH-2.0-OpenSSH_9.2\r\n",
    };
    for (size_t i = 0; i < sizeof(firsts) / sizeof(firsts[0]); i++) {
        int lfd, port;
        int fd = connected(&lfd, &port);
        wr(fd, firsts[i], 0);
        assert_int_equal(lt_plain_state(fd), LT_FD_IGNORED);
        wr(fd, req, 0); /* examined once: a later LLM request is not followed */
        rd(fd, resp);
        lt_plain_closed(fd);
        assert_int_equal(n_got, 0);
        close(fd);
        close(lfd);
    }
}

static void test_unconnected_fd_costs_nothing(void **state)
{
    assert_int_equal(lt_plain_state(0), LT_FD_NONE);
    assert_int_equal(lt_plain_state(-1), LT_FD_NONE);
    assert_int_equal(lt_plain_state(1 << 20), LT_FD_NONE);
}

static void test_eof_ends_close_delimited(void **state)
{
    int lfd, port;
    int fd = connected(&lfd, &port);
    wr(fd, req, 0);
    rd(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"a\":");
    rd(fd, "1}");
    lt_plain_read_end(fd);
    assert_int_equal(n_got, 1);
    assert_int_equal(got[0]->end, LT_END_COMPLETE);
    assert_int_equal(got[0]->resp_body.len, 7);
    lt_plain_closed(fd);
    close(fd);
    close(lfd);
    reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_llm_socket_followed_every_split, teardown_each),
        cmocka_unit_test_teardown(test_other_traffic_ignored_for_good, teardown_each),
        cmocka_unit_test_teardown(test_unconnected_fd_costs_nothing, teardown_each),
        cmocka_unit_test_teardown(test_eof_ends_close_delimited, teardown_each),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
