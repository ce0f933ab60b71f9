"""Silence the reporting channels while timing: warn mode and the peers warn and log on every
violating response, and a benchmark measures the check, not the terminal."""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator

__all__ = ["quiet"]


@contextlib.contextmanager
def quiet(*logger_names: str) -> Iterator[None]:
    """Ignore warnings and drop the records of ``logger_names`` (restored on exit)."""
    saved: list[tuple[logging.Logger, list[logging.Handler], bool]] = []
    for name in ("statusguard", *logger_names):
        logger = logging.getLogger(name)
        saved.append((logger, logger.handlers[:], logger.propagate))
        logger.handlers = [logging.NullHandler()]
        logger.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, handlers, propagate in saved:
            logger.handlers = handlers
            logger.propagate = propagate
