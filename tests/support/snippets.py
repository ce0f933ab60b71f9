"""The code blocks of ``README.md`` and the pages of ``docs/``, so that tests run what they show.

``snippet(page, name)`` is one named block of a page (its first line is ``# name``), for a test
that runs it in a setting of its own.  ``blocks(path)`` lists every fenced block of a page with
its line and its marker: a block that cannot run alone (it needs an application the page does
not build, a package the tests do not install, a port) is announced on the line before its fence
by ``<!-- fragment: the reason -->``; ``tests/tools/test_docs_snippets.py`` runs every other
``python`` block and every ``pycon`` block (as a doctest), and only compiles the fragments.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

# A fenced block, at any indentation (inside a list item too), up to the fence at the same one.
_BLOCK = re.compile(r"^( *)```(\w*)\n(.*?)^\1```", re.DOTALL | re.MULTILINE)
_FRAGMENT = re.compile(r"^\s*<!--\s*fragment:\s*(?P<reason>.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced code block: where it is, its language, its code (dedented), and the reason
    given by a ``<!-- fragment: ... -->`` marker on the line before it, if any."""

    page: str
    line: int
    language: str
    code: str
    fragment: str | None

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def pages() -> list[Path]:
    """``README.md`` and every page of ``docs/``."""
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


def blocks(path: Path) -> list[Block]:
    """Every fenced block of the page at ``path``, in order."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    found = []
    for match in _BLOCK.finditer(text):
        line = text.count("\n", 0, match.start()) + 1  # the fence's line, from 1
        before = lines[line - 2] if line >= 2 else ""
        marker = _FRAGMENT.match(before)
        found.append(
            Block(
                page=path.relative_to(ROOT).as_posix(),
                line=line,
                language=match.group(2),
                code=textwrap.dedent(match.group(3)),
                fragment=marker.group("reason") if marker else None,
            )
        )
    return found


def snippet(page: str, name: str, language: str = "python") -> str:
    """The one ``language`` block of ``docs/page`` whose first line is ``# name``."""
    found = [
        block.code
        for block in blocks(DOCS / page)
        if block.language == language and block.code.startswith(f"# {name}\n")
    ]
    if len(found) != 1:
        raise LookupError(f"docs/{page} has {len(found)} {language} blocks named '# {name}'")
    return found[0]
