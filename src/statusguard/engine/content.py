"""The content policy: what the body rules decide when a head goes out, and what they still
have to watch in the content that follows.

No I/O.  Body rules are declared (``Rule.content``, a :class:`~statusguard.model.ContentUse`),
never known by name: a rule that discards the content settles the head's framing before any
content arrives; a rule that truncates cuts the content at the length one field declares; every
other body rule is reported when the content has told enough (its first byte, or its end).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Head, Mode, Rule
from .judge import Found, applies

__all__ = ["Settled", "holds", "limit_of", "open_rules", "settle"]


@dataclass(slots=True)
class Settled:
    """What the content of one committed head goes through.

    ``discard``: no content is sent.  ``limit`` (-1: none): the length the head declares, and
    ``truncate`` whether content past it is cut.  ``first``: rules the first content byte
    decides; ``last``: rules the end of the content decides.
    """

    discard: bool = False
    limit: int = -1
    truncate: bool = False
    limit_rule: tuple[Rule, Mode] | None = None
    first: tuple[tuple[Rule, Mode], ...] = ()
    last: tuple[tuple[Rule, Mode], ...] = ()

    @property
    def idle(self) -> bool:
        """Whether the content needs nothing from the engine (it may pass untouched)."""
        return not (self.discard or self.limit_rule or self.first or self.last)

    def chunk(
        self,
        head: Head,
        sent: int,
        data: bytes,
        size: int,
        found: list[Found],
        *,
        cut: bool,
        last: bool = False,
    ) -> bytes:
        """What of ``size`` more content bytes (``data``, after ``sent``) may go out, once the
        head is out; what the rules find is added to ``found``.  ``cut``: the content can be
        cut (not a file the server sends itself); ``last``: these are its last bytes."""
        if self.first:
            rules, self.first = self.first, ()
            length = sent + size if last else None
            streamed = head.replace(has_content=True, content_length=length)
            for rule, mode in rules:
                detail = rule.check(streamed)
                if detail is None:
                    continue
                discards = rule.content_use.action == "discard"
                if discards and mode is Mode.STRICT:
                    self.discard = True  # the head is out: end the response cleanly
                found.append(Found(rule, mode, detail, discards and self.discard, True))
        if self.discard:
            return b""
        if not 0 <= self.limit < sent + size:
            return data
        limit_rule = self.limit_rule
        cut = cut and (self.truncate or (limit_rule is not None and limit_rule[1] is Mode.STRICT))
        if limit_rule is not None:
            self.limit_rule = None  # reported once
            rule, mode = limit_rule
            detail = rule.check(head.replace(content_length=sent + size, has_content=True))
            if detail is not None:
                found.append(Found(rule, mode, detail, cut, True))
        if not cut:
            return data
        self.truncate = True
        return data[: max(self.limit - sent, 0)]

    def short(self, sent: int) -> bool:
        """Whether content of ``sent`` bytes in all ends short of its declared length."""
        return self.limit_rule is not None and not self.discard and sent < self.limit

    def ended(self, head: Head, sent: int) -> list[Found]:
        """What the end of the content, ``sent`` bytes in all, shows."""
        found: list[Found] = []
        limit_rule = self.limit_rule
        if limit_rule is not None and self.short(sent):
            rule, mode = limit_rule
            detail = rule.check(head.replace(content_length=sent, has_content=sent > 0))
            if detail is not None:
                detail += (
                    f" The stream ended after {sent} bytes: the client waits for the rest"
                    " or sees a broken connection."
                )
                found.append(Found(rule, mode, detail, False, True))
        if self.last:
            whole = head.replace(content_length=sent, has_content=sent > 0)
            for rule, mode in self.last:
                detail = rule.check(whole)
                if detail is not None:
                    found.append(Found(rule, mode, detail, False, True))
        return found


def open_rules(body: tuple[tuple[Rule, Mode], ...], head: Head) -> tuple[tuple[Rule, Mode], ...]:
    """The body rules whose verdict the content of ``head`` can change (by its shape)."""
    return tuple(
        (rule, mode) for rule, mode in body if applies(rule, head) and rule.content_use.when(head)
    )


def holds(rules: tuple[tuple[Rule, Mode], ...], head: Head) -> bool:
    """Whether the head should wait for what its content says: only where that can still
    change what is sent -- a fix that corrects the head once the length is known, or a strict
    rule that raises before the head goes out.  A rule that only reports (warn mode, a rule
    without a fix) is decided as the content streams: no stream waits for it."""
    for rule, mode in rules:
        if mode is Mode.STRICT:
            return True
        if (
            mode is Mode.FIX
            and rule.fix is not None
            and (rule.content_use.action != "discard" or rule.fix(head) is not head)
        ):
            return True
    return False


def limit_of(rule: Rule, head: Head) -> int | None:
    """The length ``head`` declares for a truncating rule: its field's one value (repeated
    identical lines count as one), or ``None``."""
    limit = rule.content_use.limit
    if limit is None:
        return None
    name, parse = limit
    values = head.fields.get(name)
    if not values:
        return None
    lengths = {parse(value) for value in values}
    if len(lengths) != 1:
        return None
    (length,) = lengths
    return length


def settle(
    rules: tuple[tuple[Rule, Mode], ...],
    head: Head,
    found: list[Found],
    *,
    committed: bool = False,
) -> tuple[Head, Settled]:
    """Decide the open body ``rules`` for ``head``, whose ``content_length`` and
    ``has_content`` say what is known of its content; return the head to send and what the
    content goes through.  ``committed``: the head is already out (nothing of it can change)."""
    settled = Settled()
    first: list[tuple[Rule, Mode]] = []
    last: list[tuple[Rule, Mode]] = []
    length_known = head.content_length is not None
    presence_known = head.has_content is not None
    for rule, mode in rules:
        use = rule.content_use
        if use.action == "discard":
            detail = rule.check(head)
            if mode is Mode.FIX:
                # Content here is never sent, so the framing can be settled before any arrives.
                if rule.fix is not None and not committed:
                    head = rule.fix(head)
                settled.discard = True
            if detail is not None:
                found.append(Found(rule, mode, detail, mode is Mode.FIX, committed))
            elif not presence_known:
                first.append((rule, mode))
        elif use.action == "truncate" and not length_known:
            limit = limit_of(rule, head)
            if limit is not None and settled.limit_rule is None:
                settled.limit = limit
                settled.truncate = mode is Mode.FIX
                settled.limit_rule = (rule, mode)
        else:
            detail = rule.check(head)
            if detail is not None:
                fixed = mode is Mode.FIX and rule.fix is not None and not committed
                if fixed and rule.fix is not None:  # (the second test only narrows the type)
                    head = rule.fix(head)
                found.append(Found(rule, mode, detail, fixed, committed))
            elif use.reads == "presence" and not presence_known:
                first.append((rule, mode))
            elif not length_known:
                last.append((rule, mode))
    settled.first = tuple(first)
    settled.last = tuple(last)
    return head, settled
