"""Processes, signals, threads and dlopen (issue 4, "Faults"): fork without exec (C and Python
multiprocessing), fork+exec, vfork, posix_spawn, a child SIGKILLed mid-stream, the parent
SIGKILLed while its children and the exporter run, signal handlers calling connect/write
while the main thread is inside a hooked call, SSL_free racing SSL_read on other connections,
and libssl/libgnutls dlopen'ed, dlclose'd and dlopen'ed again after start.

Every run is under a timeout (no deadlock), its exit status and stdout are compared with a
run without llmtap, and the spans of all its processes are collected from the receiver:
the expected exchange spans with exact attributes, the process tree, one trace, and no
duplicate span ids. The C drivers are in tests/drivers/ (built by `make drivers`)."""

import os
import time

import pytest

import conftest
from integ_util import (FORK_ENV, PY, CLIENTS, assert_exchange, check_attrs, describe,
                        exchange_spans, expected_span, root_spans, run_both)

SANITIZER = os.environ.get("LLMTAP_TEST_SANITIZER", "")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DRIVERS = os.path.join(REPO, "build", "drivers")
TIMEOUT = 40  # seconds: a run that takes longer is a deadlock


def drv(name, mock, *args):
    path = os.path.join(DRIVERS, name)
    if not os.path.exists(path):
        pytest.skip("%s is not built (make drivers)" % path)
    return [path, str(mock.port), mock.ca] + [str(a) for a in args]


def collect(rcv, n_ex, n_roots, timeout=10.0, settle=0.4):
    """Wait for n_ex CLIENT spans and n_roots process spans, then a little longer so that
    duplicates or strays would arrive too; returns all spans."""
    rcv.wait_for(lambda r: len(exchange_spans(r.spans())) >= n_ex
                 and len(root_spans(r.spans())) >= n_roots, timeout)
    time.sleep(settle)
    spans = rcv.spans()
    assert not rcv.errors(), rcv.errors()
    return spans


def assert_unique_ids(spans):
    ids = [s["span_id"] for s in spans]
    assert len(set(ids)) == len(ids), "duplicate span ids: %s" % sorted(
        i for i in ids if ids.count(i) > 1)
    for s in spans:
        assert s["span_id"] != "0" * 16 and s["trace_id"] != "0" * 32


def assert_tree(spans, top_pid):
    """One trace; the process spans form a tree under the top process's span; every
    exchange hangs under the process span of the process that made it."""
    assert len({s["trace_id"] for s in spans}) == 1, "spans in several traces"
    roots = root_spans(spans)
    by_pid = {}
    for r in roots:
        pid = r["attrs"]["process.pid"]
        assert pid not in by_pid, "two process spans for pid %d" % pid
        by_pid[pid] = r
    by_id = {s["span_id"]: s for s in spans}
    for r in roots:
        if r["attrs"]["process.pid"] == top_pid:
            assert r["parent_span_id"] == ""
        else:
            assert r["parent_span_id"] in by_id, "process span %s: parent not received" % r[
                "attrs"]
    for s in exchange_spans(spans):
        pid = s["resource"].get("process.pid")
        assert pid in by_pid, "exchange of pid %s has no process span" % pid
        assert s["parent_span_id"] == by_pid[pid]["span_id"]
    return by_pid


def exchanges_ok(spans, port, n_stream=0):
    ex = exchange_spans(spans)
    streams = [s for s in ex if s["attrs"].get("gen_ai.request.stream")]
    assert len(streams) == n_stream, [describe(s) for s in streams]
    for s in ex:
        stream = bool(s["attrs"].get("gen_ai.request.stream"))
        if "tsan" in SANITIZER:
            # Under ThreadSanitizer the client is too slow for assert_exchange's check that
            # the first chunk came well before the end: attributes only.
            name, exp, absent = expected_span("openai", stream, "localhost", port, minimal=True)
            assert s["name"] == name
            check_attrs(s, exp, absent)
        else:
            assert_exchange(s, "openai", stream, "localhost", port, minimal=True)
    return ex


# --------------------------------------------------------------------------- child processes
SPAWN_KINDS = ["fork", "fork_exit_", "fork_exec", "vfork", "posix_spawn"]


@pytest.mark.parametrize("kind", SPAWN_KINDS)
def test_spawn_kinds(run, mock, rcv, kind):
    """Two children made with `kind` after the parent's first exchange: every process's
    exchanges exported once, each child's process span under the parent's."""
    r = run_both(run, drv("spawn_kinds", mock, kind, 2), env=FORK_ENV, timeout=TIMEOUT)
    assert r.out.count(b"chatcmpl-llmtapMock0001") == 4
    spans = collect(rcv, 4, 3)
    assert len(exchange_spans(spans)) == 4
    assert len(root_spans(spans)) == 3, [s["attrs"] for s in root_spans(spans)]
    assert_unique_ids(spans)
    by_pid = assert_tree(spans, r.pid)
    for pid, root in by_pid.items():
        if pid != r.pid:
            assert root["parent_span_id"] == by_pid[r.pid]["span_id"]
    exchanges_ok(spans, mock.port)


@pytest.mark.threads
@pytest.mark.parametrize("kind", ["fork", "fork_exec"])
def test_fork_while_another_thread_streams(run, mock, rcv, kind):
    """fork() while a second thread of the parent is inside the hooks (streaming): neither
    process deadlocks, the child does not export the parent's half-done exchanges."""
    if "asan" in SANITIZER:
        # GCC 12's ASan allocator takes no lock around fork(): a child forked while another
        # thread is inside malloc hangs in its first malloc, with or without llmtap.
        pytest.skip("ASan runtime is not fork-safe with a concurrently allocating thread")
    # ThreadSanitizer refuses new threads in the child of a multi-threaded fork unless told.
    # In that mode a child's exporter thread can block for good in TSan's own allocator lock
    # (held by a parent thread at fork(); seen in gdb, about one run in twenty, with the
    # library of before and after 2026-12-07 alike): the child's exit then waits out
    # OTEL_BSP_EXPORT_TIMEOUT, as designed. 5 s instead of 30 keeps that within TIMEOUT.
    env = {"TSAN_OPTIONS": conftest.SANITIZER_ENV["TSAN_OPTIONS"] + ":die_after_fork=0",
           "OTEL_BSP_EXPORT_TIMEOUT": "5000"} if "tsan" in SANITIZER else None
    r = run_both(run, drv("spawn_kinds", mock, kind, 3, "--busy"), env=env, timeout=TIMEOUT)
    if "tsan" in SANITIZER and kind == "fork":
        # TSan stops tracking a child forked from a multi-threaded process (die_after_fork=0
        # is its unsupported mode): about one run in twenty such a child lost an exchange
        # under TSan, never in 50 plain-build runs. Here the TSan run checks the parent's
        # threads for races and every process for deadlock; the plain build checks spans.
        return
    spans = collect(rcv, 8, 4)
    assert len(exchange_spans(spans)) == 8
    assert len(root_spans(spans)) == 4
    assert_unique_ids(spans)
    by_pid = assert_tree(spans, r.pid)
    parent_ex = [s for s in exchange_spans(spans) if s["resource"]["process.pid"] == r.pid]
    assert len(parent_ex) == 5
    for pid in by_pid:
        if pid != r.pid:
            assert len([s for s in exchange_spans(spans)
                        if s["resource"]["process.pid"] == pid]) == 1
    exchanges_ok(spans, mock.port, n_stream=3)


def test_child_killed_mid_stream(run, mock, rcv):
    """A child SIGKILLed after the first bytes of its stream: the parent carries on and
    exports its own spans; nothing of the child's is made up."""
    r = run_both(run, drv("spawn_kinds", mock, "kill_stream", 1), env=FORK_ENV, timeout=TIMEOUT)
    assert b"child 0: signal 9" in r.out
    spans = collect(rcv, 2, 1)
    assert len(exchange_spans(spans)) == 2
    assert all(s["resource"]["process.pid"] == r.pid for s in spans)
    assert len(root_spans(spans)) == 1
    assert_unique_ids(spans)
    assert_tree(spans, r.pid)
    exchanges_ok(spans, mock.port)


def test_parent_killed_children_carry_on(run, mock, rcv):
    """The parent SIGKILLs itself while three forked children stream and its exporter thread
    runs: the children finish, each exports its exchange and process span."""
    cmd = drv("spawn_kinds", mock, "orphans", 3)
    base = run(cmd, env=FORK_ENV, timeout=TIMEOUT, agent=False)
    got = run(cmd, env=FORK_ENV, timeout=TIMEOUT)
    assert got.rc == base.rc == -9
    assert sorted(got.out.splitlines()) == sorted(base.out.splitlines())
    assert got.out.count(b"status 200") == 3
    spans = collect(rcv, 3, 3)
    child_ex = [s for s in exchange_spans(spans) if s["resource"]["process.pid"] != got.pid]
    assert len(child_ex) == 3
    assert len({s["resource"]["process.pid"] for s in child_ex}) == 3
    assert len(exchange_spans(spans)) - len(child_ex) <= 1  # the parent's, if it got out
    assert_unique_ids(spans)
    assert len({s["trace_id"] for s in spans}) == 1
    roots = {s["attrs"]["process.pid"]: s for s in root_spans(spans)}
    for s in child_ex:
        assert s["parent_span_id"] == roots[s["resource"]["process.pid"]]["span_id"]
        assert s["attrs"]["gen_ai.request.stream"] is True
    exchanges_ok(spans, mock.port, n_stream=3)


# --------------------------------------------------------------------------- dlopen/dlclose
@pytest.mark.parametrize("lib", ["ssl", "gnutls"])
@pytest.mark.parametrize("scope", ["global", "local"])
def test_dlopen_dlclose_dlopen(run, mock, rcv, lib, scope):
    """The TLS library is dlopen'ed after start, used, dlclose'd (and, where it can be,
    unloaded, its old place kept taken), dlopen'ed again and used again: the first round's
    non-LLM exchange made llmtap resolve the real functions; later rounds must not call
    through pointers into the unloaded copy."""
    extra = ["--local"] if scope == "local" else []
    r = run_both(run, drv("dlopen_libssl", mock, lib, "get/chat/chat,get", *extra),
                 timeout=TIMEOUT)
    assert r.out.endswith(b"rounds 3\n")
    assert r.out.count(b"chatcmpl-llmtapMock0001") == 2
    spans = collect(rcv, 2, 1)
    assert len(exchange_spans(spans)) == 2
    assert_unique_ids(spans)
    assert_tree(spans, r.pid)
    exchanges_ok(spans, mock.port)


@pytest.mark.parametrize("mode", ["mp_fork", "subprocess", "spawn"])
def test_python_children(run, mock, rcv, mode):
    """Python: multiprocessing with the fork start method (children end with os._exit, which
    skips atexit: the _exit hook flushes them), subprocess (vfork + exec) and posix_spawn."""
    cmd = [PY, os.path.join(CLIENTS, "py_multiproc.py"), "--url", mock.url, "--ca", mock.ca,
           "--minimal", "--mode", mode, "--children", "3"]
    r = run_both(run, cmd, env=FORK_ENV, timeout=TIMEOUT)
    assert r.out.count(b"chatcmpl-llmtapMock0001") == 4
    spans = collect(rcv, 4, 4)
    assert len(exchange_spans(spans)) == 4
    assert len(root_spans(spans)) == 4, [s["attrs"] for s in root_spans(spans)]
    assert_unique_ids(spans)
    by_pid = assert_tree(spans, r.pid)
    for pid, root in by_pid.items():
        if pid != r.pid:
            assert root["parent_span_id"] == by_pid[r.pid]["span_id"]
    exchanges_ok(spans, mock.port)


# --------------------------------------------------------------------------- signals, threads
@pytest.mark.parametrize("threads", [1, pytest.param(3, marks=pytest.mark.threads)])
def test_signal_handler_connects_and_writes(run, mock, rcv, threads):
    """A SIGALRM handler calling socket/connect/write/close every 300 us while the threads
    stream (mostly inside SSL_read): no deadlock, no crash, every exchange exported."""
    n = 3
    r = run_both(run, drv("signal_connect", mock, n, threads), timeout=TIMEOUT)
    assert r.out.count(b"data: [DONE]") == n * threads
    spans = collect(rcv, n * threads, 1)
    assert len(exchange_spans(spans)) == n * threads
    assert_unique_ids(spans)
    assert_tree(spans, r.pid)
    exchanges_ok(spans, mock.port, n_stream=n * threads)


@pytest.mark.threads
def test_ssl_free_races_reads_on_other_connections(run, mock, rcv):
    """Four threads free their SSLs while the others read and write (addresses reused at
    once); then a request written on one thread and read on another, SSL_shutdown+SSL_free,
    a connection freed unused, SSL_free(NULL), one freed mid-stream."""
    threads, rounds = 4, 6
    r = run_both(run, drv("ssl_free_race", mock, threads, rounds), timeout=TIMEOUT)
    assert r.out.endswith(b"done\n")
    n_complete = threads * rounds + 2
    spans = collect(rcv, n_complete + 1, 1)
    ex = exchange_spans(spans)
    assert_unique_ids(spans)
    assert_tree(spans, r.pid)
    complete = [s for s in ex if s["status_code"] == 0]
    assert len(complete) == n_complete, [describe(s) for s in ex if s["status_code"] != 0]
    for s in complete:
        assert_exchange(s, "openai", bool(s["attrs"].get("gen_ai.request.stream")),
                        "localhost", mock.port, minimal=True)
    assert len([s for s in complete if s["attrs"].get("gen_ai.request.stream")]) == \
        threads * (rounds // 2)
    # The stream freed after its first bytes: one more span, not a successful one.
    cut = [s for s in ex if s["status_code"] != 0]
    assert len(cut) == 1, [describe(s) for s in cut]
    assert cut[0]["attrs"]["gen_ai.request.stream"] is True
