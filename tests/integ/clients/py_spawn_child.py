"""Makes one exchange with http.client, then runs py_http_client.py as a child process with
the same arguments (the child inherits the environment, LD_PRELOAD and all). Prints the
parent's body, then the child's stdout; exits with the child's status if non-zero."""

import os
import subprocess
import sys

import common
import py_http_client


def main():
    a = common.parse()
    a.threads = 1
    conn = py_http_client.connect(a)
    status, _ = py_http_client.exchange(conn, a)
    conn.close()
    child = os.path.join(os.path.dirname(os.path.abspath(__file__)), "py_http_client.py")
    r = subprocess.run([sys.executable, child] + sys.argv[1:], stdout=subprocess.PIPE)
    common.emit(r.stdout)
    if r.returncode:
        sys.exit(r.returncode)
    common.finish(status)


if __name__ == "__main__":
    main()
