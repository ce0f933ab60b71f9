"""The ASGI types statusguard speaks at its boundary (ASGI 3, HTTP spec 2.4 plus extensions).

The callables are typed the way Starlette types them (``MutableMapping[str, Any]`` messages), so
an ``ASGIStatusGuard`` is accepted by ``app.add_middleware`` and wraps any ASGI app; the
messages statusguard reads or builds are described by the ``TypedDict`` s below (as in
uvicorn's ``_types.py``) and converted at the edge with :func:`as_message`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import TYPE_CHECKING, Any, Literal, TypedDict, cast

if TYPE_CHECKING:
    from _typeshed import FileDescriptorLike

__all__ = [
    "ASGIApp",
    "AnyASGIApp",
    "HTTPResponseBodyEvent",
    "HTTPResponsePathsendEvent",
    "HTTPResponseStartEvent",
    "HTTPResponseTrailersEvent",
    "HTTPResponseZerocopysendEvent",
    "HTTPScope",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "as_message",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
# What the guard wraps: any ASGI 3 callable, whatever its framework's stubs call the messages
# (Starlette: MutableMapping; django-stubs: dict and Mapping; uvicorn, asgiref: TypedDicts).
AnyASGIApp = Callable[[Any, Any, Any], Awaitable[None]]


# Optional keys live in ``total=False`` subclasses (``NotRequired`` needs Python 3.11).


class _HTTPScope(TypedDict):
    type: Literal["http"]
    path: str


class HTTPScope(_HTTPScope, total=False):
    """The keys of an ``http`` scope that statusguard reads."""

    method: str
    http_version: str  # "1.0", "1.1", "2" or "3"
    root_path: str
    route: object  # Starlette and FastAPI put the matched route here while routing


class _HTTPResponseStartEvent(TypedDict):
    type: Literal["http.response.start"]
    status: int


class HTTPResponseStartEvent(_HTTPResponseStartEvent, total=False):
    headers: Iterable[tuple[bytes, bytes]]
    trailers: bool


class _HTTPResponseBodyEvent(TypedDict):
    type: Literal["http.response.body"]


class HTTPResponseBodyEvent(_HTTPResponseBodyEvent, total=False):
    body: bytes
    more_body: bool


class _HTTPResponseTrailersEvent(TypedDict):
    type: Literal["http.response.trailers"]


class HTTPResponseTrailersEvent(_HTTPResponseTrailersEvent, total=False):
    headers: Iterable[tuple[bytes, bytes]]
    more_trailers: bool


class HTTPResponsePathsendEvent(TypedDict):
    """The ``http.response.pathsend`` extension: the server sends the file as the content."""

    type: Literal["http.response.pathsend"]
    path: str


class _HTTPResponseZerocopysendEvent(TypedDict):
    type: Literal["http.response.zerocopysend"]
    file: FileDescriptorLike  # a file object with an OS-level descriptor, or the descriptor


class HTTPResponseZerocopysendEvent(_HTTPResponseZerocopysendEvent, total=False):
    """The ``http.response.zerocopysend`` extension: ``count`` bytes of ``file`` at ``offset``."""

    offset: int | None
    count: int | None
    more_body: bool


ResponseEvent = (
    HTTPResponseStartEvent
    | HTTPResponseBodyEvent
    | HTTPResponseTrailersEvent
    | HTTPResponsePathsendEvent
    | HTTPResponseZerocopysendEvent
)


def as_message(event: ResponseEvent) -> Message:
    """A message statusguard built, handed to the server's ``send`` (a plain ``dict``)."""
    return cast(Message, event)
