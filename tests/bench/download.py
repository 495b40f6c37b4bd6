"""Issue 5, item 2: bulk TLS download. curl downloads SIZE bytes (256 MiB; 64 MiB with quick)
over loopback from a local TLS server and we measure only curl's CPU time (user+sys, from
os.wait4's rusage of the curl child; the server is another process and does not count):
without llmtap, with llmtap (LD_PRELOAD), and under a bpftrace uprobe+uretprobe pair on
libssl's SSL_read (empty probes: the mechanism of eBPF TLS tracers), alternated within each
round; the figure is the median over rounds of each round's ratio to its own baseline.

Each round runs the download without llmtap twice, first and last ("none", "none_again"; the
order reversed every other round): the round's baseline is their mean, so a drift of the
machine's speed within the round cancels, and their ratio none_again/none is an A/A control
that shows how far noise alone moves a round's figure. On a machine with two CPUs or more
the server runs on CPU 0 and curl on CPU 1 (sched_setaffinity; every mode alike): curl's
CPU time then no longer depends on where the scheduler put it beside the server. And the
same ratio is counted in instructions: curl under callgrind (all threads) at 4 and 16 MiB,
without and with llmtap, each side fitted as fixed + slope x MiB and extrapolated to SIZE.

measure(repo, quick) -> dict:
  {"size_mib": int, "rounds": int,
   "cpu_s": {"none": median s, "llmtap": median s, "bpftrace": median s or absent,
             "none_again": median s},
   "ratio_llmtap": median of per-round llmtap/baseline, "ratio_bpftrace": same or None,
   "ratio_aa": median of per-round none_again/none, "ratios": per-round ratios by mode,
   "ir_ratio": instruction ratio at SIZE, "ir_added_per_mib", "ir_one_time_added",
   "bpftrace": "ok" | "not available here: <reason>",
   "ssl_read_calls": SSL_read calls per download counted by bpftrace (or absent),
   "pinned": [server CPU, curl CPU] or None,
   "target": 1.01, "pass": ratio_llmtap <= target}
Standalone: `python3 tests/bench/download.py [--quick] [--rounds N]` prints it as one JSON
line. The server: `download.py serve CERT KEY SIZE [CPU]` prints "PORT n", then answers every
GET with SIZE bytes (or N for a path ending in ?bytes=N; Content-Length, pre-built 1 MiB
block sent with sendall)."""

import argparse
import glob
import json
import os
import re
import select
import shutil
import socket
import socketserver
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sse_server as S  # noqa: E402

LIBSSL = "/lib/x86_64-linux-gnu/libssl.so.3"
TARGET = 1.01
BLOCK = 1 << 20
IR_MIB = (4, 16)  # download sizes of the callgrind runs behind the instruction ratio


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        conn, buf = self.request, b""
        while b"\r\n\r\n" not in buf:
            d = conn.recv(65536)
            if not d:
                return
            buf += d
        size = self.server.size
        m = re.search(rb"^GET [^ ]*[?&]bytes=(\d+)", buf)
        if m:
            size = int(m.group(1))
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                     b"Content-Length: %d\r\nConnection: close\r\n\r\n" % size)
        block = memoryview(self.server.block)
        while size > 0:
            n = min(size, BLOCK)
            conn.sendall(block[:n])
            size -= n
        try:
            conn.unwrap()
        except (OSError, ValueError):
            pass


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, cert, key, size):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.size = size
        self.block = os.urandom(BLOCK)

    def get_request(self):
        sock, addr = self.socket.accept()
        return self.ctx.wrap_socket(sock, server_side=True), addr

    def handle_error(self, request, client_address):
        pass


def pinning():
    """(server CPU, client CPU) when this process may run on two CPUs or more, else None."""
    cpus = sorted(os.sched_getaffinity(0))
    return (cpus[0], cpus[1]) if len(cpus) >= 2 else None


def cpu_of(argv, env, cpu=None):
    """Run argv (on CPU `cpu` only, when given); return (exit status, user+sys CPU seconds
    of that child)."""
    mask = os.sched_getaffinity(0) if cpu is not None else None
    if mask is not None:
        os.sched_setaffinity(0, {cpu})  # the child inherits this thread's mask
    try:
        pid = os.posix_spawn(argv[0], argv, env, file_actions=[
            (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0)])
    finally:
        if mask is not None:
            os.sched_setaffinity(0, mask)
    _, status, ru = os.wait4(pid, 0)
    return os.waitstatus_to_exitcode(status), ru.ru_utime + ru.ru_stime


class Bpftrace:
    """An empty uprobe+uretprobe pair on libssl's SSL_read, attached globally (every process
    mapping libssl sees it) until stop(); counts hits so we know the probes fired."""

    PROG = ("uprobe:%s:SSL_read { @calls = count(); } uretprobe:%s:SSL_read { } "
            "BEGIN { printf(\"READY\\n\"); }") % (LIBSSL, LIBSSL)

    def __init__(self, timeout=10.0):
        self.proc = None
        exe = shutil.which("bpftrace")
        if not exe:
            raise RuntimeError("bpftrace is not installed (Debian package bpftrace)")
        if not os.path.exists(LIBSSL):
            raise RuntimeError("%s not found" % LIBSSL)
        self.proc = subprocess.Popen([exe, "-e", self.PROG], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        end, out = time.monotonic() + timeout, b""
        while time.monotonic() < end:
            r, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if r:
                d = os.read(self.proc.stdout.fileno(), 4096)
                out += d
                if b"READY" in out:
                    return
                if not d:
                    break
            if self.proc.poll() is not None:
                break
        err = self.stop_err()
        raise RuntimeError(err or "bpftrace did not attach within %.0f s" % timeout)

    def stop_err(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        lines = [ln for ln in self.proc.stderr.read().decode(errors="replace").splitlines()
                 if ln.strip() and "RLIMIT_MEMLOCK" not in ln]
        return lines[-1].strip() if lines else ""

    def stop(self):
        """Detach (SIGINT prints the map); returns the number of SSL_read calls seen."""
        self.proc.send_signal(2)
        try:
            out, _ = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        for line in out.decode(errors="replace").splitlines():
            if line.startswith("@calls:"):
                return int(line.split()[1])
        return 0


def measure(repo, quick=False, rounds=None):
    size_mib = 64 if quick else 256
    rounds = rounds or (3 if quick else 11)
    tmp = tempfile.mkdtemp(prefix="llmtap-bench-dl-")
    cert, key = S.make_cert(tmp)
    pin = pinning()
    srv = subprocess.Popen([S.PY, os.path.abspath(__file__), "serve", cert, key,
                            str(size_mib << 20)] + ([str(pin[0])] if pin else []),
                           stdout=subprocess.PIPE, text=True, env=S.clean_env())
    client_cpu = pin[1] if pin else None
    res = {"size_mib": size_mib, "rounds": rounds, "target": TARGET,
           "pinned": list(pin) if pin else None}
    try:
        port = int(srv.stdout.readline().split()[1])
        curl = shutil.which("curl")
        def argv_of(nbytes=None):
            q = "?bytes=%d" % nbytes if nbytes is not None else ""
            return [curl, "-sS", "--http1.1", "-o", "/dev/null", "--cacert", cert,
                    "https://localhost:%d/blob%s" % (port, q)]

        argv = argv_of()
        env_none = S.clean_env()
        env_tap = S.llmtap_env(repo, "http://127.0.0.1:%d" % S.free_port())
        # Probe bpftrace once, quickly; on failure say why and go on without it.
        bpf_ok, calls = True, []
        try:
            Bpftrace().stop()
            res["bpftrace"] = "ok"
        except (RuntimeError, OSError) as e:
            bpf_ok = False
            res["bpftrace"] = "not available here: %s" % e
        cpu = {"none": [], "llmtap": [], "bpftrace": [], "none_again": []}
        ratios = {"llmtap": [], "bpftrace": [], "none_again": []}
        cpu_of(argv, env_none, client_cpu)  # warm the page cache and the server
        for i in range(rounds):
            # none and none_again, first and last: the round's baseline is their mean (a
            # drift within the round cancels); none_again/none is the A/A control.
            order = ["none", "llmtap", "bpftrace", "none_again"] if bpf_ok else \
                ["none", "llmtap", "none_again"]
            if i % 2:
                order.reverse()
            got = {}
            for mode in order:
                bt = None
                if mode == "bpftrace":
                    bt = Bpftrace()
                rc, t = cpu_of(argv, env_tap if mode == "llmtap" else env_none, client_cpu)
                if bt:
                    calls.append(bt.stop())
                if rc != 0:
                    raise RuntimeError("curl exited %d (%s)" % (rc, mode))
                got[mode] = t
                cpu[mode].append(t)
            base = (got["none"] + got["none_again"]) / 2
            for mode in ("llmtap", "bpftrace"):
                if mode in got:
                    ratios[mode].append(got[mode] / base)
            ratios["none_again"].append(got["none_again"] / got["none"])
        res["cpu_s"] = {k: S.median(v) for k, v in cpu.items() if v}
        res["cpu_s_all"] = cpu
        res["ratio_llmtap"] = S.median(ratios["llmtap"])
        res["ratio_bpftrace"] = S.median(ratios["bpftrace"]) if ratios["bpftrace"] else None
        res["ratios"] = ratios
        res["ratio_aa"] = S.median(ratios["none_again"])
        res.update(instruction_ratio(argv_of, env_none, env_tap, size_mib, tmp))
        if calls:
            res["ssl_read_calls"] = int(S.median(calls))
        res["pass"] = res["ratio_llmtap"] <= TARGET
    finally:
        srv.terminate()
        srv.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    return res


def callgrind_ir(argv, env, out):
    """Instructions (callgrind Ir) of one run of argv, all threads summed."""
    for f in glob.glob(out + "*"):
        os.unlink(f)
    subprocess.run(["valgrind", "--tool=callgrind", "--separate-threads=yes",
                    "--callgrind-out-file=" + out] + argv, env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
    total = 0
    for f in glob.glob(out + "*"):
        with open(f) as fh:
            for line in fh:
                if line.startswith("summary:"):
                    total += int(line.split()[1])
        os.unlink(f)
    return total


def instruction_ratio(argv_of, env_none, env_tap, size_mib, tmp):
    """The download's instruction ratio with/without llmtap, from callgrind runs of curl at
    IR_MIB[0] and IR_MIB[1] MiB extrapolated linearly to size_mib (Ir = fixed + slope x
    MiB on each side). Load does not change instruction counts."""
    lo, hi = IR_MIB
    ir = {}
    for name, env in (("none", env_none), ("llmtap", env_tap)):
        for mib in (lo, hi):
            ir[name, mib] = callgrind_ir(argv_of(mib << 20), env,
                                         os.path.join(tmp, "cg.%s.%d" % (name, mib)))
    fit = {}
    for name in ("none", "llmtap"):
        slope = (ir[name, hi] - ir[name, lo]) / (hi - lo)
        fit[name] = (ir[name, lo] - slope * lo, slope)
    at = {k: a + b * size_mib for k, (a, b) in fit.items()}
    return {"ir_mib": [lo, hi], "ir": {"%s_%d" % k: v for k, v in ir.items()},
            "ir_added_per_mib": fit["llmtap"][1] - fit["none"][1],
            "ir_one_time_added": fit["llmtap"][0] - fit["none"][0],
            "ir_ratio": at["llmtap"] / at["none"]}


def main():
    if len(sys.argv) in (5, 6) and sys.argv[1] == "serve":
        if len(sys.argv) == 6:  # the server's CPU (its threads inherit the mask)
            os.sched_setaffinity(0, {int(sys.argv[5])})
        s = _Server(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        print("PORT %d" % s.server_address[1], flush=True)
        s.serve_forever()
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int)
    a = ap.parse_args()
    repo = os.path.dirname(os.path.dirname(HERE))
    print(json.dumps(measure(repo, a.quick, a.rounds)))


if __name__ == "__main__":
    socket.setdefaulttimeout(None)
    main()
