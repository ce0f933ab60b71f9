"""A progress bar on stderr, for audits that take a while: only on a terminal, and only once
the audit has run for ``delay`` seconds (a quick audit prints nothing but its report)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """``step(label)`` before each route; ``close()`` clears the bar."""

    def __init__(
        self,
        stream: TextIO,
        total: int,
        *,
        delay: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        width: int = 24,
    ) -> None:
        try:
            self.enabled = stream.isatty()
        except (AttributeError, ValueError):
            self.enabled = False
        self.stream = stream
        self.total = max(total, 1)
        self.delay = delay
        self.clock = clock
        self.started = clock()
        self.done = 0
        self.width = width
        self.shown = False

    def step(self, label: str) -> None:
        self.done += 1
        if not self.enabled or self.clock() - self.started < self.delay:
            return
        filled = self.width * (self.done - 1) // self.total
        bar = "#" * filled + "." * (self.width - filled)
        text = f"statusguard check [{bar}] {self.done}/{self.total} {label}"
        self.stream.write("\r\033[K" + text[:100])
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False
