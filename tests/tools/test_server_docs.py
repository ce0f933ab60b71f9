"""The generated section of docs/servers.md: committed as the data writes it; the generator."""

from __future__ import annotations

from pathlib import Path

import pytest

from statusguard._server_docs import (
    BEGIN,
    END,
    REASONS,
    REGENERATE,
    main,
    render_section,
    replace_section,
    stale,
)
from statusguard.servers import PROFILES, STEPS

PAGE = Path(__file__).resolve().parents[2] / "docs" / "servers.md"


def test_committed_section_is_what_the_generator_writes() -> None:
    assert not stale(PAGE), (
        "docs/servers.md is stale: statusguard.servers changed (a profile, a step or a "
        f"detection table). Run `{REGENERATE}` from the repository root and commit the result."
    )


def test_every_profile_and_every_step_has_a_row() -> None:
    profiles, rest = render_section().split("#### Compatibility steps")
    steps = rest.split("#### Detection tables")[0]
    rows = profiles.splitlines()
    for profile in PROFILES.values():
        (row,) = [line for line in rows if line.startswith(f"| `{profile.name}` |")]
        for step in profile.steps:
            assert f"`{step.id}`" in row
        assert profile.seen in row
    for step in STEPS.values():
        (row,) = [line for line in steps.splitlines() if line.startswith(f"| `{step.id}` |")]
        assert step.summary in row
        assert REASONS[step.id] in row


def test_every_step_has_a_reason_and_no_reason_is_left_over() -> None:
    assert set(REASONS) == set(STEPS)


def test_the_prose_around_the_section_is_kept(tmp_path: Path) -> None:
    page = tmp_path / "servers.md"
    page.write_text(f"# Before\n\n{BEGIN}\nold table\n{END}\n\nAfter.\n", encoding="utf-8")
    assert stale(page)
    assert main([str(page), "--check"]) == 1
    assert main([str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert text == f"# Before\n\n{BEGIN}\n{render_section()}{END}\n\nAfter.\n"
    assert "old table" not in text
    assert main([str(page), "--check"]) == 0
    assert replace_section(text) == text  # rewriting a fresh section changes nothing


@pytest.mark.parametrize(
    "page",
    [
        pytest.param("no markers\n", id="none"),
        pytest.param(f"{END}\n{BEGIN}\n", id="reversed"),
        pytest.param(f"{BEGIN}\nno end\n", id="no end"),
    ],
)
def test_a_page_without_its_markers_is_refused(page: str) -> None:
    with pytest.raises(ValueError, match="generated: profiles"):
        replace_section(page)
