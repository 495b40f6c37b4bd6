"""requests client (urllib3 underneath): one exchange; prints the (decoded) body."""

import requests

import common


def main():
    a = common.parse()
    method, path, headers, body = common.build(a)
    with requests.Session() as s:
        r = s.request(method, a.url + path, data=body, headers=headers, verify=a.ca,
                      stream=a.stream or a.download is not None, timeout=30)
        for chunk in r.iter_content(chunk_size=None):
            common.emit(chunk)
        common.finish(r.status_code)


if __name__ == "__main__":
    main()
