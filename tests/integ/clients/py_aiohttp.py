"""aiohttp client (asyncio, TLS through a memory BIO): one exchange."""

import asyncio
import ssl

import aiohttp

import common


async def run(a):
    method, path, headers, body = common.build(a)
    ctx = ssl.create_default_context(cafile=a.ca)
    async with aiohttp.ClientSession() as s:
        async with s.request(method, a.url + path, data=body, headers=headers, ssl=ctx,
                             timeout=aiohttp.ClientTimeout(total=30)) as r:
            async for chunk in r.content.iter_any():
                common.emit(chunk)
            return r.status


def main():
    a = common.parse()
    common.finish(asyncio.run(run(a)))


if __name__ == "__main__":
    main()
