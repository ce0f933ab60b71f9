"""Run uvicorn on an inherited TCP listening socket: ``python -m benchmarks.serve_uvicorn APP FD``.

``uvicorn --fd N`` rebuilds the socket with ``socket.fromfd(N, AF_UNIX, ...)``, so asyncio does
not recognise the accepted connections as TCP and leaves Nagle's algorithm on: a response
written as two segments (head, then body) then waits for the client's delayed ACK, about 40 ms,
and a benchmark measures that.  ``socket.socket(fileno=N)`` detects the real family.
"""

from __future__ import annotations

import socket
import sys

import uvicorn


def main(argv: list[str] | None = None) -> None:
    app, fd = (argv if argv is not None else sys.argv[1:])[:2]
    sock = socket.socket(fileno=int(fd))
    config = uvicorn.Config(
        app,
        http="httptools",
        loop="asyncio",
        lifespan="off",
        access_log=False,
        log_level="warning",
    )
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
