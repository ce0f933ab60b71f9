"""The status code table against the research reference (rules.json) and the seed it came from."""

from __future__ import annotations

import dataclasses
import enum
import json
import re
from http import HTTPStatus
from pathlib import Path
from typing import Any, cast

import pytest

from statusguard.codes import CODES, Registry, StatusCode, lookup

# CI copies the shared reference folder beside the checkout: <root>/shared next to <root>/main.
SHARED = Path(__file__).resolve().parents[2] / "shared"
RULES_JSON = SHARED / "reference" / "rules.json"
SEED = SHARED / "seed" / "000_f9ba02a3d866f882.txt"

# The codes of the seed table, in its order (422 appears twice there; 423 is folded into the
# second 422 row, so it has no line of its own).
SEED_CODES = (
    *(100, 101, 102),
    *(200, 201, 202, 203, 204, 205, 206, 207),
    *(300, 301, 302, 303, 304, 305, 306, 307),
    *(400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416),
    *(417, 421, 422, 422, 424, 425, 426, 449),
    *(500, 501, 502, 503, 504, 505, 506, 507, 509, 510),
)

RECORD_PARAMS = [pytest.param(record, id=str(code)) for code, record in CODES.items()]

HEURISTICALLY_CACHEABLE = {200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 451, 501}


def _load_rules() -> list[dict[str, Any]]:
    if not RULES_JSON.is_file():
        return []
    return cast("list[dict[str, Any]]", json.loads(RULES_JSON.read_text(encoding="utf-8")))


RULES = _load_rules()
MISSING_RULES = pytest.mark.skip(
    reason=f"{RULES_JSON} not found: the shared reference folder is not beside the checkout"
)
RULE_PARAMS = [pytest.param(entry, id=str(entry["code"])) for entry in RULES] or [
    pytest.param({}, id="rules.json-missing", marks=MISSING_RULES)
]


def _leading_section(section: str) -> str:
    """``"15.4.9 (originally RFC 7538 3)"`` → ``"15.4.9"``; ``"n/a"`` → ``""``."""
    match = re.match(r"\d+(?:\.\d+)*", section)
    return match.group() if match else ""


# --- the table against rules.json ------------------------------------------------------------


@pytest.mark.skipif(not RULES, reason=f"{RULES_JSON} not found")
def test_table_holds_exactly_the_reference_codes_in_order() -> None:
    assert list(CODES) == sorted(entry["code"] for entry in RULES)
    assert len(CODES) == 66


@pytest.mark.parametrize("entry", RULE_PARAMS)
def test_record_matches_reference(entry: dict[str, Any]) -> None:
    record = CODES[entry["code"]]
    assert record.code == entry["code"]
    assert record.phrase == entry["phrase"]
    assert record.status_class == entry["code"] // 100
    assert record.description_en.strip()
    assert record.description_zh.strip()
    assert record.section == _leading_section(entry["section"])
    if entry["rfc"].startswith("RFC "):
        assert record.document == entry["rfc"]
    assert record.registered is entry["in_iana"]
    assert record.content_forbidden is (entry["body"] == "forbidden")
    assert record.heuristically_cacheable is entry["cacheable"]
    # rules.json files 303's Location as advisory (no keyword); the definition needs it ("as
    # indicated by a URI in the Location header field", RFC 9110 §15.4.4), and the table
    # recommends it, as location-missing checks it.
    advised = ("Location",) if entry["code"] == 303 else ()
    assert record.recommended_headers == (*entry["should_headers"], *advised)
    # rules.json files 206's Content-Range as a conditional MUST (single part only).
    extra = ("Content-Range",) if entry["code"] == 206 else ()
    assert record.required_headers == (*entry["must_headers"], *extra)


# --- the seed --------------------------------------------------------------------------------


def test_seed_list_matches_the_seed_file() -> None:
    if not SEED.is_file():
        pytest.skip(f"{SEED} not found: the shared reference folder is not beside the checkout")
    text = SEED.read_text(encoding="utf-8")
    assert tuple(int(code) for code in re.findall(r"^(\d{3})\t", text, re.MULTILINE)) == (
        SEED_CODES
    )
    assert "423 Locked" in text


@pytest.mark.parametrize("code", sorted({*SEED_CODES, 423}))
def test_every_seed_code_is_in_the_table(code: int) -> None:
    assert code in CODES
    assert CODES[code].description_zh


@pytest.mark.parametrize("record", RECORD_PARAMS)
def test_descriptions_are_clean_single_paragraphs(record: StatusCode) -> None:
    for text in (record.description_en, record.description_zh):
        assert "<" not in text
        assert "\n" not in text
        assert "  " not in text
        assert text == text.strip()
        assert "RFC 2616" not in text
        assert "RFC 2617" not in text


# --- phrases ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "iana", "stdlib_before_3_13"),
    [
        pytest.param(413, "Content Too Large", "Request Entity Too Large", id="413"),
        pytest.param(414, "URI Too Long", "Request-URI Too Long", id="414"),
        pytest.param(416, "Range Not Satisfiable", "Requested Range Not Satisfiable", id="416"),
        pytest.param(422, "Unprocessable Content", "Unprocessable Entity", id="422"),
        pytest.param(418, "(Unused)", "I'm a Teapot", id="418"),
    ],
)
def test_phrase_is_iana_not_the_old_stdlib_one(
    code: int, iana: str, stdlib_before_3_13: str
) -> None:
    assert lookup(code).phrase == iana
    assert lookup(code).phrase != stdlib_before_3_13
    # Python 3.13 adopted some of the RFC 9110 phrases; older versions have the RFC 2616 ones.
    assert HTTPStatus(code).phrase in {iana, stdlib_before_3_13}


@pytest.mark.parametrize(
    ("code", "phrase"),
    [
        pytest.param(449, "Retry With", id="449"),
        pytest.param(509, "Bandwidth Limit Exceeded", id="509"),
        pytest.param(510, "Not Extended (OBSOLETED)", id="510"),
        pytest.param(306, "(Unused)", id="306"),
        pytest.param(104, "Upload Resumption Supported", id="104"),
    ],
)
def test_special_phrases(code: int, phrase: str) -> None:
    assert CODES[code].phrase == phrase


# --- corrected seed entries ------------------------------------------------------------------


def zh(code: int) -> str:
    return CODES[code].description_zh


def test_421_is_misdirected_request_not_a_connection_limit() -> None:
    assert "误导" in zh(421) or "错误地路由" in zh(421)
    assert "连接数" not in zh(421)
    assert "IP" not in zh(421)


def test_422_is_unprocessable_content_not_the_copied_421_text() -> None:
    assert "语义" in zh(422)
    assert "连接数" not in zh(422)
    assert zh(422) != zh(421)


def test_423_has_its_own_locked_text() -> None:
    assert "锁定" in zh(423)
    assert zh(423) != zh(422)
    assert "423" not in zh(422)


def test_425_is_too_early_not_webdav_collections() -> None:
    assert "重放" in zh(425)
    assert "RFC 8470" in zh(425)
    assert "RFC 3658" not in zh(425)
    assert "WebDav" not in zh(425)
    assert "WebDAV" not in zh(425)


def test_426_is_a_generic_upgrade_that_must_send_upgrade() -> None:
    assert "Upgrade" in zh(426)
    assert "必须" in zh(426)
    assert "TLS/1.0" not in zh(426)
    assert "RFC 2817" not in zh(426)


def test_305_is_deprecated_for_security() -> None:
    assert "弃用" in zh(305)
    assert "安全" in zh(305)


def test_510_is_obsoleted_and_historic() -> None:
    assert "历史" in zh(510)
    assert "废弃" in zh(510)


def test_201_location_is_optional_and_has_no_202_rule() -> None:
    assert "目标 URI" in zh(201)
    assert "202" not in zh(201)


def test_203_is_a_transforming_proxy() -> None:
    assert "转换的代理" in zh(203)
    assert "第三方" not in zh(203)
    assert "超级" not in zh(203)


def test_205_needs_explicit_zero_length_framing() -> None:
    assert "Content-Length: 0" in zh(205)
    assert "第一个空行" not in zh(205)
    assert "与204响应一样" not in zh(205)


def test_206_drops_the_weak_if_range_rule() -> None:
    assert "弱缓存验证" not in zh(206)
    assert "multipart/byteranges" in zh(206)
    assert "不得包含 Content-Range" in zh(206)


@pytest.mark.parametrize("code", [301, 302, 307])
def test_redirects_drop_the_user_confirmation_rule(code: int) -> None:
    assert "用户的确认" not in zh(code)
    assert "Location" in zh(code)


def test_307_keeps_the_method() -> None:
    assert "不得改变请求方法" in zh(307)


def test_303_is_cacheable_with_explicit_freshness() -> None:
    assert "禁止被缓存" not in zh(303)
    assert "可以被缓存" in zh(303)


def test_304_follows_rfc_9110() -> None:
    assert "弱缓存验证" not in zh(304)
    assert "HEAD" in zh(304)
    assert "Vary" in zh(304)


def test_400_is_any_client_error() -> None:
    assert "客户端错误" in zh(400)
    assert "1、语义有误" not in zh(400)


def test_403_allows_different_credentials() -> None:
    assert "不同的凭据" in zh(403)


def test_416_drops_the_multipart_prohibition() -> None:
    assert "禁止使用 multipart/byteranges" not in zh(416)
    assert "重叠" in zh(416)


def test_503_drops_treat_as_500() -> None:
    assert "Retry-After" in zh(503)
    assert "500响应的方式" not in zh(503)


@pytest.mark.parametrize("code", [401, 407])
def test_auth_codes_cite_rfc_9110(code: int) -> None:
    assert "RFC 9110 第 11 节" in zh(code)


@pytest.mark.parametrize("code", [102, 207])
def test_webdav_codes_cite_rfc_4918(code: int) -> None:
    assert "RFC 4918" in zh(code)


@pytest.mark.parametrize("code", [103, 104, 208, 226, 308, 418, 428, 429, 431, 451, 508, 511])
def test_codes_missing_from_the_seed_have_chinese(code: int) -> None:
    assert re.search(r"[\u4e00-\u9fff]{10}", zh(code))


# --- registry, content, caching, headers -----------------------------------------------------


@pytest.mark.parametrize(
    ("code", "registry", "registered"),
    [
        pytest.param(102, Registry.DEPRECATED, True, id="102"),
        pytest.param(305, Registry.DEPRECATED, True, id="305"),
        pytest.param(306, Registry.UNUSED, True, id="306"),
        pytest.param(418, Registry.UNUSED, True, id="418"),
        pytest.param(510, Registry.OBSOLETED, True, id="510"),
        pytest.param(104, Registry.TEMPORARY, True, id="104"),
        pytest.param(449, Registry.NON_STANDARD, False, id="449"),
        pytest.param(509, Registry.NON_STANDARD, False, id="509"),
        pytest.param(200, Registry.STANDARD, True, id="200"),
        pytest.param(402, Registry.STANDARD, True, id="402"),
    ],
)
def test_registry_status(code: int, registry: Registry, registered: bool) -> None:
    record = CODES[code]
    assert record.registry is registry
    assert record.registered is registered
    assert record.deprecated is (code in {102, 305, 306, 418, 510})


def test_only_the_listed_codes_are_not_standard() -> None:
    special = {c for c, r in CODES.items() if r.registry is not Registry.STANDARD}
    assert special == {102, 104, 305, 306, 418, 449, 509, 510}
    assert {c for c, r in CODES.items() if not r.registered} == {449, 509}


def test_content_forbidden_exactly_for_1xx_204_205_304() -> None:
    forbidden = {c for c, r in CODES.items() if r.content_forbidden}
    assert forbidden == {c for c in CODES if c < 200} | {204, 205, 304}


def test_heuristically_cacheable_set() -> None:
    assert {c for c, r in CODES.items() if r.heuristically_cacheable} == HEURISTICALLY_CACHEABLE


@pytest.mark.parametrize(
    ("code", "required"),
    [
        pytest.param(101, ("Upgrade",), id="101"),
        pytest.param(206, ("Content-Range",), id="206"),
        pytest.param(401, ("WWW-Authenticate",), id="401"),
        pytest.param(405, ("Allow",), id="405"),
        pytest.param(407, ("Proxy-Authenticate",), id="407"),
        pytest.param(426, ("Upgrade",), id="426"),
        pytest.param(226, ("ETag",), id="226"),
        pytest.param(200, (), id="200"),
        pytest.param(304, (), id="304"),
    ],
)
def test_required_headers(code: int, required: tuple[str, ...]) -> None:
    assert CODES[code].required_headers == required


@pytest.mark.parametrize("code", [301, 302, 307, 308])
def test_redirects_recommend_location(code: int) -> None:
    assert CODES[code].recommended_headers == ("Location",)


def test_interim() -> None:
    assert {c for c, r in CODES.items() if r.is_interim} == {100, 101, 102, 103, 104}


# --- references ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "reference", "url"),
    [
        pytest.param(
            204,
            "RFC 9110 §15.3.5",
            "https://www.rfc-editor.org/rfc/rfc9110#section-15.3.5",
            id="204",
        ),
        pytest.param(
            103, "RFC 8297 §2", "https://www.rfc-editor.org/rfc/rfc8297#section-2", id="103"
        ),
        pytest.param(
            308,
            "RFC 9110 §15.4.9",
            "https://www.rfc-editor.org/rfc/rfc9110#section-15.4.9",
            id="308",
        ),
        pytest.param(104, "draft-ietf-httpbis-resumable-upload-05", None, id="104"),
        pytest.param(449, "Microsoft", None, id="449"),
        pytest.param(509, "Apache/cPanel", None, id="509"),
    ],
)
def test_reference_and_url(code: int, reference: str, url: str | None) -> None:
    assert CODES[code].reference == reference
    assert CODES[code].url == url


@pytest.mark.parametrize("record", RECORD_PARAMS)
def test_references_are_well_formed(record: StatusCode) -> None:
    assert record.document
    if record.document.startswith("RFC "):
        assert re.fullmatch(r"RFC \d{4}", record.document)
        assert re.fullmatch(r"\d+(\.\d+)*", record.section)
        assert record.url is not None
        assert record.url.startswith("https://www.rfc-editor.org/rfc/rfc")
    else:
        assert record.url is None


# --- lookup ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "like", "content_forbidden"),
    [
        pytest.param(199, 100, True, id="199"),
        pytest.param(150, 100, True, id="150"),
        pytest.param(299, 200, False, id="299"),
        pytest.param(399, 300, False, id="399"),
        pytest.param(499, 400, False, id="499"),
        pytest.param(599, 500, False, id="599"),
    ],
)
def test_unknown_code_behaves_as_the_x00_of_its_class(
    code: int, like: int, content_forbidden: bool
) -> None:
    record = lookup(code)
    assert record.code == code
    assert record.status_class == like // 100
    assert record.phrase == ""
    assert record.registry is Registry.UNREGISTERED
    assert record.registered is False
    assert record.deprecated is False
    assert record.content_forbidden is content_forbidden
    assert record.required_headers == ()
    assert record.recommended_headers == ()
    assert record.heuristically_cacheable is False
    assert str(like) in record.description_en
    assert "unregistered" in record.description_en
    assert "未登记" in record.description_zh
    assert record.reference == "RFC 9110 §15"


@pytest.mark.parametrize("code", [600, 99, 0, -1, 1000, 10**12])
def test_out_of_range_codes_are_invalid(code: int) -> None:
    record = lookup(code)
    assert record.code == code
    assert record.status_class == 0
    assert record.registry is Registry.INVALID
    assert record.phrase == ""
    assert record.content_forbidden is False
    assert record.required_headers == ()
    assert record.recommended_headers == ()
    assert record.heuristically_cacheable is False
    assert record.registered is False
    assert record.description_en
    assert record.description_zh


@pytest.mark.parametrize("value", ["200", True, False, 200.0, None])
def test_lookup_rejects_non_int(value: object) -> None:
    with pytest.raises(TypeError):
        lookup(value)  # type: ignore[arg-type]


def test_lookup_accepts_int_subclasses() -> None:
    class Custom(enum.IntEnum):
        UNKNOWN = 299

    assert lookup(HTTPStatus.NOT_FOUND) is CODES[404]
    assert type(lookup(Custom.UNKNOWN).code) is int
    assert lookup(Custom.UNKNOWN) is lookup(299)


def test_lookup_returns_the_same_object() -> None:
    assert lookup(404) is lookup(404) is CODES[404]
    assert lookup(299) is lookup(299)
    assert lookup(600) is lookup(600)


# --- immutability ----------------------------------------------------------------------------


def test_codes_is_read_only() -> None:
    with pytest.raises(TypeError):
        CODES[999] = CODES[200]  # type: ignore[index]
    with pytest.raises(TypeError):
        del CODES[200]  # type: ignore[attr-defined]


def test_records_are_frozen() -> None:
    record = CODES[200]
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.phrase = "Fine"  # type: ignore[misc]
    assert not hasattr(record, "__dict__")
