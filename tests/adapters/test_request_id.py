"""The request id of the request a violation answers goes into its log record (issue 17)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pytest
from support.drive import call_wsgi, http_scope, wsgi_environ

from statusguard import ASGIStatusGuard, ConfigurationError, StatusGuardWarning, WSGIStatusGuard

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


def unauthorized(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("401 Unauthorized", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"no"]


async def unauthorized_asgi(scope: Any, receive: Any, send: Any) -> None:
    headers = [(b"content-type", b"text/plain"), (b"content-length", b"2")]
    await send({"type": "http.response.start", "status": 401, "headers": headers})
    await send({"type": "http.response.body", "body": b"no"})


def ids(caplog: pytest.LogCaptureFixture) -> list[object]:
    return [getattr(r, "statusguard_request_id", "missing") for r in caplog.records]


@pytest.mark.parametrize(
    ("options", "header", "expected"),
    [
        pytest.param({}, "X-Request-Id", "req-7", id="X-Request-Id by default"),
        pytest.param({"request_id_header": "X-Trace"}, "X-Trace", "req-7", id="configured"),
        pytest.param({"request_id_header": "X-Trace"}, "X-Request-Id", None, id="other header"),
        pytest.param({"request_id_header": None}, "X-Request-Id", None, id="turned off"),
    ],
)
def test_wsgi_records_carry_the_request_id(
    caplog: pytest.LogCaptureFixture, options: dict[str, Any], header: str, expected: str | None
) -> None:
    guard = WSGIStatusGuard(unauthorized, mode="warn", logger="sg.id.wsgi", **options)
    environ = wsgi_environ()
    environ["HTTP_" + header.upper().replace("-", "_")] = "req-7"
    with caplog.at_level(logging.WARNING, logger="sg.id.wsgi"), pytest.warns(StatusGuardWarning):
        call_wsgi(guard, environ=environ)
    caplog.records[:] = [r for r in caplog.records if r.name == "sg.id.wsgi"]
    assert ids(caplog) == [expected]


def test_asgi_records_carry_the_request_id(caplog: pytest.LogCaptureFixture) -> None:
    guard = ASGIStatusGuard(unauthorized_asgi, mode="fix", logger="sg.id.asgi")
    scope = http_scope()
    scope["headers"] = [*scope["headers"], (b"x-request-id", b"9f1c2e")]

    async def receive() -> Any:
        return {"type": "http.request"}

    async def send(message: Any) -> None:
        pass

    with caplog.at_level(logging.WARNING, logger="sg.id.asgi"):
        asyncio.run(guard(scope, receive, send))
    assert ids(caplog) == ["9f1c2e"]


@pytest.mark.parametrize("value", ["X Trace", "", 7, "X-Id\r\n"])
def test_a_bad_request_id_header_fails_at_construction(value: object) -> None:
    if value == "":
        WSGIStatusGuard(unauthorized, request_id_header="")  # "" turns it off, as None does
        return
    with pytest.raises(ConfigurationError, match="request_id_header"):
        WSGIStatusGuard(unauthorized, request_id_header=value)  # type: ignore[arg-type]
