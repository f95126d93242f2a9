# An asyncio echo server and three clients over a unix socket at argv[1].
import asyncio, sys
async def handle(r, w):
    data = await r.read(100)
    w.write(data.upper())
    await w.drain()
    w.close()
async def main(path):
    srv = await asyncio.start_unix_server(handle, path)
    async with srv:
        got = []
        for i in range(3):
            r, w = await asyncio.open_unix_connection(path)
            w.write(b"echo %d" % i)
            await w.drain()
            got.append(await r.read(100))
            w.close()
            await w.wait_closed()
        print(got)
asyncio.run(main(sys.argv[1]))
