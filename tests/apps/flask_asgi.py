"""Flask mounted on an ASGI server through asgiref's ``WsgiToAsgi``.

Flask's ``send_file`` (werkzeug's ``make_conditional``) sets ``Date`` itself; uvicorn and
hypercorn add their own beside it.  ``guarded`` wraps the ASGI side in ASGIStatusGuard (fix
mode), ``bare`` does not.
"""

from __future__ import annotations

import io
import logging

from asgiref.wsgi import WsgiToAsgi
from flask import Flask, Response, send_file

from apps.lifespan import acknowledge_lifespan
from statusguard.asgi import ASGIStatusGuard

flask_app = Flask(__name__)


@flask_app.get("/report.txt")
def report() -> Response:
    return send_file(io.BytesIO(b"quarterly report"), mimetype="text/plain")


@flask_app.get("/plain")
def plain() -> Response:
    return Response(b"plain", mimetype="text/plain")


# The compatibility steps log their first use at INFO: show them on the server's stderr.
_log = logging.getLogger("statusguard.flask_asgi")
_log.setLevel(logging.INFO)
_log.addHandler(logging.StreamHandler())

adapter = WsgiToAsgi(flask_app)  # type: ignore[no-untyped-call]  # asgiref ships no types here
bare = acknowledge_lifespan(adapter)
guarded = acknowledge_lifespan(ASGIStatusGuard(adapter, mode="fix", logger=_log))
