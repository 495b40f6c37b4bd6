"""httpx.AsyncClient client (asyncio, TLS through a memory BIO): one exchange."""

import asyncio

import httpx

import common


async def run(a):
    method, path, headers, body = common.build(a)
    async with httpx.AsyncClient(verify=a.ca, timeout=30) as c:
        async with c.stream(method, a.url + path, content=body, headers=headers) as r:
            async for chunk in r.aiter_bytes():
                common.emit(chunk)
            return r.status_code


def main():
    a = common.parse()
    common.finish(asyncio.run(run(a)))


if __name__ == "__main__":
    main()
