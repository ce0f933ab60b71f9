"""The code blocks of a page of ``docs/``, so that tests run what the page shows."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"

# A fenced block, at any indentation (inside a list item too), up to the fence at the same one.
_BLOCK = re.compile(r"^( *)```(\w*)\n(.*?)^\1```", re.DOTALL | re.MULTILINE)


def snippet(page: str, name: str, language: str = "python") -> str:
    """The one ``language`` block of ``docs/page`` whose first line is ``# name``."""
    text = (DOCS / page).read_text(encoding="utf-8")
    blocks = [
        textwrap.dedent(match.group(3))
        for match in _BLOCK.finditer(text)
        if match.group(2) == language
    ]
    found = [block for block in blocks if block.startswith(f"# {name}\n")]
    if len(found) != 1:
        raise LookupError(f"docs/{page} has {len(found)} {language} blocks named '# {name}'")
    return found[0]
