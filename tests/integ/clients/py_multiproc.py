"""Python child processes each doing one http.client exchange: --mode mp_fork
(multiprocessing with the fork start method: the children end with os._exit), subprocess
(subprocess.run: vfork/fork + exec in _posixsubprocess) or spawn (subprocess.run with
close_fds=False, which takes os.posix_spawn). --children N (default 3). The parent makes
one exchange first; bodies are printed in child order."""

import multiprocessing
import os
import subprocess
import sys
import time

import common
import py_http_client


def one(a):
    conn = py_http_client.connect(a)
    a.threads = 2  # collect the body instead of printing it
    status, out = py_http_client.exchange(conn, a)
    conn.close()
    return status, out


def mp_child(argv, q):
    a = common.parse(argv, extra=extra)
    q.put(one(a))


def extra(ap):
    ap.add_argument("--mode", default="mp_fork")
    ap.add_argument("--children", type=int, default=3)


def main():
    a = common.parse(extra=extra)
    status, out = one(a)
    common.emit(out)
    worst = status
    if a.mode == "mp_fork":
        # DRV_FORK_SETTLE_MS: as in tests/drivers/spawn_kinds.c
        time.sleep(int(os.environ.get("DRV_FORK_SETTLE_MS", "0")) / 1000)
        ctx = multiprocessing.get_context("fork")
        qs, ps = [], []
        for _ in range(a.children):
            q = ctx.Queue()
            p = ctx.Process(target=mp_child, args=(sys.argv[1:], q))
            p.start()
            qs.append(q)
            ps.append(p)
        for q, p in zip(qs, ps):
            st, body = q.get(timeout=30)
            p.join()
            common.emit(body)
            worst = max(worst, st, 0 if p.exitcode == 0 else 999)
    else:
        child = os.path.join(os.path.dirname(os.path.abspath(__file__)), "py_http_client.py")
        argv = [x for x in sys.argv[1:]]
        i = argv.index("--mode")
        del argv[i:i + 2]
        if "--children" in argv:
            i = argv.index("--children")
            del argv[i:i + 2]
        for _ in range(a.children):
            r = subprocess.run([sys.executable, child] + argv, stdout=subprocess.PIPE,
                               close_fds=(a.mode != "spawn"))
            common.emit(r.stdout)
            worst = max(worst, 0 if r.returncode == 0 else 999)
    common.finish(worst)


if __name__ == "__main__":
    main()
