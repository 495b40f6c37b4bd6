"""Issue 5, item 6: memory llmtap adds to its host.
  idle      — VmRSS of `/usr/bin/python3 -c 'import time; time.sleep(60)'` read from
              /proc/PID/status after 1 s, with and without llmtap (both started together each
              round); the figure is the median over rounds of (with − without). Target ≤ 4 MiB.
  one_exchange — the same after one streamed chat completion (tests/bench/proxy_client.py
              -n 1 --hold, RSS read 1 s after the exchange; OTEL_BSP_SCHEDULE_DELAY=200 so
              the exporter thread has started, loaded libcurl and shipped the span by then).
  peak      — VmHWM of a Python process doing 8 threads × 100 streamed exchanges (30 with
              quick) on 8 keep-alive connections, read by the process itself at the end of
              its loop: without llmtap; with llmtap's defaults (a run this short ends before
              the first 5 s export: every body waits in the queue, as with a stalled
              collector); with exports every 100 ms to a fast receiver; and with a receiver
              that accepts and never answers plus small caps (LLMTAP_MAX_QUEUE_BYTES=2 MiB,
              LLMTAP_MAX_BODY=64 KiB), to show the peak is set by the caps. bound_mib =
              MAX_QUEUE_BYTES + 2 × threads × MAX_BODY + POOL, the memory the caps allow for
              bodies (queued + in flight per connection + freed body buffers kept for reuse,
              POOL = 4 MiB, preload/bufpool.h); ok when the added peak stays under it + 16
              MiB (code, libcurl, thread stacks, the idle figure).

measure(repo, quick) -> dict:
  {"rounds": R, "idle_added_mib": x, "idle_mib": {"none": .., "llmtap": ..},
   "one_exchange_added_mib": x, "target_idle_mib": 4, "pass": bool,
   "peak": {"threads": 8, "exchanges": n, "response_kib": k,
            "configs": {name: {"peak_mib": .., "added_mib": .., "bound_mib": ..|None,
                               "env": {...}}}}, "peak_bounded": bool}
Standalone: `python3 tests/bench/memory.py [--quick] [--rounds N]` prints one JSON line."""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sse_server as S  # noqa: E402

CLIENT = os.path.join(HERE, "proxy_client.py")
TARGET_IDLE_MIB = 4.0
THREADS = 8
SMALL = {"LLMTAP_MAX_QUEUE_BYTES": str(2 << 20), "LLMTAP_MAX_BODY": str(64 << 10)}
DEFAULT_MAX_BODY = 8 << 20
DEFAULT_MAX_QUEUE = 64 << 20
SLACK_MIB = 16.0
POOL = 4 << 20  # LT_BUFPOOL_MAX_BYTES: freed body buffers kept for reuse
# A receiver that never answers: exports time out fast and exit is not held long.
HANG_ENV = {"OTEL_EXPORTER_OTLP_TIMEOUT": "500", "OTEL_BSP_EXPORT_TIMEOUT": "1000"}


def _kill(p):
    if p.poll() is None:
        p.kill()
    p.wait()


def idle_round(repo, endpoint):
    """(rss_none, rss_llmtap) in KiB of two idle Pythons started together, read after 1 s."""
    argv = [S.PY, "-c", "import time; time.sleep(60)"]
    procs = {"none": subprocess.Popen(argv, env=S.clean_env()),
             "llmtap": subprocess.Popen(argv, env=S.llmtap_env(repo, endpoint))}
    try:
        time.sleep(1.0)
        rss = {k: S.read_status(p.pid, "VmRSS") for k, p in procs.items()}
    finally:
        for p in procs.values():
            _kill(p)
    if None in rss.values():
        raise RuntimeError("could not read VmRSS: %s" % rss)
    return rss["none"], rss["llmtap"]


def exchange_round(repo, srv_port, ca, endpoint):
    """(rss_none, rss_llmtap) in KiB, 1 s after one streamed exchange."""
    out = {}
    for mode in ("none", "llmtap"):
        env = S.clean_env() if mode == "none" else S.llmtap_env(
            repo, endpoint, {"OTEL_BSP_SCHEDULE_DELAY": "200"})
        p = subprocess.Popen([S.PY, CLIENT, "--port", str(srv_port), "--ca", ca, "-n", "1",
                              "--hold"], env=env, stdout=subprocess.PIPE, text=True)
        try:
            line = p.stdout.readline()
            if not line or json.loads(line)["errors"]:
                raise RuntimeError("exchange client failed: %r" % line)
            time.sleep(1.0)
            out[mode] = S.read_status(p.pid, "VmRSS")
        finally:
            _kill(p)
            p.stdout.close()
    return out["none"], out["llmtap"]


def peak_run(port, ca, n, env):
    r = subprocess.run([S.PY, CLIENT, "--port", str(port), "--ca", ca, "-n", str(n),
                        "--threads", str(THREADS)], env=env, capture_output=True, text=True,
                       timeout=300)
    try:
        out = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise RuntimeError("peak client failed (rc %d): %s" % (r.returncode, r.stderr[-300:]))
    if out["errors"] or out["events"] != n * THREADS * S.EVENTS:
        raise RuntimeError("peak client failed: %s" % out)
    return out["hwm_kib"]


def measure(repo, quick=False, rounds=None):
    rounds = rounds or (3 if quick else 5)
    peak_rounds = 1 if quick else max(1, min(3, rounds))
    n = 30 if quick else 100
    tmp = tempfile.mkdtemp(prefix="llmtap-bench-mem-")
    cert, key = S.make_cert(tmp)
    srv = S.SSEServer(cert, key)
    rcv, hang = S.Receiver(), S.Receiver(hang=True)
    res = {"rounds": rounds, "target_idle_mib": TARGET_IDLE_MIB}
    try:
        idle = [idle_round(repo, rcv.endpoint) for _ in range(rounds)]
        res["idle_mib"] = {"none": S.median([a for a, _ in idle]) / 1024,
                           "llmtap": S.median([b for _, b in idle]) / 1024}
        res["idle_added_mib"] = S.median([b - a for a, b in idle]) / 1024
        ex = [exchange_round(repo, srv.port, cert, rcv.endpoint) for _ in range(rounds)]
        res["one_exchange_added_mib"] = S.median([b - a for a, b in ex]) / 1024
        res["pass"] = res["idle_added_mib"] <= TARGET_IDLE_MIB

        configs = {
            "none": (S.clean_env(), None),
            "llmtap": (S.llmtap_env(repo, rcv.endpoint),
                       DEFAULT_MAX_QUEUE + 2 * THREADS * DEFAULT_MAX_BODY + POOL),
            "llmtap, exports every 100 ms": (
                S.llmtap_env(repo, rcv.endpoint, {"OTEL_BSP_SCHEDULE_DELAY": "100"}),
                DEFAULT_MAX_QUEUE + 2 * THREADS * DEFAULT_MAX_BODY + POOL),
            "llmtap, collector hangs, small caps": (
                S.llmtap_env(repo, hang.endpoint, dict(HANG_ENV, **SMALL)),
                int(SMALL["LLMTAP_MAX_QUEUE_BYTES"]) +
                2 * THREADS * int(SMALL["LLMTAP_MAX_BODY"]) + POOL),
        }
        peaks = {c: [] for c in configs}
        for i in range(peak_rounds):
            order = list(configs)
            if i % 2:
                order.reverse()
            for c in order:
                peaks[c].append(peak_run(srv.port, cert, n, configs[c][0]))
        base = S.median(peaks["none"]) / 1024
        out = {}
        ok = True
        for c, (env, bound) in configs.items():
            pk = S.median(peaks[c]) / 1024
            d = {"peak_mib": pk, "added_mib": pk - base,
                 "bound_mib": bound / (1 << 20) if bound else None,
                 "env": {k: v for k, v in env.items()
                         if k.startswith(("LLMTAP_MAX", "OTEL_BSP", "OTEL_EXPORTER_OTLP_T"))}}
            if bound is not None and pk - base > d["bound_mib"] + SLACK_MIB:
                ok = False
            out[c] = d
        res["peak"] = {"threads": THREADS, "exchanges": n, "rounds": peak_rounds,
                       "response_kib": sum(map(len, S.count_response())) / 1024,
                       "configs": out}
        res["peak_bounded"] = ok
    finally:
        srv.stop()
        rcv.stop()
        hang.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int)
    a = ap.parse_args()
    repo = os.path.dirname(os.path.dirname(HERE))
    print(json.dumps(measure(repo, a.quick, a.rounds), indent=1))


if __name__ == "__main__":
    main()
