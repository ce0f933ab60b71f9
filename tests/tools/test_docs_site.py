"""What the README and the docs site state about the project itself, checked against it.

The site's own links are checked by ``mkdocs build --strict`` (``scripts/test.sh``); these tests
cover what it cannot see: the README's links (it is not a page of the site), the versions and
extras of ``pyproject.toml``, the Django system-check ids, the log record attributes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomllib
from support.snippets import ROOT

from statusguard.report import LOG_ATTRIBUTES

README = (ROOT / "README.md").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
EXTRAS: dict[str, list[str]] = PYPROJECT["project"]["optional-dependencies"]


def _page(name: str) -> str:
    return (ROOT / "docs" / name).read_text(encoding="utf-8")


def _pins() -> dict[str, str]:
    pins = {}
    for requirement in EXTRAS["test"]:
        name, _, version = requirement.partition("==")
        pins[name.lower()] = version
    return pins


@pytest.mark.parametrize(
    "target",
    sorted(set(re.findall(r"\]\((?!https?://|#)([^)#]+)(?:#[^)]*)?\)", README))),
)
def test_readme_links_resolve(target: str) -> None:
    assert (ROOT / target).exists(), f"README.md links to {target}, which does not exist"


def test_readme_links_every_page_of_the_site() -> None:
    linked = set(re.findall(r"\]\(docs/([\w.-]+\.md)", README))
    pages = {path.name for path in (ROOT / "docs").glob("*.md")}
    missing = pages - linked - {"index.md", "contributing.md", "changelog.md"}
    assert not missing, f"README.md does not link {sorted(missing)}"


def test_the_quickstart_is_unchanged() -> None:
    assert (
        "```sh\npython3 -m venv .venv && .venv/bin/pip install -q . && "
        ".venv/bin/statusguard check\n```"
    ) in README
    assert "```sh\nbash scripts/test.sh\n```" in README


def test_the_versions_table_is_the_pins_of_the_test_extra() -> None:
    page = _page("stability.md")
    table = page[page.index("<!-- versions: the test extra of pyproject.toml -->") :]
    rows = re.findall(r"^\| ([\w-]+) \| ([\w.]+) \|$", table, re.MULTILINE)
    assert len(rows) >= 10
    pins = _pins()
    rows = [(name, version) for name, version in rows if name != "package"]
    assert dict(rows) == {name: pins[name] for name, _ in rows}


@pytest.mark.parametrize(
    ("extra", "requirement"),
    [("flask", "flask>=3.0"), ("django", "django>=5.2"), ("fastapi", "fastapi>=0.165")],
)
def test_the_framework_extras_are_those_the_docs_state(extra: str, requirement: str) -> None:
    assert EXTRAS[extra] == [requirement]
    name, _, bound = requirement.partition(">=")
    stated = f"`statusguard[{extra}]` ({name.replace('fastapi', 'FastAPI').title()} ≥ {bound}"
    assert stated.replace("Fastapi", "FastAPI") in README
    tested = _pins()[name]
    assert tuple(map(int, tested.split(".")[:2])) >= tuple(map(int, bound.split(".")))


def test_the_license_is_the_one_pyproject_names() -> None:
    assert PYPROJECT["project"]["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")


def test_the_django_check_ids_are_those_of_the_code() -> None:
    source = "".join(
        path.read_text(encoding="utf-8")
        for path in (ROOT / "src" / "statusguard" / "contrib" / "django").glob("*.py")
    )
    in_code = set(re.findall(r'"(statusguard\.[EW]\d{3})"', source))
    documented = set(
        re.findall(r"^\| `(statusguard\.[EW]\d{3})` \|", _page("integrations.md"), re.M)
    )
    assert in_code == documented
    assert len(in_code) == 5


def test_the_log_attributes_of_the_production_page_are_those_of_the_records() -> None:
    """README.md points to this table for the attributes of every violation, summary and
    internal-error record (tests/engine/test_report_logging.py checks the records)."""
    rows = re.findall(r"^\| `(statusguard_\w+)` \|", _page("production.md"), re.MULTILINE)
    assert tuple(rows) == LOG_ATTRIBUTES
    named = set(re.findall(r"`(statusguard_\w+)`", README))
    assert named <= set(LOG_ATTRIBUTES)


def test_the_changelog_page_is_the_changelog() -> None:
    assert _page("changelog.md").strip() == '--8<-- "CHANGELOG.md"'
    assert (ROOT / "CHANGELOG.md").is_file()


def test_the_opt_out_section_names_the_api_that_exists() -> None:
    """docs/configuration.md describes exclude_paths and exempt() as they are (issue 18)."""
    import statusguard
    from statusguard.contrib.django import statusguard_exempt
    from statusguard.contrib.flask import exempt as flask_exempt

    page = _page("configuration.md")
    section = page[page.index("## Turning it off for one route") :]
    assert "Planned" not in section
    assert "exclude_paths" in section and "stats().excluded" in section
    assert flask_exempt is statusguard.exempt is statusguard_exempt


def test_the_rules_page_links_resolve() -> None:
    """docs/rules.md is generated; its links are the RFC editor's and PEP pages."""
    links = re.findall(r"\]\(([^)]+)\)", _page("rules.md"))
    assert links and all(
        link.startswith(("https://www.rfc-editor.org/rfc/", "https://peps.python.org/"))
        or link == "audit.md"  # the cross-response rules are the audit's
        for link in links
    )


ROOT_FILES = ("README.md", "CHANGELOG.md", "LICENSE", "mkdocs.yml")


@pytest.mark.parametrize("name", ROOT_FILES)
def test_the_sdist_ships(name: str) -> None:
    assert name in PYPROJECT["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]
    assert (ROOT / name).is_file()


def test_paths_named_in_the_docs_exist() -> None:
    """A page that names a file of the repository (a test, an example) names one that is there."""
    missing = []
    for page in [ROOT / "README.md", *(ROOT / "docs" / name for name in MINE)]:
        text = page.read_text(encoding="utf-8")
        for path in set(
            re.findall(r"`((?:tests|examples|benchmarks|scripts|src)/[\w/.-]+)`", text)
        ):
            if not (ROOT / path.split("::")[0]).exists():
                missing.append(f"{page.relative_to(ROOT)}: {path}")
    assert not missing, missing


def test_no_page_refers_to_files_outside_the_repository() -> None:
    """Issue 18: docs/ referred to DESIGN.md and reference/peers.md, which ship elsewhere."""
    mine = ["README.md", *(f"docs/{name}" for name in MINE)]
    for name in mine:
        text = (ROOT / name).read_text(encoding="utf-8")
        assert "DESIGN.md" not in text and "peers.md" not in text, name


MINE = (
    "index.md",
    "configuration.md",
    "integrations.md",
    "cli.md",
    "custom-rules.md",
    "proxy.md",
    "stability.md",
    "hostile-input.md",
    "contributing.md",
    "api.md",
)


def test_the_pages_listed_exist() -> None:
    assert all(Path(ROOT / "docs" / name).is_file() for name in MINE)
