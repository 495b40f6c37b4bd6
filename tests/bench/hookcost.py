#!/usr/bin/python3
"""hookcost.py — instructions llmtap adds per SSL_read/SSL_write call on non-LLM TLS traffic
(issue 5, item 1; target <= 60), counted with callgrind.

Runs build/bench/hookcost (tests/bench/hookcost.c: an in-process OpenSSL client and server,
SNI www.example.org, 64-byte records) under `valgrind --tool=callgrind` with N1 and N2 loop
iterations, each without and with LD_PRELOAD=build/libllmtap.so, and derives

    per call = ((Ir_with(N2) - Ir_with(N1)) - (Ir_without(N2) - Ir_without(N1)))
               / (calls(N2) - calls(N1))

(the differencing removes start-up, key generation and the TLS handshake; calls are what
the driver reports it made through the PLT). Cases: mode `bio` (memory BIO pair) and `fd`
(TCP over loopback, connect() and SSL_set_fd: libssl's read()/write() calls go through
llmtap's libc hooks too, and are part of the figure), each with kinds `rt` (client write, server read, server write, client read), `write` (client
writes only are hooked), `read` (client reads only), their `_ex` variants, and payloads
`raw` (an opaque binary protocol) and `http` (body bytes of a non-LLM HTTP/1.1 upload and
download to www.example.org).

API for scripts/bench:

    measure(repo, quick=False) -> dict
        repo:  path of the llmtap checkout (build/bench/hookcost and build/libllmtap.so must
               be built: `make lib build/bench/hookcost`).
        quick: fewer cases and iterations (about 30 s instead of about 3 min).
        Returns {
          "metric": "instructions added per hooked SSL call (callgrind Ir)",
          "target": 60,
          "headline": float,        # mode bio, kind rt, payload raw
          "headline_fd": float,     # mode fd, kind rt, payload raw
          "met": bool,              # every bio raw-payload case <= target (the issue's)
          "met_fd": bool,           # every fd raw-payload case <= target (includes the
                                    # libc read()/write() hooks libssl goes through)
          "cases": [ {"mode", "kind", "payload", "n1", "n2", "calls", "ir_per_call",
                      "ir_without_per_call"} ... ],   # ir_without: libssl's own cost per call
          "breakdown": [ {"function", "ir_per_call"} ... ],  # llmtap's functions (self cost,
                                  # inlined code by its header), mode bio, kind rt, raw; last
                                  # the rest of the difference (outside llmtap)
          "valgrind": "valgrind-3.x",
        }
        Raises RuntimeError when valgrind or the binaries are missing or a run fails.

Standalone: `/usr/bin/python3 tests/bench/hookcost.py [--quick] [--repo PATH]` prints a short
table and the breakdown on stderr and one JSON line (the dict above) on stdout.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

TARGET = 60

# (mode, kind, payload) cases; the first is the headline.
FULL_CASES = [
    ("bio", "rt", "raw"),
    ("fd", "rt", "raw"),
    ("bio", "write", "raw"),
    ("bio", "read", "raw"),
    ("bio", "rt-ex", "raw"),
    ("bio", "write-ex", "raw"),
    ("bio", "read-ex", "raw"),
    ("fd", "write", "raw"),
    ("fd", "read", "raw"),
    ("fd", "rt-ex", "raw"),
    ("bio", "rt", "http"),
    ("bio", "write", "http"),
    ("bio", "read", "http"),
    ("fd", "rt", "http"),
]
QUICK_CASES = [
    ("bio", "rt", "raw"),
    ("fd", "rt", "raw"),
    ("bio", "write", "raw"),
    ("bio", "read", "raw"),
    ("bio", "rt", "http"),
]


def _env(with_lib, lib):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OTEL_", "LLMTAP_", "TRACEPARENT", "TRACESTATE"))}
    env.pop("LD_PRELOAD", None)
    if with_lib:
        env["LD_PRELOAD"] = lib
    return env


def _run(repo, out_dir, tag, args, with_lib):
    """One callgrind run; returns (total Ir, calls reported, callgrind output path)."""
    drv = os.path.join(repo, "build", "bench", "hookcost")
    lib = os.path.join(out_dir, "libllmtap.so")  # measure's private copy
    out = os.path.join(out_dir, "%s.%s.out" % (tag, "with" if with_lib else "without"))
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, drv] + args
    for attempt in range(3):
        # Retried: valgrind 3.19 here now and then stops a run with a spurious SIGTRAP inside
        # libssl (with or without llmtap; the same run then passes).
        p = subprocess.run(cmd, env=_env(with_lib, lib), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=600)
        if p.returncode == 0 or "SIGTRAP" not in p.stderr:
            break
    m = re.search(r"calls (\d+)", p.stdout)
    if p.returncode != 0 or not m:
        raise RuntimeError("hookcost %s failed (%d): %s" % (" ".join(args), p.returncode,
                                                            p.stderr[-2000:]))
    ir = None
    with open(out) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                ir = int(line.split()[1])
                break
    if ir is None:
        raise RuntimeError("no Ir total in " + out)
    return ir, int(m.group(1)), out


def _llmtap_functions(path, repo):
    """Self Ir per llmtap function in a callgrind output (via callgrind_annotate), keyed
    "file:function"; code inlined from a header is listed under that header."""
    # cwd "/": file names stay absolute (callgrind_annotate shortens those under its cwd).
    p = subprocess.run(["callgrind_annotate", "--auto=no", "--threshold=100", path], cwd="/",
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    res = {}
    for line in p.stdout.splitlines():
        m = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?([^\s=>*]\S*?):(\S+)(?: \[(.*)\])?$", line)
        if not m:
            continue
        obj, fil = m.group(4), m.group(2)
        if (obj and "libllmtap" in obj) or (not obj and fil.startswith(repo + "/")):
            key = "%s:%s" % (os.path.basename(fil), m.group(3))
            res[key] = res.get(key, 0) + int(m.group(1).replace(",", ""))
    return res


def _case(repo, out_dir, mode, kind, payload, n1, n2, breakdown=False):
    runs = {}
    for n in (n1, n2):
        for w in (False, True):
            tag = "%s-%s-%s-%d" % (mode, kind, payload, n)
            runs[(n, w)] = _run(repo, out_dir, tag, [mode, str(n), kind, payload], w)
    calls = runs[(n2, True)][1] - runs[(n1, True)][1]
    if calls <= 0 or calls != runs[(n2, False)][1] - runs[(n1, False)][1]:
        raise RuntimeError("inconsistent call counts for %s %s %s" % (mode, kind, payload))
    d_with = runs[(n2, True)][0] - runs[(n1, True)][0]
    d_without = runs[(n2, False)][0] - runs[(n1, False)][0]
    case = {"mode": mode, "kind": kind, "payload": payload, "n1": n1, "n2": n2,
            "calls": calls, "ir_per_call": round((d_with - d_without) / calls, 1),
            "ir_without_per_call": round(d_without / calls, 1)}
    bd = None
    if breakdown:
        f2 = _llmtap_functions(runs[(n2, True)][2], repo)
        f1 = _llmtap_functions(runs[(n1, True)][2], repo)
        bd = sorted(({"function": fn, "ir_per_call": round((f2[fn] - f1.get(fn, 0)) / calls, 1)}
                     for fn in f2), key=lambda e: -e["ir_per_call"])
        bd = [e for e in bd if e["ir_per_call"] >= 0.1]
        rest = case["ir_per_call"] - sum(e["ir_per_call"] for e in bd)
        bd.append({"function": "(elsewhere: libc, libssl, PLT)", "ir_per_call": round(rest, 1)})
    return case, bd


def measure(repo, quick=False):
    """See the module docstring."""
    repo = os.path.abspath(repo)
    if not shutil.which("valgrind"):
        raise RuntimeError("valgrind is not installed")
    for f in ("build/bench/hookcost", "build/libllmtap.so"):
        if not os.path.exists(os.path.join(repo, f)):
            raise RuntimeError("%s is missing: make lib build/bench/hookcost" % f)
    ver = subprocess.run(["valgrind", "--version"], stdout=subprocess.PIPE, text=True)
    cases = QUICK_CASES if quick else FULL_CASES
    n1, n2 = (100, 600) if quick else (200, 1200)
    res = {"metric": "instructions added per hooked SSL call (callgrind Ir)",
           "target": TARGET, "cases": [], "breakdown": [],
           "valgrind": ver.stdout.strip()}
    with tempfile.TemporaryDirectory(prefix="hookcost.") as tmp:
        # A private copy: a rebuild of build/ during the runs must not mix two libraries.
        shutil.copy2(os.path.join(repo, "build", "libllmtap.so"), tmp)
        for i, (mode, kind, payload) in enumerate(cases):
            case, bd = _case(repo, tmp, mode, kind, payload, n1, n2, breakdown=(i == 0))
            res["cases"].append(case)
            if bd is not None:
                res["breakdown"] = bd
    by = {(c["mode"], c["kind"], c["payload"]): c["ir_per_call"] for c in res["cases"]}
    res["headline"] = by[("bio", "rt", "raw")]
    res["headline_fd"] = by[("fd", "rt", "raw")]
    # The target is for the memory-BIO driver; fd cases also count llmtap's libc
    # read()/write() hooks under libssl (about 3 per SSL call), reported beside it.
    res["met"] = all(c["ir_per_call"] <= TARGET for c in res["cases"]
                     if c["payload"] == "raw" and c["mode"] == "bio")
    res["met_fd"] = all(c["ir_per_call"] <= TARGET for c in res["cases"]
                        if c["payload"] == "raw" and c["mode"] == "fd")
    return res


def main(argv):
    quick = "--quick" in argv
    repo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    if "--repo" in argv:
        repo = argv[argv.index("--repo") + 1]
    res = measure(repo, quick)
    err = sys.stderr
    print("hook cost per call (Ir added by llmtap; libssl's own Ir per call; target <= %d)"
          % TARGET, file=err)
    for c in res["cases"]:
        print("  %-4s %-9s %-5s %7.1f   (libssl %7.1f, %d calls)" % (
            c["mode"], c["kind"], c["payload"], c["ir_per_call"], c["ir_without_per_call"],
            c["calls"]), file=err)
    print("llmtap functions, self Ir per call (bio rt raw):", file=err)
    for e in res["breakdown"][:15]:
        print("  %7.1f  %s" % (e["ir_per_call"], e["function"]), file=err)
    print(json.dumps(res, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
