"""Rules of the 1xx (Informational) class (RFC 9110 §15.2), and what the request asked for.

Pure functions of the head and of the request it answers (``head.request_headers``).
"""

from __future__ import annotations

from ..model import SHAPE_ONLY, Head, Reference, RequestHeaders, Rule, Severity
from ._common import asked, field_list, on_request, request_known, requires


def _protocol_name(protocol: bytes) -> bytes:
    """``websocket`` of ``websocket``, ``h2c`` of ``h2c``, ``HTTP`` of ``HTTP/2.0``: the part
    before a version, lower-cased (protocol = protocol-name ["/" protocol-version])."""
    return protocol.split(b"/", 1)[0].strip(b" \t").lower()


def _upgrade_unrequested(head: Head) -> str | None:
    # "A server MUST NOT switch to a protocol that was not indicated by the client in the
    # corresponding request's Upgrade header field." (RFC 9110 §7.8)
    if not request_known(head):
        return None
    offered = field_list(asked(head, b"upgrade"))
    if not offered:
        return "a 101 response switches protocols, but the request had no Upgrade header."
    offered_names = {_protocol_name(p) for p in offered}
    chosen = [p for value in head.fields.get(b"upgrade", ()) for p in field_list(value)]
    others = [p for p in chosen if p not in offered and _protocol_name(p) not in offered_names]
    if others:
        listed = ", ".join(p.decode("latin-1") for p in others)
        asked_for = ", ".join(p.decode("latin-1") for p in offered)
        return (
            f"a 101 response switches to {listed}, which the request "
            f"(Upgrade: {asked_for}) did not offer."
        )
    return None


def _continue_unrequested(method: str, request: RequestHeaders) -> str | None:
    if not request.known:
        return None
    if b"100-continue" in field_list(request.get(b"expect")):
        return None
    return "a 100 response answers a request that had no Expect: 100-continue."


UPGRADE_MISSING = Rule(
    id="upgrade-missing",
    severity=Severity.ERROR,
    reference=Reference(9110, "15.2.2"),
    summary="A 101 or 426 response names the protocol to switch to in Upgrade",
    quote=(
        "The server MUST generate an Upgrade header field in the response that indicates "
        "which protocol(s) will be in effect after this response."
    ),
    check=requires(b"upgrade", "Upgrade"),
    statuses=frozenset({101, 426}),
    # PEP 3333 leaves Upgrade to the server; a WSGI app cannot send it.
    protocols=frozenset({"asgi", "http"}),
    reads=SHAPE_ONLY,
    requires=b"upgrade",
)

UPGRADE_UNREQUESTED = Rule(
    id="upgrade-unrequested",
    severity=Severity.ERROR,
    reference=Reference(9110, "7.8"),
    summary="A 101 response switches only to a protocol the request's Upgrade offered",
    quote=(
        "A server MUST NOT switch to a protocol that was not indicated by the client in the "
        "corresponding request's Upgrade header field."
    ),
    check=_upgrade_unrequested,
    statuses=frozenset({101}),
    protocols=frozenset({"asgi", "http"}),
)

# "The 100 (Continue) status code indicates that the initial part of a request has been received
# and has not yet been rejected by the server." (RFC 9110 §15.2.1): the answer to a client that
# asked, with Expect: 100-continue, whether to send its content (§10.1.1).  No keyword forbids
# an unasked one (clients MUST parse unexpected 1xx, §15.2): info.
CONTINUE_UNREQUESTED = Rule(
    id="continue-unrequested",
    severity=Severity.INFO,
    reference=Reference(9110, "15.2.1"),
    summary="A 100 response answers a request that asked to continue (Expect: 100-continue)",
    quote=(
        "The 100 (Continue) status code indicates that the initial part of a request has been "
        "received and has not yet been rejected by the server."
    ),
    check=on_request(_continue_unrequested),
    request_check=_continue_unrequested,
    statuses=frozenset({100}),
)

RULES = (UPGRADE_MISSING, UPGRADE_UNREQUESTED, CONTINUE_UNREQUESTED)
