"""Rules of the 2xx (Successful) class (RFC 9110 §15.3).

The content rules of 204 and 205 are framing rules (framing.py)."""

from __future__ import annotations

from ..model import SHAPE_ONLY, Head, Reference, Rule, Severity
from ._common import requires


def _content_range_missing(head: Head) -> str | None:
    if b"content-range" in head.fields:
        return None
    content_type = head.fields.get(b"content-type", [b""])[0].lower()
    if content_type.startswith(b"multipart/byteranges"):
        return None
    return "a 206 response has neither Content-Range nor a multipart/byteranges body."


CREATED_LOCATION_MISSING = Rule(
    id="created-location-missing",
    severity=Severity.INFO,
    reference=Reference(9110, "15.3.2"),
    summary="A 201 response usually names the created resource in Location",
    check=requires(b"location", "Location (the target URI is taken as the new resource)"),
    statuses=frozenset({201}),
    reads=SHAPE_ONLY,
)

CONTENT_RANGE_MISSING = Rule(
    id="content-range-missing",
    severity=Severity.ERROR,
    reference=Reference(9110, "15.3.7"),
    summary="A single-part 206 response carries Content-Range",
    check=_content_range_missing,
    statuses=frozenset({206}),
)

RULES = (
    CREATED_LOCATION_MISSING,
    CONTENT_RANGE_MISSING,
)
