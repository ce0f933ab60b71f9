"""Helpers shared by the per-status-class rule modules: required fields, and the request.

Pure functions of the head.  The request is read through ``head.request_headers`` (lower-case
names, values joined as one line), and only by the rules of the statuses that need it.
"""

from __future__ import annotations

from ..model import Check, Head, RequestCheck

__all__ = ["CONDITIONALS", "asked", "field_list", "on_request", "request_known", "requires"]

# The request fields that make a request conditional (RFC 9110 §13.1).
CONDITIONALS = (
    b"if-match",
    b"if-none-match",
    b"if-modified-since",
    b"if-unmodified-since",
    b"if-range",
)


def requires(field: bytes, label: str) -> Check:
    """A check that the response carries ``field`` (lower-case); ``label`` names it."""

    def check(head: Head) -> str | None:
        if field in head.fields:
            return None
        return f"a {head.status} response has no {label}."

    return check


def on_request(check: RequestCheck) -> Check:
    """The head check of a rule that reads only the request (its ``Rule.request_check``)."""

    def head_check(head: Head) -> str | None:
        return check(head.method, head.request_headers)

    return head_check


def request_known(head: Head) -> bool:
    """Whether anything is known of the request (a response checked on its own: no)."""
    return head.request_headers.known


def asked(head: Head, name: bytes) -> bytes | None:
    """The value of the request field ``name`` (lower-case), or ``None``."""
    return head.request_headers.get(name)


def field_list(value: bytes | None) -> list[bytes]:
    """The members of a comma-separated list field (``#token``), lower-cased, in order."""
    if not value:
        return []
    return [part.strip(b" \t").lower() for part in value.split(b",") if part.strip(b" \t")]
