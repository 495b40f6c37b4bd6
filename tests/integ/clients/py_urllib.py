"""urllib.request client: one exchange; prints the response body."""

import ssl
import urllib.error
import urllib.request

import common


def main():
    a = common.parse()
    method, path, headers, body = common.build(a)
    ctx = ssl.create_default_context(cafile=a.ca)
    req = urllib.request.Request(a.url + path, data=body, headers=headers, method=method)
    try:
        resp = urllib.request.urlopen(req, context=ctx, timeout=30)
    except urllib.error.HTTPError as e:
        common.emit(e.read())
        common.finish(e.code)
    while True:
        chunk = resp.read1(8192)
        if not chunk:
            break
        common.emit(chunk)
    common.finish(resp.status)


if __name__ == "__main__":
    main()
