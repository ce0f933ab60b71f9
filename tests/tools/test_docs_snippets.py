"""Every Python snippet of README.md and docs/ runs, so that none can rot.

The convention (also in ``docs/contributing.md``):

* a ```` ```python ```` block is a complete program: it runs in a fresh interpreter, in an
  empty working directory, with only the installed packages (statusguard, the frameworks and
  servers of the ``test`` extra); it passes when it exits 0;
* a ```` ```pycon ```` block is a doctest: each ``>>>`` line's output must match (``...``
  stands for any text, whitespace is normalised);
* a block that cannot run alone is marked on the line before its fence with
  ``<!-- fragment: why -->`` (it needs an application the page does not build, a package the
  tests do not install, a fixed port); a fragment is only compiled.  Fragments stay few:
  :func:`test_fragments_stay_few`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.snippets import ROOT, Block, blocks, pages

ALL = [block for page in pages() for block in blocks(page)]
PYTHON = [block for block in ALL if block.language in ("python", "pycon")]
RUNNABLE = [block for block in PYTHON if block.fragment is None]
FRAGMENTS = [block for block in PYTHON if block.fragment is not None]
MAX_FRAGMENTS = 6

DOCTEST = """\
import doctest, sys
text = open(sys.argv[1], encoding="utf-8").read()
name = sys.argv[2]
test = doctest.DocTestParser().get_doctest(text, {"__name__": "__main__"}, name, name, 0)
flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
runner = doctest.DocTestRunner(optionflags=flags)
runner.run(test)
sys.exit(1 if runner.failures else 0)
"""


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "STATUSGUARD"))}
    env["PYTHONWARNINGS"] = "error::DeprecationWarning"  # a snippet shows no deprecated API
    return env


@pytest.mark.parametrize("block", RUNNABLE, ids=[block.id for block in RUNNABLE])
def test_snippet_runs(block: Block, tmp_path: Path) -> None:
    source = tmp_path / "snippet.txt"
    source.write_text(block.code, encoding="utf-8")
    if block.language == "pycon":
        command = [sys.executable, "-c", DOCTEST, str(source), block.id]
    else:
        command = [sys.executable, str(source)]
    out = subprocess.run(
        command,
        cwd=tmp_path,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, f"{block.id} failed:\n{out.stdout}\n{out.stderr}"


@pytest.mark.parametrize("block", FRAGMENTS, ids=[block.id for block in FRAGMENTS])
def test_fragment_compiles(block: Block) -> None:
    assert block.fragment, f"{block.id}: a fragment marker says why the block cannot run"
    if block.language == "python":
        compile(block.code, block.id, "exec")


def test_fragments_stay_few() -> None:
    listed = "\n".join(f"  {b.id}: {b.fragment}" for b in FRAGMENTS)
    assert len(FRAGMENTS) <= MAX_FRAGMENTS, (
        f"{len(FRAGMENTS)} Python blocks are fragments (at most {MAX_FRAGMENTS}); make some "
        f"of them complete programs:\n{listed}"
    )
    assert len(RUNNABLE) >= 4 * len(FRAGMENTS)


def test_the_snippets_are_found() -> None:
    """The collection sees the pages' blocks (a changed fence syntax would hide them all)."""
    assert {block.page for block in RUNNABLE} >= {"README.md", "docs/custom-rules.md"}
    assert all(block.code.strip() for block in PYTHON)


def test_a_fragment_marker_is_right_before_a_block() -> None:
    """A marker that drifted away from its block would leave the block to run, or mark none."""
    for page in pages():
        lines = page.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            if "<!-- fragment:" in line:
                following = lines[number] if number < len(lines) else ""
                assert following.lstrip().startswith("```"), (
                    f"{page.relative_to(ROOT)}:{number}: the fragment marker must be the line "
                    "right before a code fence"
                )
