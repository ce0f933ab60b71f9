"""Answer ``lifespan`` scopes for apps that refuse them (Django's handler, asgiref's WsgiToAsgi).

uvicorn's default ``--lifespan auto`` tolerates such apps; the test servers run with
``--lifespan on``, which does not.  The HTTP path goes to the wrapped app untouched.
"""

from __future__ import annotations

from statusguard._asgi_types import AnyASGIApp, ASGIApp, Receive, Scope, Send


def acknowledge_lifespan(app: AnyASGIApp) -> ASGIApp:
    async def outer(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    return outer
