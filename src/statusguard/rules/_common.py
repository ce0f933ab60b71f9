"""Helpers shared by the per-status-class rule modules."""

from __future__ import annotations

from ..model import Check, Head


def requires(field: bytes, label: str) -> Check:
    """A check that the response carries ``field`` (lower-case); ``label`` names it."""

    def check(head: Head) -> str | None:
        if field in head.fields:
            return None
        return f"a {head.status} response has no {label}."

    return check
