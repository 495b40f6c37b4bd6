"""httpx.Client client: one exchange; prints the (decoded) body."""

import httpx

import common


def main():
    a = common.parse()
    method, path, headers, body = common.build(a)
    with httpx.Client(verify=a.ca, timeout=30) as c:
        with c.stream(method, a.url + path, content=body, headers=headers) as r:
            for chunk in r.iter_bytes():
                common.emit(chunk)
            common.finish(r.status_code)


if __name__ == "__main__":
    main()
