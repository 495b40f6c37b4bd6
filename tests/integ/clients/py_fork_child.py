"""Makes one exchange with http.client, then os.fork()s without exec: the child makes one
exchange on a new connection and exits normally; the parent waits for it, then makes one
more. Every body is printed as it arrives (the parent waits, so the order is fixed).
DRV_FORK_SETTLE_MS: milliseconds to wait before forking (integ_util.FORK_ENV explains)."""

import os
import sys
import time

import common
import py_http_client


def one(a):
    conn = py_http_client.connect(a)
    status, _ = py_http_client.exchange(conn, a)
    conn.close()
    return status


def main():
    a = common.parse()
    a.threads = 1
    one(a)
    time.sleep(int(os.environ.get("DRV_FORK_SETTLE_MS", "0")) / 1000)
    pid = os.fork()
    if pid == 0:
        sys.exit(0 if one(a) == 200 else 1)
    _, wstatus = os.waitpid(pid, 0)
    status = one(a)
    if os.waitstatus_to_exitcode(wstatus):
        sys.exit(1)
    common.finish(status)


if __name__ == "__main__":
    main()
