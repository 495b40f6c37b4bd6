"""Issue 5, item 4: the proxy approach. The same streamed chat completions as item 3 (an
OpenAI stream of 200 SSE events per exchange, http.client, one keep-alive connection; N = 100
exchanges per run, 30 with quick) three ways, alternated within each round:
  direct   — client -> local TLS SSE server (tests/bench/sse_server.py)
  llmtap   — the same under LD_PRELOAD=build/libllmtap.so, spans exported to a local OTLP
             receiver in this process
  mitmdump — client -> mitmdump --mode reverse:https://127.0.0.1:PORT (TLS-terminating,
             re-encrypting proxy, -q, its CA trusted by the client) -> server
The wall time of the exchange loop is measured inside the client (start-up excluded); the
figure is the added wall time per exchange, median over rounds of (mode − direct) / N, in ms.

measure(repo, quick) -> dict:
  {"exchanges": N, "rounds": R, "events_per_exchange": 200,
   "ms_per_exchange": {"direct": ..., "llmtap": ..., "mitmdump": ...},   # medians
   "added_ms": {"llmtap": ..., "mitmdump": ...},                         # medians of rounds
   "mitmdump": "ok" | "not available here: <reason>", "otlp_requests": n}
Standalone: `python3 tests/bench/proxy.py [--quick] [--rounds N]` prints one JSON line."""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sse_server as S  # noqa: E402

CLIENT = os.path.join(HERE, "proxy_client.py")


def run_client(port, ca, n, env, threads=1):
    """One client run; returns its JSON line as a dict (raises on failure)."""
    r = subprocess.run([S.PY, CLIENT, "--port", str(port), "--ca", ca, "-n", str(n),
                        "--threads", str(threads)], env=env, capture_output=True, text=True,
                       timeout=300)
    try:
        out = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise RuntimeError("client failed (rc %d): %s" % (r.returncode, r.stderr[-300:]))
    if r.returncode != 0 or out["errors"]:
        raise RuntimeError("client failed (rc %d): %s %s" % (r.returncode, out["errors"],
                                                              r.stderr[-300:]))
    if out["events"] != out["exchanges"] * S.EVENTS:
        raise RuntimeError("client read %d events, expected %d"
                           % (out["events"], out["exchanges"] * S.EVENTS))
    return out


class Mitmdump:
    """mitmdump in reverse-proxy mode in front of 127.0.0.1:upstream, its confdir (and CA) in
    tmp; .port, .ca, .stop()."""

    def __init__(self, upstream, tmp):
        exe = shutil.which("mitmdump")
        if not exe:
            raise RuntimeError("mitmdump is not installed (Debian package mitmproxy)")
        conf = os.path.join(tmp, "mitm")
        os.makedirs(conf, exist_ok=True)
        self.port = S.free_port()
        self.log = open(os.path.join(tmp, "mitm.log"), "w+")
        self.proc = subprocess.Popen(
            [exe, "--mode", "reverse:https://127.0.0.1:%d" % upstream, "--listen-host",
             "127.0.0.1", "--listen-port", str(self.port), "--ssl-insecure", "-q",
             "--set", "confdir=" + conf], stdout=self.log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env=S.clean_env())
        self.ca = os.path.join(conf, "mitmproxy-ca-cert.pem")
        if not S.wait_port(self.port, 30, self.proc) or not os.path.exists(self.ca):
            self.stop()
            self.log.seek(0)
            raise RuntimeError("mitmdump did not start: %s" % self.log.read()[-300:].strip())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def measure(repo, quick=False, rounds=None):
    n = 30 if quick else 100
    rounds = rounds or (3 if quick else 5)
    tmp = tempfile.mkdtemp(prefix="llmtap-bench-proxy-")
    cert, key = S.make_cert(tmp)
    srv = S.SSEServer(cert, key)
    rcv = S.Receiver()
    mitm = None
    res = {"exchanges": n, "rounds": rounds, "events_per_exchange": S.EVENTS}
    try:
        try:
            mitm = Mitmdump(srv.port, tmp)
            res["mitmdump"] = "ok"
        except (RuntimeError, OSError) as e:
            res["mitmdump"] = "not available here: %s" % e
        env_none = S.clean_env()
        env_tap = S.llmtap_env(repo, rcv.endpoint)
        modes = {"direct": (srv.port, cert, env_none), "llmtap": (srv.port, cert, env_tap)}
        if mitm:
            modes["mitmdump"] = (mitm.port, mitm.ca, env_none)
        run_client(srv.port, cert, 5, env_none)  # warm-up
        if mitm:
            run_client(mitm.port, mitm.ca, 5, env_none)
        walls = {m: [] for m in modes}
        added = {m: [] for m in modes if m != "direct"}
        for i in range(rounds):
            order = list(modes)
            if i % 2:
                order.reverse()
            got = {}
            for m in order:
                port, ca, env = modes[m]
                got[m] = run_client(port, ca, n, env)["wall_s"] * 1000.0 / n
                walls[m].append(got[m])
            for m in added:
                added[m].append(got[m] - got["direct"])
        res["ms_per_exchange"] = {m: S.median(v) for m, v in walls.items()}
        res["added_ms"] = {m: S.median(v) for m, v in added.items()}
        res["otlp_requests"] = rcv.requests
        if rcv.requests == 0:
            raise RuntimeError("llmtap exported nothing to the local receiver")
    finally:
        if mitm:
            mitm.stop()
        srv.stop()
        rcv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int)
    a = ap.parse_args()
    repo = os.path.dirname(os.path.dirname(HERE))
    print(json.dumps(measure(repo, a.quick, a.rounds)))


if __name__ == "__main__":
    main()
