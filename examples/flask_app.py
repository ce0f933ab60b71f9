"""A small Flask app behind statusguard, to see the three modes at work.

Run it with the werkzeug dev server, in the mode of your choice::

    pip install statusguard flask
    STATUSGUARD_MODE=strict flask --app examples/flask_app run   # or warn, or fix
    # or: python examples/flask_app.py fix

then ask it for the routes below, e.g. ``curl -si http://127.0.0.1:5000/reset``:

- ``/``          a correct response: nothing happens in any mode;
- ``/reset``     a 205 with a body (werkzeug empties 204 and 304 bodies, not 205's);
- ``/private``   a 401 without ``WWW-Authenticate`` (never invented: warned, or raised);
- ``/dated``     the view sets ``Date``, and the dev server adds its own: the second line is
  the server's doing, so every mode but warn drops it (a compatibility step, never a raise);
- ``/methods``   a 405 without ``Allow``;
- ``/stream``    a streamed body longer than its ``Content-Length``.

``strict`` turns ``/reset``, ``/private`` and ``/methods`` into a 500 (the ``StatusGuardError``
is in the console, with the rule, the RFC sentence, what was seen and what to change), and ends
``/stream`` at its ``Content-Length``, reported at ERROR (its head was already sent: raising
then would corrupt the response); ``warn`` sends everything unchanged and logs each
violation once; ``fix`` repairs what can be repaired (the 205 loses its body and gets
``Content-Length: 0``, the second ``Date`` and the bytes past ``Content-Length`` are gone) and
logs the rest.  ``/stats`` shows the guard's exact counters.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator

from flask import Flask, Response, jsonify

from statusguard.contrib.flask import StatusGuard

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")


def create_app(mode: str | None = None) -> Flask:
    """The example app; ``mode=None`` leaves the choice to ``STATUSGUARD_MODE`` (else warn)."""
    app = Flask(__name__)
    # The same keys as WSGIStatusGuard's keyword options; the keyword arguments of
    # StatusGuard() override them.
    app.config["STATUSGUARD"] = {
        "rules": {"content-type-missing": "off"},
        "log_interval": 10.0,
    }

    @app.get("/")
    def index() -> str:
        return "statusguard example: try /reset /private /dated /methods /stream /stats\n"

    @app.get("/reset")
    def reset() -> tuple[str, int]:
        return "form cleared\n", 205

    @app.get("/private")
    def private() -> tuple[str, int]:
        return "log in first\n", 401

    @app.get("/dated")
    def dated() -> tuple[str, int, dict[str, str]]:
        return "dated\n", 200, {"Date": "Sun, 06 Nov 1994 08:49:37 GMT"}

    @app.get("/methods")
    def methods() -> tuple[str, int]:
        return "use POST\n", 405

    @app.get("/stream")
    def stream() -> Response:
        def chunks() -> Iterator[str]:
            yield "one-"
            yield "two-"
            yield "three\n"

        return Response(chunks(), headers={"Content-Length": "5"}, mimetype="text/plain")

    @app.get("/stats")
    def stats() -> Response:
        return jsonify(StatusGuard.stats(app).as_dict())

    StatusGuard(app, **({"mode": mode} if mode else {}))
    return app


app = create_app()  # what `flask --app examples/flask_app run` serves

if __name__ == "__main__":
    create_app(sys.argv[1] if len(sys.argv) > 1 else None).run(
        port=int(os.environ.get("PORT", "5000"))
    )
