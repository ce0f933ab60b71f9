"""A Flask app for the issue 13 regression tests, in process (``test_false_positives.py``) and
under the werkzeug dev server (``wire/test_strict_wire.py``, ``contrib.flask_fp_app:strict``).

Every route is an ordinary use of a Flask/werkzeug feature: ``send_file`` (which sets ``Date``
through werkzeug's ``make_conditional``), ``abort``, a status with no registered meaning, a
stream with a ``Content-Length``.  ``/two-dates`` is the one route that is the application's
own fault: it sends two ``Date`` lines itself.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any, NoReturn

from flask import Flask, Response, abort, send_file
from werkzeug.http import http_date

from statusguard.contrib.flask import StatusGuard

DATE_1994 = http_date(784111777)  # Sun, 06 Nov 1994 08:49:37 GMT
DATE_2001 = http_date(1000000000)


def create_app(**options: Any) -> Flask:
    """The app with ``StatusGuard(app, **options)`` installed."""
    app = Flask(__name__)

    @app.get("/plain")
    def plain() -> Response:
        return Response(b"plain", mimetype="text/plain")

    @app.get("/report.txt")
    def report() -> Response:
        return send_file(io.BytesIO(b"quarterly report"), mimetype="text/plain")

    @app.get("/source.py")
    def source() -> Response:
        # A file on disk: send_file gives it an ETag and a Last-Modified, and answers
        # If-None-Match with 304 and Range with 206 (werkzeug's make_conditional).
        return send_file(__file__, mimetype="text/x-python")

    @app.route("/form", methods=["POST"])
    def form() -> Response:
        return Response(b"posted", mimetype="text/plain")

    @app.get("/abort/<int:code>")
    def aborted(code: int) -> NoReturn:
        abort(code)

    @app.get("/status/<int:code>")
    def status(code: int) -> Response:
        return Response(b"", status=code)

    @app.get("/two-dates")
    def two_dates() -> Response:
        response = Response(b"dated", mimetype="text/plain")
        response.headers.add("Date", DATE_1994)
        response.headers.add("Date", DATE_2001)
        return response

    @app.get("/stream-too-long")
    def stream_too_long() -> Response:
        def chunks() -> Iterator[bytes]:
            yield b"0123456789"
            yield b"abcdefghij"

        return Response(chunks(), mimetype="text/plain", headers={"Content-Length": "12"})

    StatusGuard(app, **options)
    return app


strict = create_app(mode="strict")
