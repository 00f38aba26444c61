"""The baseline the served figures are held against: one Starlette GET on uvicorn.

``python -m harness.bench.bare PORT`` serves ``GET /`` with a small JSON body
on 127.0.0.1 with uvicorn's fastest settings (httptools and uvloop, no access
log): the most this machine's Python web stack answers, measured by the same
load generator in the same run as the harness.
"""

from __future__ import annotations

import sys

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

__all__ = ["app", "main"]


async def hello(request: Request) -> JSONResponse:
    """Answer a small JSON document."""
    return JSONResponse({"ok": True})


app = Starlette(routes=[Route("/", hello)])


def main(argv: list[str]) -> None:
    """Serve :data:`app` on 127.0.0.1 at the port in ``argv``."""
    import uvicorn

    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(argv[0]),
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        lifespan="off",
    )


if __name__ == "__main__":
    main(sys.argv[1:])
