"""The generated reference pages: committed pages match the data; the generator's own rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from statusguard import CATALOGUE, CODES
from statusguard.docs import (
    PAGES,
    REGENERATE,
    format_statuses,
    main,
    render_codes_page,
    render_rules_page,
    stale_pages,
    write_pages,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_committed_page_is_what_the_generator_writes(name: str) -> None:
    path = DOCS / name
    assert path.is_file(), f"docs/{name} is missing; run `{REGENERATE}` to generate it"
    committed = path.read_text(encoding="utf-8")
    assert committed == PAGES[name](), (
        f"docs/{name} is stale: the catalogue or the status-code table changed. "
        f"Run `{REGENERATE}` from the repository root to regenerate it, and commit the result."
    )


def test_rules_page_lists_every_rule_with_its_reference() -> None:
    page = render_rules_page()
    for rule in CATALOGUE:
        (row,) = [line for line in page.splitlines() if line.startswith(f"| `{rule.id}` |")]
        assert f"| {rule.severity.value} |" in row
        assert f"[{rule.reference}]({rule.reference.url})" in row
        assert rule.summary in row
        assert (rule.fix_summary if rule.fix is not None else "reported only") in row


@pytest.mark.parametrize(
    ("lang", "heading"), [("en", "## 4xx Client Error"), ("zh", "## 4xx 客户端错误")]
)
def test_codes_page_has_every_code_in_its_language(lang: str, heading: str) -> None:
    page = render_codes_page(lang)
    assert heading in page
    for record in CODES.values():
        description = record.description_zh if lang == "zh" else record.description_en
        (row,) = [line for line in page.splitlines() if line.startswith(f"| {record.code} |")]
        assert description.replace("|", "\\|") in row
    assert "| 401 | Unauthorized |" in page and "`www-authenticate-missing`" in page


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="lang"):
        render_codes_page("fr")


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        pytest.param(None, "all", id="every status"),
        pytest.param({405}, "405", id="one"),
        pytest.param({*range(100, 200), 204, 205, 304}, "1xx, 204, 205, 304", id="a class"),
        pytest.param(set(range(200, 500)), "2xx–4xx", id="classes"),
        pytest.param({301, 302, 303, 307, 308}, "301–303, 307, 308", id="a run"),
        pytest.param({101, 426}, "101, 426", id="apart"),
    ],
)
def test_format_statuses(statuses: set[int] | None, expected: str) -> None:
    assert format_statuses(statuses) == expected


def test_main_writes_the_pages_and_check_reports_stale_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tmp_path), "--check"]) == 1
    assert f"run `{REGENERATE}` to regenerate it" in capsys.readouterr().out
    assert main([str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(PAGES)
    assert main([str(tmp_path), "--check"]) == 0
    assert write_pages(tmp_path) == []  # nothing changed: nothing rewritten
    (tmp_path / "rules.md").write_text("edited by hand\n", encoding="utf-8")
    assert stale_pages(tmp_path) == ["rules.md"]
