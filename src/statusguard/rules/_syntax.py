"""Field syntax shared by the rules (RFC 9110 §5).  Compiled once; no I/O."""

from __future__ import annotations

import operator
import re
import time
from collections.abc import Sequence
from email.utils import formatdate
from typing import Any

# token = 1*tchar (RFC 9110 §5.6.2)
TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# "a recipient of CR, LF, or NUL within a field value MUST either reject the message or replace
# each of those characters with SP" (RFC 9110 §5.5); the other CTLs are outside field-vchar too.
SPLITTING = re.compile(rb"[\r\n\x00]")
CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
# IMF-fixdate = day-name "," SP date1 SP time-of-day SP GMT (RFC 9110 §5.6.7)
IMF_FIXDATE = re.compile(
    rb"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (0[1-9]|[12][0-9]|3[01]) "
    rb"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
    rb"([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60) GMT"
)
DIGITS = re.compile(rb"[0-9]+")
# URI-reference (RFC 3986 §4.1) over its character set: no SP, no CTL, no non-ASCII, every
# "%" followed by two hex digits, and at most one "#", after which "[" and "]" are not allowed.
# (A scheme, "ALPHA *( ALPHA / DIGIT / + - . ) :", is made of these characters too.)  Checked
# by deleting the allowed bytes (one C-level pass) rather than by a regular expression, whose
# per-byte cost made a 4 KB Location from a login's ?next= cost hundreds of microseconds.
_URI_FRAGMENT_BYTES = (
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?%"
)
_URI_BYTES = _URI_FRAGMENT_BYTES + b"[]"
_BAD_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def is_uri_reference(value: bytes) -> bool:
    """Whether ``value`` is made of URI-reference characters (linear in its length)."""
    main, hashed, fragment = value.partition(b"#")
    if main.translate(None, _URI_BYTES):
        return False
    if hashed and fragment.translate(None, _URI_FRAGMENT_BYTES):
        return False
    return b"%" not in value or _BAD_PERCENT.search(value) is None


# The bytes CONTROL matches, for bytes.translate: deleting them changes the length exactly
# when a value holds one.
_CONTROL_BYTES = bytes([*range(0x09), *range(0x0A, 0x20), 0x7F])


def no_control_in_values(lines: Sequence[tuple[Any, Any]]) -> bool:
    """Whether no value of ``lines`` (pairs as the application gave them, all ``str`` or all
    ``bytes``) holds a CONTROL character: one C-level pass over all of them.  Anything else
    (a value of another type, a mix) answers ``False``, for the rule's check to decide."""
    try:
        if not lines:
            return True
        if type(lines[0][1]) is str:
            text = "".join(map(_VALUE, lines))
            if text.isprintable():  # no C0 control, no DEL: most values, at C speed
                return True
            raw = _text_bytes(text)
        else:
            raw = b"".join(map(_VALUE, lines))
        return len(raw.translate(None, _CONTROL_BYTES)) == len(raw)
    except (TypeError, ValueError, IndexError):
        return False


_VALUE = operator.itemgetter(1)


def _text_bytes(text: str) -> bytes:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:  # as statusguard.engine converts such values
        return text.encode("utf-8")


_date_cache: tuple[int, bytes] = (0, b"")


def now_imf_fixdate() -> bytes:
    """The current time as an IMF-fixdate, formatted at most once per second."""
    global _date_cache
    second = int(time.time())
    cached_second, value = _date_cache
    if cached_second != second:
        value = formatdate(second, usegmt=True).encode("ascii")
        _date_cache = (second, value)
    return value


# Valid IMF-fixdates already seen: a Date value repeats on every response of its second (and
# a static one forever), and parsing it costs microseconds.  Bounded: the oldest goes first.
_FIXDATES: dict[bytes, None] = {}
_FIXDATES_MAX = 1024


def is_imf_fixdate(value: bytes) -> bool:
    """Whether ``value`` is a well-formed IMF-fixdate naming a real calendar date."""
    if value in _FIXDATES:
        return True
    if IMF_FIXDATE.fullmatch(value) is None:
        return False
    from werkzeug.http import parse_date  # loaded only by the rules that parse dates

    if parse_date(value.decode("ascii")) is None:
        return False
    if len(_FIXDATES) >= _FIXDATES_MAX:
        # The oldest date goes first (a server's Date changes once a second): never all.
        try:
            del _FIXDATES[next(iter(_FIXDATES))]
        except (StopIteration, KeyError, RuntimeError):  # another thread was quicker
            pass
    _FIXDATES[bytes(value)] = None
    return True


def is_http_date(value: bytes) -> bool:
    """Any of the three HTTP-date forms a recipient accepts (RFC 9110 §5.6.7)."""
    from werkzeug.http import parse_date

    return parse_date(value.decode("latin-1")) is not None


def show(value: bytes) -> str:
    """A field value quoted for a message: as text, with control characters escaped."""
    return repr(value.decode("latin-1"))
