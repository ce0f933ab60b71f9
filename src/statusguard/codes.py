"""The table of HTTP status codes: one frozen record per code, built once at import.

No I/O, stdlib only. ``CODES`` holds every code of the IANA registry plus the seed's 449 and 509;
:func:`lookup` answers for any int, treating unknown codes as the x00 of their class.

Reason phrases are IANA's (``http.HTTPStatus`` before Python 3.13 still has the RFC 2616 ones,
such as "Request Entity Too Large"). The Chinese descriptions come from the project's seed table,
tidied and corrected where the seed followed RFC 2616 or was simply wrong (421, 422, 425, 426...);
codes the seed lacks got new ones.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["CODES", "Registry", "StatusCode", "lookup"]


class Registry(str, enum.Enum):
    """Where a code stands in the IANA HTTP Status Code Registry."""

    STANDARD = "standard"
    DEPRECATED = "deprecated"  # 102, 305: still listed, not to be generated
    UNUSED = "unused"  # 306, 418: reserved, listed as "(Unused)"
    OBSOLETED = "obsoleted"  # 510: its RFC is Historic
    TEMPORARY = "temporary"  # 104: provisional registration for an Internet-Draft
    NON_STANDARD = "non-standard"  # 449, 509: vendor codes, not in the registry
    UNREGISTERED = "unregistered"  # any other code in 100..599
    INVALID = "invalid"  # outside 100..599: not a status code at all

    def __str__(self) -> str:
        return self.value


_RETIRED = frozenset({Registry.DEPRECATED, Registry.UNUSED, Registry.OBSOLETED})
_NOT_IN_IANA = frozenset({Registry.NON_STANDARD, Registry.UNREGISTERED, Registry.INVALID})


@dataclass(frozen=True, slots=True)
class StatusCode:
    """What the specifications say about one status code.

    ``required_headers`` are the fields a response with this code MUST carry and
    ``recommended_headers`` those it SHOULD carry; both hold only the unconditional (or nearly
    so) cases, in canonical case. Conditional rules (304's "whatever a 200 would have sent",
    205's zero-length framing, ``Connection: upgrade`` on HTTP/1.1) belong to the rules
    catalogue, not to this table.
    """

    code: int
    phrase: str
    status_class: int
    registry: Registry
    document: str
    section: str
    content_forbidden: bool
    required_headers: tuple[str, ...]
    recommended_headers: tuple[str, ...]
    heuristically_cacheable: bool
    description_en: str
    description_zh: str
    registered: bool

    @property
    def url(self) -> str | None:
        """The RFC section on rfc-editor.org, or ``None`` when the document is not an RFC."""
        if not self.document.startswith("RFC "):
            return None
        url = f"https://www.rfc-editor.org/rfc/rfc{self.document[4:]}"
        return f"{url}#section-{self.section}" if self.section else url

    @property
    def reference(self) -> str:
        """``"RFC 9110 §15.3.5"``, or the document alone when no section is known."""
        return f"{self.document} §{self.section}" if self.section else self.document

    @property
    def deprecated(self) -> bool:
        """Deprecated, reserved as unused, or obsoleted: a response should not use it."""
        return self.registry in _RETIRED

    @property
    def is_interim(self) -> bool:
        """A 1xx: an interim response, always followed by a final one."""
        return 100 <= self.code <= 199


# RFC 9110 §15.2, §15.3.5, §15.4.5: 1xx, 204 and 304 end with their header section; 205 "MUST
# NOT generate content" (§15.3.6) but is not self-delimiting, so it still needs framing.
_NO_CONTENT = frozenset({204, 205, 304})

# RFC 9110 §15.1: "200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, and 501 in this
# specification", plus 451 (RFC 7725 §3). Every other code needs explicit freshness to be reused.
_HEURISTICALLY_CACHEABLE = frozenset(
    {200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 451, 501}
)


def _c(
    code: int,
    phrase: str,
    reference: str,
    *,
    en: str,
    zh: str,
    registry: Registry = Registry.STANDARD,
    required: tuple[str, ...] = (),
    recommended: tuple[str, ...] = (),
) -> StatusCode:
    document, _, section = reference.partition(" §")
    return StatusCode(
        code=code,
        phrase=phrase,
        status_class=code // 100,
        registry=registry,
        document=document,
        section=section,
        content_forbidden=code < 200 or code in _NO_CONTENT,
        required_headers=required,
        recommended_headers=recommended,
        heuristically_cacheable=code in _HEURISTICALLY_CACHEABLE,
        description_en=en,
        description_zh=zh,
        registered=registry not in _NOT_IN_IANA,
    )


_RECORDS = (
    # 1xx Informational: RFC 9110 §15.2. An interim response ends with its header section.
    _c(
        100,
        "Continue",
        "RFC 9110 §15.2.1",
        en=(
            "The server has received the start of the request and has not rejected it; the client "
            "should send the rest, or ignore this interim response if the request is already "
            "complete. A final response follows."
        ),
        zh=(
            "客户端应当继续发送请求。这个临时响应表示服务器已经收到请求的开头部分，且尚未拒绝它；"
            "客户端应当继续发送请求的剩余部分，如果请求已经发送完毕，则忽略这个响应。"
            "服务器必须在请求处理完成后发送一个最终响应。"
        ),
    ),
    _c(
        101,
        "Switching Protocols",
        "RFC 9110 §15.2.2",
        required=("Upgrade",),
        en=(
            "The server switches the connection to the protocol(s) named in the Upgrade header "
            "field it must send (plus Connection: upgrade in HTTP/1.1). HTTP/2 and HTTP/3 have no "
            "101."
        ),
        zh=(
            "服务器理解了客户端的请求，将按照 Upgrade 头切换到另一种协议来完成这个请求。"
            "服务器必须在响应中发送 Upgrade 头，指明此响应之后连接所使用的协议；"
            "在 HTTP/1.1 中还必须在 Connection 头中加入 upgrade 选项。发送完这个响应最后的空行后，"
            "服务器即切换到新的协议。只有在切换协议更有好处时才应这样做，"
            "例如切换到更新的 HTTP 版本，或切换到实时、同步的协议。HTTP/2 和 HTTP/3 不支持 101。"
        ),
    ),
    _c(
        102,
        "Processing",
        "RFC 2518 §10.1",
        registry=Registry.DEPRECATED,
        en=(
            "WebDAV interim response saying the request is still being processed. Defined in "
            "RFC 2518 and dropped by RFC 4918, which obsoletes it: IANA still lists it, but it is "
            "deprecated in practice."
        ),
        zh=(
            "由 WebDAV（RFC 2518）扩展的临时状态码，表示服务器已收到请求并仍在处理，"
            "用于避免客户端在耗时较长的请求上超时。RFC 2518 已被 RFC 4918 取代，"
            "而 RFC 4918 删除了 102；IANA 虽然仍登记此状态码，实际上它已被弃用。"
        ),
    ),
    _c(
        103,
        "Early Hints",
        "RFC 8297 §2",
        en=(
            "Interim response carrying header fields that the final response is expected to have "
            "(typically Link with rel=preload), so the client can start preloading while the "
            "server prepares the final response."
        ),
        zh=(
            "临时响应，用于在服务器准备最终响应期间，"
            "预先发送最终响应中预计会出现的部分头字段（通常是 rel=preload 的 Link 头），"
            "使客户端可以提前预加载资源。服务器可以发送多个 103 响应；"
            "客户端不得把其中的头字段当作适用于这个临时响应本身。"
        ),
    ),
    _c(
        104,
        "Upload Resumption Supported",
        "draft-ietf-httpbis-resumable-upload-05",
        registry=Registry.TEMPORARY,
        en=(
            "Interim response announcing that the server supports resumable uploads, so an "
            "interrupted upload can be resumed. Temporary IANA registration for an Internet-Draft."
        ),
        zh=(
            "临时响应，表示服务器支持可续传上传（resumable upload）：上传中断后，"
            "客户端可以从中断处继续上传，而不必从头开始。该状态码定义于 IETF 草案，"
            "目前只是 IANA 的临时登记，尚未成为正式标准。"
        ),
    ),
    # 2xx Successful: RFC 9110 §15.3.
    _c(
        200,
        "OK",
        "RFC 9110 §15.3.1",
        recommended=("ETag", "Last-Modified"),
        en=(
            "The request succeeded; the content depends on the method (the selected "
            "representation for GET, none for HEAD). A 200 to GET or HEAD should carry the "
            "available validators (ETag, Last-Modified)."
        ),
        zh=(
            "请求已成功，请求所希望的响应头或数据体将随此响应返回；响应的含义取决于请求方法，"
            "例如 GET 请求返回目标资源的表示，HEAD 请求只返回相同的头字段而不含内容。"
            "对 GET 或 HEAD 请求的 200 响应应当附带可用的验证器（ETag、Last-Modified）。"
            "此响应默认可被启发式缓存。"
        ),
    ),
    _c(
        201,
        "Created",
        "RFC 9110 §15.3.2",
        en=(
            "The request has been fulfilled and created one or more new resources; the primary "
            "one is identified by the Location header field or, when there is none, by the target "
            "URI."
        ),
        zh=(
            "请求已经完成，并因此创建了一个或多个新资源。主要的新资源由响应中的 Location 头标识；"
            "如果响应中没有 Location 头，则由请求的目标 URI 标识。"
            "响应内容通常描述并链接到所创建的资源。"
        ),
    ),
    _c(
        202,
        "Accepted",
        "RFC 9110 §15.3.3",
        en=(
            "The request has been accepted for processing, but processing has not completed and "
            "might still be refused. The content ought to describe the current status and point "
            "to a status monitor."
        ),
        zh=(
            "服务器已接受请求，但尚未处理完成，最终该请求可能会也可能不会被执行。"
            "这个状态码使服务器可以接受交由其他进程处理的请求（例如每天只执行一次的批处理操作），"
            "而不必让客户端的连接一直保持到处理结束。响应内容应当说明请求的当前状态，"
            "并指向（或内嵌）一个状态监视器，使用户能够估计请求何时完成。"
        ),
    ),
    _c(
        203,
        "Non-Authoritative Information",
        "RFC 9110 §15.3.4",
        en=(
            "The request succeeded, but the enclosed content has been modified by a transforming "
            "proxy from the origin server's 200 (OK) response. Heuristically cacheable."
        ),
        zh=(
            "请求已成功，但所附的内容已被一个进行转换的代理（transforming proxy）修改，"
            "与源服务器的 200 响应不同。这样代理可以告知接收方内容已被修改，"
            "以便接收方在后续决策中考虑这一点。只有在不修改时本应返回 200 的情况下才适用。"
            "此响应默认可被启发式缓存。"
        ),
    ),
    _c(
        204,
        "No Content",
        "RFC 9110 §15.3.5",
        en=(
            "The request succeeded and there is no content to send. The response ends with its "
            "header section: no content, no trailers, and no Content-Length or Transfer-Encoding. "
            "Heuristically cacheable."
        ),
        zh=(
            "服务器成功处理了请求，但没有需要返回的内容。响应头中可以包含新的或更新后的元信息，"
            "它们适用于执行请求后的目标资源。如果客户端是浏览器，应当保留发送该请求的页面，"
            "不改变当前的文档视图。204 响应以头部之后的第一个空行结束，不能包含内容或尾部字段，"
            "也不得发送 Content-Length 或 Transfer-Encoding 头。此响应默认可被启发式缓存。"
        ),
    ),
    _c(
        205,
        "Reset Content",
        "RFC 9110 §15.3.6",
        en=(
            "The request succeeded and the user agent should reset the document view that sent it "
            "(e.g. clear a form). The server must not send content, and in HTTP/1.1 needs "
            "explicit zero-length framing such as Content-Length: 0."
        ),
        zh=(
            "服务器成功处理了请求，并要求用户代理重置发送该请求的文档视图，"
            "例如在接受用户输入后立即清空表单，以便用户开始新的输入。"
            "服务器不得在 205 响应中生成任何内容。与 204 不同，205 响应不会在头部之后自动结束："
            "在 HTTP/1.1 中需要显式表明内容长度为零，"
            "例如发送 Content-Length: 0（或发送空的分块编码内容，或关闭连接）。"
        ),
    ),
    _c(
        206,
        "Partial Content",
        "RFC 9110 §15.3.7",
        required=("Content-Range",),
        en=(
            "The response carries one or more requested ranges of the selected representation: a "
            "single part with Content-Range, or several parts as multipart/byteranges with no "
            "Content-Range in the header section. Heuristically cacheable."
        ),
        zh=(
            "服务器成功处理了范围请求，响应内容是所选表示中被请求的一个或多个范围，"
            "下载工具借此实现断点续传或分段下载。只传输一个范围时，响应必须包含 Content-Range 头，"
            "指明所附内容的范围；传输多个范围时，必须使用 multipart/byteranges 内容，"
            "Content-Type 头必须带 boundary 参数，每个分段都必须有自己的 Content-Range，"
            "而响应的头部不得包含 Content-Range；对只请求一个范围的请求不得以多段形式响应。"
            "如果 200 响应本会发送 Date、Cache-Control、ETag、Expires、Content-Location 或 Vary，"
            "206 响应也必须发送。请求带有 If-Range 时不应再发送其他表示头字段，"
            "否则必须发送 200 响应中本会发送的全部表示头字段。此响应默认可被启发式缓存。"
        ),
    ),
    _c(
        207,
        "Multi-Status",
        "RFC 4918 §11.1",
        en=(
            "WebDAV: the content is an XML multistatus document carrying a separate status for "
            "each of several independent operations."
        ),
        zh=(
            "由 WebDAV（RFC 4918）定义的状态码，"
            "表示响应内容默认是一个 XML 消息（根元素为 multistatus），"
            "其中分别给出多个独立操作各自的状态码。"
        ),
    ),
    _c(
        208,
        "Already Reported",
        "RFC 5842 §7.1",
        en=(
            "WebDAV bindings: used inside a 207 multistatus response to say that the members of a "
            "binding were already reported earlier in the response and are not repeated."
        ),
        zh=(
            "由 WebDAV 绑定扩展（RFC 5842）定义，用在 207 多状态响应的 DAV:propstat 元素中，"
            "表示同一集合的成员已在本响应前面列出，不再重复列举，"
            "避免对指向同一集合的多个绑定反复枚举。"
        ),
    ),
    _c(
        226,
        "IM Used",
        "RFC 3229 §10.4.1",
        required=("ETag",),
        en=(
            "Delta encoding: the server fulfilled a GET and the response is the result of "
            "instance-manipulations (e.g. a delta) applied to the current instance. Must carry "
            "ETag."
        ),
        zh=(
            "由 HTTP 增量编码（RFC 3229）定义，表示服务器已完成对资源的 GET 请求，"
            "响应是对当前实例应用一个或多个实例操作（instance-manipulation，例如增量）后的结果。"
            "请求必须带有 A-IM 头；响应必须包含给出当前实例实体标签的 ETag 头，"
            "并通常用 IM 头（增量时还有 Delta-Base 头）说明所应用的操作。"
        ),
    ),
    # 3xx Redirection: RFC 9110 §15.4.
    _c(
        300,
        "Multiple Choices",
        "RFC 9110 §15.4.1",
        recommended=("Location",),
        en=(
            "The target resource has several representations to choose from. The server should "
            "list them in the content (except for HEAD) and, if it has a preferred one, give its "
            "URI in Location. Heuristically cacheable."
        ),
        zh=(
            "目标资源有多个可供选择的表示，每个表示都有自己更具体的标识符，"
            "用户或用户代理可以从中选择一个首选表示并重定向到它。除非是 HEAD 请求，"
            "服务器应当在响应内容中提供表示元数据及 URI 引用的列表，供用户或用户代理选择；"
            "规范没有定义自动选择的方式。如果服务器有首选项，应当在 Location 头中给出它的 URI，"
            "用户代理可以据此自动重定向。此响应默认可被启发式缓存。"
        ),
    ),
    _c(
        301,
        "Moved Permanently",
        "RFC 9110 §15.4.2",
        recommended=("Location",),
        en=(
            "The target resource has a new permanent URI, which the server should send in "
            "Location. User agents may change POST to GET when they follow it (308 keeps the "
            "method). Heuristically cacheable."
        ),
        zh=(
            "目标资源已被永久移动到新的 URI，今后对此资源的引用应当使用新的 URI 之一。"
            "服务器应当在 Location 头中给出新的永久 URI；"
            "拥有链接编辑功能的客户端应当尽可能把对原地址的引用改为新地址。由于历史原因，"
            "用户代理在随后的请求中可以把 POST 方法改为 GET；如果不希望改变方法，应使用 308。"
            "此响应默认可被启发式缓存。"
        ),
    ),
    _c(
        302,
        "Found",
        "RFC 9110 §15.4.3",
        recommended=("Location",),
        en=(
            "The target resource is temporarily at a different URI, which the server should send "
            "in Location; the client keeps using the original URI. User agents may change POST to "
            "GET when they follow it (307 keeps the method)."
        ),
        zh=(
            "目标资源暂时位于另一个 URI 下。由于这样的重定向是临时的，"
            "客户端应当继续使用原来的目标 URI 发送以后的请求。"
            "服务器应当在 Location 头中给出这个临时 URI。由于历史原因，"
            "用户代理在随后的请求中可以把 POST 方法改为 GET；如果不希望改变方法，应使用 307。"
            "只有在 Cache-Control 或 Expires 明确指定时，这个响应才可被缓存。"
        ),
    ),
    _c(
        303,
        "See Other",
        "RFC 9110 §15.4.4",
        # No keyword, but the definition: "as indicated by a URI in the Location header field".
        recommended=("Location",),
        en=(
            "The server redirects the user agent to a different resource, given in Location, to "
            "be retrieved with GET; typically the outcome of a POST. Not heuristically cacheable, "
            "but cacheable with explicit freshness information."
        ),
        zh=(
            "服务器把用户代理重定向到 Location 头中给出的另一个资源，用户代理可以用 GET（或 HEAD）"
            "请求获取它，以得到对原请求的间接响应。"
            "它主要用于让 POST 等操作的结果重定向到一个可以用 GET 获取的资源，"
            "新的 URI 并不是原目标资源的替代引用。303 响应不可被启发式缓存，"
            "但带有明确的新鲜度信息（如 Cache-Control 或 Expires）时可以被缓存。除非是 HEAD 请求，"
            "响应内容宜包含指向该 URI 的超链接及简短说明。"
        ),
    ),
    _c(
        304,
        "Not Modified",
        "RFC 9110 §15.4.5",
        en=(
            "A conditional GET or HEAD found the client's stored representation still valid. No "
            "content; the server must send whichever of Content-Location, Date, ETag, Vary, "
            "Cache-Control and Expires a 200 would have carried."
        ),
        zh=(
            "客户端发送了带条件的 GET 或 HEAD 请求，由于条件求值为假，服务器没有返回内容："
            "客户端已缓存的表示仍然有效，可以继续使用。304 响应以头部之后的第一个空行结束，"
            "不能包含内容或尾部字段。如果同一请求的 200 响应本会发送 Content-Location、Date、"
            "ETag、Vary、Cache-Control 或 Expires，服务器必须在 304 响应中同样发送；"
            "除了用于指导缓存更新的元数据之外，不应发送其他表示元数据（如 Content-Type）。"
        ),
    ),
    _c(
        305,
        "Use Proxy",
        "RFC 9110 §15.4.6",
        registry=Registry.DEPRECATED,
        en=(
            "Formerly told the client to repeat the request through the proxy named in Location. "
            "Deprecated for security reasons; do not generate it."
        ),
        zh=(
            "此状态码曾在早期版本的 HTTP 规范中定义，"
            "表示必须通过 Location 头指定的代理访问目标资源。"
            "由于让服务器指示客户端改用某个代理存在安全隐患，它现已被弃用（RFC 7231 附录 B，"
            "RFC 9110 第 15.4.6 节），不应再生成。"
        ),
    ),
    _c(
        306,
        "(Unused)",
        "RFC 9110 §15.4.7",
        registry=Registry.UNUSED,
        en="Used in a previous version of HTTP and no longer used; the code is reserved.",
        zh="此状态码曾在早期版本的 HTTP 规范中使用，现已不再使用，该代码被保留。",
    ),
    _c(
        307,
        "Temporary Redirect",
        "RFC 9110 §15.4.8",
        recommended=("Location",),
        en=(
            "The target resource is temporarily at a different URI, which the server should send "
            "in Location; the user agent must not change the request method when it follows the "
            "redirect."
        ),
        zh=(
            "目标资源暂时位于另一个 URI 下，用户代理自动重定向到该 URI 时不得改变请求方法。"
            "由于这样的重定向是临时的，客户端应当继续使用原来的目标 URI 发送以后的请求。"
            "服务器应当在 Location 头中给出这个临时 URI。"
            "只有在 Cache-Control 或 Expires 明确指定时，这个响应才可被缓存。"
        ),
    ),
    _c(
        308,
        "Permanent Redirect",
        "RFC 9110 §15.4.9",
        recommended=("Location",),
        en=(
            "The target resource has a new permanent URI, which the server should send in "
            "Location; unlike 301, the request method must not change from POST to GET. "
            "Heuristically cacheable."
        ),
        zh=(
            "目标资源已被永久移动到新的 URI，今后对此资源的引用应当使用新的 URI 之一。"
            "与 301 不同，用户代理重定向时不允许把请求方法从 POST 改为 GET。"
            "服务器应当在 Location 头中给出新的永久 URI。此响应默认可被启发式缓存。"
        ),
    ),
    # 4xx Client Error: RFC 9110 §15.5. The content should explain the error (except for HEAD).
    _c(
        400,
        "Bad Request",
        "RFC 9110 §15.5.1",
        en=(
            "The server cannot or will not process the request because of something perceived as "
            "a client error, such as malformed syntax, invalid message framing or deceptive "
            "request routing."
        ),
        zh=(
            "服务器认为请求存在客户端错误，因而不能或不愿处理该请求，例如请求语法格式错误、"
            "请求消息的分帧无效，或请求路由具有欺骗性；请求参数有误也常用此状态码。"
            "如果请求语法正确、只是内容在语义上无法处理，更适合使用 422。"
        ),
    ),
    _c(
        401,
        "Unauthorized",
        "RFC 9110 §15.5.2",
        required=("WWW-Authenticate",),
        en=(
            "The request lacks valid authentication credentials for the target resource. The "
            "server must send WWW-Authenticate with at least one applicable challenge "
            "(authentication framework: RFC 9110 §11)."
        ),
        zh=(
            "当前请求缺少目标资源所需的有效身份验证凭据。"
            "服务器必须在 401 响应中发送 WWW-Authenticate 头，"
            "其中至少包含一个适用于目标资源的质询。如果请求已经包含 Authorization 凭据，"
            "401 表示这些凭据已被拒绝；客户端可以使用新的或替换后的 Authorization 头重新提交请求。"
            "如果 401 响应包含与前一个响应相同的质询，且用户代理已经至少尝试过一次验证，"
            "则应当向用户展示响应中的内容，因为其中通常包含相关的诊断信息。"
            "HTTP 身份验证框架见 RFC 9110 第 11 节。"
        ),
    ),
    _c(
        402,
        "Payment Required",
        "RFC 9110 §15.5.3",
        en="Reserved for future use.",
        zh="该状态码是为了将来可能的需求而预留的。",
    ),
    _c(
        403,
        "Forbidden",
        "RFC 9110 §15.5.4",
        en=(
            "The server understood the request but refuses to fulfill it. The client should not "
            "repeat it automatically with the same credentials, but may retry with new or "
            "different ones."
        ),
        zh=(
            "服务器已经理解请求，但是拒绝执行它。如果请求中提供了凭据，"
            "服务器认为这些凭据不足以获得访问权限：客户端不应使用相同的凭据自动重复该请求，"
            "但可以使用新的或不同的凭据重试；不过请求被禁止也可能与凭据无关。"
            "服务器如果希望说明拒绝的原因，可以在响应内容中描述；如果希望隐藏被禁止资源的存在，"
            "源服务器也可以改为返回 404。"
        ),
    ),
    _c(
        404,
        "Not Found",
        "RFC 9110 §15.5.5",
        en=(
            "The origin server did not find a current representation for the target resource or "
            "will not disclose that one exists. Use 410 when the absence is known to be "
            "permanent. Heuristically cacheable."
        ),
        zh=(
            "请求失败，源服务器没有找到目标资源的当前表示，或不愿透露它是否存在。"
            "404 并不表明这种情况是暂时的还是永久的；如果服务器知道该资源已永久不可用，"
            "应当优先使用 410。404 也被广泛用于服务器不想透露请求被拒绝的具体原因，"
            "或没有其他合适响应的情况。此响应默认可被启发式缓存。"
        ),
    ),
    _c(
        405,
        "Method Not Allowed",
        "RFC 9110 §15.5.6",
        required=("Allow",),
        en=(
            "The method is known to the origin server but not supported by the target resource. "
            "The server must send Allow listing the supported methods (an empty list is valid). "
            "Heuristically cacheable."
        ),
        zh=(
            "请求行中的方法为源服务器所知，但目标资源不支持该方法。"
            "源服务器必须在 405 响应中发送 Allow 头，"
            "列出目标资源当前支持的方法（空的 Allow 表示资源暂时不允许任何方法）。"
            "例如许多 Web 服务器默认不允许 PUT、DELETE 等会修改服务器资源的方法，"
            "对这类请求返回 405。此响应默认可被启发式缓存。"
        ),
    ),
    _c(
        406,
        "Not Acceptable",
        "RFC 9110 §15.5.7",
        en=(
            "The target resource has no representation acceptable to the user agent according to "
            "the request's proactive negotiation header fields, and the server will not send a "
            "default one."
        ),
        zh=(
            "根据请求中的内容协商头字段（如 Accept、Accept-Language），"
            "目标资源没有用户代理可以接受的当前表示，而服务器又不愿提供默认表示。"
            "服务器应当在响应内容中列出可用表示的特征及对应的资源标识符，"
            "供用户或用户代理选择最合适的一个；规范没有定义自动选择的标准。"
        ),
    ),
    _c(
        407,
        "Proxy Authentication Required",
        "RFC 9110 §15.5.8",
        required=("Proxy-Authenticate",),
        en=(
            "Like 401, but the client must authenticate with a proxy: the proxy must send "
            "Proxy-Authenticate with a challenge applicable to it (authentication framework: "
            "RFC 9110 §11)."
        ),
        zh=(
            "与 401 响应类似，只不过客户端必须先在代理服务器上进行身份验证。"
            "代理服务器必须发送 Proxy-Authenticate 头，给出适用于该代理的质询；"
            "客户端可以在请求中附带 Proxy-Authorization 头重新提交请求。"
            "HTTP 身份验证框架见 RFC 9110 第 11 节。"
        ),
    ),
    _c(
        408,
        "Request Timeout",
        "RFC 9110 §15.5.9",
        en=(
            "The server did not receive a complete request message within the time it was "
            "prepared to wait; it should close the connection, and the client may repeat the "
            "request."
        ),
        zh=(
            "请求超时：服务器在准备等待的时间内没有收到完整的请求消息。"
            "服务器应当在响应中发送 close 连接选项并关闭连接。如果客户端还有未完成的请求，"
            "可以重新发送（通常使用新的连接）。"
        ),
    ),
    _c(
        409,
        "Conflict",
        "RFC 9110 §15.5.10",
        en=(
            "The request conflicts with the current state of the target resource (e.g. a PUT "
            "based on an outdated version); the content should help the user recognize and "
            "resolve the conflict."
        ),
        zh=(
            "由于与目标资源的当前状态存在冲突，请求无法完成。"
            "这个状态码用于用户可能解决冲突并重新提交请求的场合，"
            "服务器应当在响应内容中提供足够的信息，使用户能够找到冲突的来源。"
            "冲突最常见于对 PUT 请求的处理：例如在使用版本控制的环境中，"
            "PUT 提交的修改与之前某个（第三方）请求所做的修改相冲突，此时服务器可以返回 409，"
            "响应内容中通常包含两个版本之间的差异，以便用户合并后重新提交。"
        ),
    ),
    _c(
        410,
        "Gone",
        "RFC 9110 §15.5.11",
        en=(
            "The target resource is no longer available at the origin server and this is likely "
            "permanent; use 404 when permanence is unknown. Heuristically cacheable."
        ),
        zh=(
            "被请求的资源在源服务器上已经不再可用，而且这种状况很可能是永久性的。"
            "如果服务器不知道或无法确定这种状况是否是永久的，应当使用 404。"
            "410 响应的目的主要是帮助网站维护，告知接收方该资源是有意不再提供的，"
            "服务器拥有者希望删除所有指向它的远程链接；这在限时的增值服务中很常见。"
            "是否把所有永久不可用的资源标记为 410、以及标记保留多久，完全由服务器拥有者决定。"
            "此响应默认可被启发式缓存。"
        ),
    ),
    _c(
        411,
        "Length Required",
        "RFC 9110 §15.5.12",
        en=(
            "The server refuses the request without a Content-Length; the client may repeat it "
            "with a valid one."
        ),
        zh=(
            "服务器拒绝在没有定义 Content-Length 头的情况下接受请求。"
            "在添加了表明请求内容长度的有效 Content-Length 头之后，客户端可以再次提交该请求。"
        ),
    ),
    _c(
        412,
        "Precondition Failed",
        "RFC 9110 §15.5.13",
        en=(
            "One or more conditions given in the request header fields evaluated to false when "
            "tested on the server."
        ),
        zh=(
            "请求头字段中给出的一个或多个先决条件在服务器上求值为假。"
            "客户端借此可以对资源的当前状态设置先决条件，"
            "避免请求方法被应用到处于非预期状态的资源上。"
        ),
    ),
    _c(
        413,
        "Content Too Large",
        "RFC 9110 §15.5.14",
        recommended=("Retry-After",),
        en=(
            "The request content is larger than the server is willing or able to process. If the "
            "condition is temporary, the server should send Retry-After."
        ),
        zh=(
            "请求内容的大小超过了服务器愿意或能够处理的范围，服务器拒绝处理该请求。"
            "服务器可以在协议版本允许时终止该请求，否则可以关闭连接。如果这种状况是暂时的，"
            "服务器应当发送 Retry-After 头，表明这是暂时情况以及客户端可以在多长时间后重试。"
        ),
    ),
    _c(
        414,
        "URI Too Long",
        "RFC 9110 §15.5.15",
        en=(
            "The target URI is longer than the server is willing to interpret. Heuristically "
            "cacheable."
        ),
        zh=(
            "请求的目标 URI 长度超过了服务器愿意解释的长度，因此服务器拒绝处理该请求。"
            "这种情况很少见，通常发生在：本应使用 POST 方法的表单提交变成了 GET 方法，"
            "导致查询字符串过长；客户端陷入了重定向“黑洞”，"
            "例如每次重定向都把旧的 URI 作为新 URI 的一部分；"
            "或者客户端正试图利用某些服务器的安全漏洞发动攻击。此响应默认可被启发式缓存。"
        ),
    ),
    _c(
        415,
        "Unsupported Media Type",
        "RFC 9110 §15.5.16",
        en=(
            "The origin server refuses the request because the content is in a format (media type "
            "or content coding) that this method does not support on the target resource."
        ),
        zh=(
            "对于当前请求的方法和目标资源，请求内容的格式不受支持，因此源服务器拒绝处理该请求。"
            "问题可能出在请求的 Content-Type 或 Content-Encoding，也可能是直接检查数据的结果。"
            "如果原因是不支持的内容编码，应当用 Accept-Encoding 响应头指明可以接受的编码；"
            "如果是不支持的媒体类型，可以用 Accept 响应头指明可以接受的媒体类型。"
        ),
    ),
    _c(
        416,
        "Range Not Satisfiable",
        "RFC 9110 §15.5.17",
        recommended=("Content-Range",),
        en=(
            "None of the requested ranges can be satisfied: they all miss the current extent of "
            "the representation, or were rejected as invalid, too many or overlapping. For byte "
            "ranges the server should send Content-Range: bytes */length."
        ),
        zh=(
            "请求的 Range 头中的范围都无法满足：所有范围都与所选表示的当前范围不重合，"
            "或者所请求的范围无效、过多、过小或相互重叠而被拒绝。对于字节范围，"
            "这意味着所有范围的首字节位置都不小于所选表示的当前长度。"
            "服务器应当在 416 响应中发送 Content-Range 头，"
            "以 bytes */长度 的形式指明所选表示的当前长度。"
        ),
    ),
    _c(
        417,
        "Expectation Failed",
        "RFC 9110 §15.5.18",
        en=(
            "The expectation in the request's Expect header field could not be met by at least "
            "one of the inbound servers."
        ),
        zh=(
            "请求的 Expect 头中给出的期望无法被服务器满足；或者这个服务器是一个代理服务器，"
            "它有明确的证据表明下一跳的入站服务器无法满足该期望。"
        ),
    ),
    _c(
        418,
        "(Unused)",
        "RFC 9110 §15.5.19",
        registry=Registry.UNUSED,
        en=(
            "Reserved: RFC 2324's joke 'I'm a teapot' has been deployed often enough that the "
            "code cannot be assigned to anything else for now."
        ),
        zh=(
            "IANA 注册表中保留的状态码。它源于 RFC 2324（一份愚人节 RFC）"
            "中玩笑式定义的“I'm a teapot”，由于作为玩笑被部署得太多，"
            "该代码目前无法再分配给其他用途。"
        ),
    ),
    _c(
        421,
        "Misdirected Request",
        "RFC 9110 §15.5.20",
        en=(
            "The request was directed at a server that cannot or will not produce an "
            "authoritative response for the target URI (for example over a reused HTTP/2 "
            "connection); the client may retry on a different connection."
        ),
        zh=(
            "请求被错误地路由（误导）到了一个无法或不愿为目标 URI 生成权威响应的服务器上，"
            "例如目标 URI 与服务器配置的源不符，"
            "或与接收请求的连接上下文不符（如 HTTP/2 连接复用时）。"
            "客户端可以通过另一个连接重试该请求，无论请求方法是否幂等。代理不得生成 421 响应。"
            "此响应与具体连接相关，不可被启发式缓存。"
        ),
    ),
    _c(
        422,
        "Unprocessable Content",
        "RFC 9110 §15.5.21",
        en=(
            "The server understands the content type and the syntax of the request content is "
            "correct, but it cannot process the contained instructions."
        ),
        zh=(
            "服务器理解请求内容的媒体类型，请求内容的语法也正确，但由于含有语义错误，"
            "无法处理其中包含的指令，例如格式良好的 XML 请求内容中含有语义上错误的指令。"
            "此状态码最初由 WebDAV（RFC 4918）以“Unprocessable Entity”的名称定义，"
            "现由 RFC 9110 定义。"
        ),
    ),
    _c(
        423,
        "Locked",
        "RFC 4918 §11.3",
        en="WebDAV: the source or destination resource of the method is locked.",
        zh=(
            "由 WebDAV（RFC 4918）定义，表示请求方法的源资源或目标资源已被锁定。"
            "响应应当包含适当的前置条件或后置条件代码，"
            "例如 lock-token-submitted 或 no-conflicting-lock。"
        ),
    ),
    _c(
        424,
        "Failed Dependency",
        "RFC 4918 §11.4",
        en=(
            "WebDAV: the method could not be performed because it depended on another action that "
            "failed."
        ),
        zh=(
            "由 WebDAV（RFC 4918）定义，表示无法对资源执行该方法，因为请求的操作依赖于另一个操作，"
            "而那个操作失败了。例如 PROPPATCH 中的某条指令失败时，其余指令也都会以 424 失败。"
        ),
    ),
    _c(
        425,
        "Too Early",
        "RFC 8470 §5.2",
        en=(
            "The server is unwilling to risk processing a request that might be replayed, such as "
            "one sent in TLS early data; the client should retry, but not in early data."
        ),
        zh=(
            "服务器不愿冒险处理一个可能被重放的请求，例如通过 TLS 1.3 早期数据（0-RTT）发送、"
            "可能遭受重放攻击的请求（RFC 8470）。用户代理收到 425 后应当自动重试，"
            "但重试的请求不得再以早期数据发送。此响应默认不可缓存。"
        ),
    ),
    _c(
        426,
        "Upgrade Required",
        "RFC 9110 §15.5.22",
        required=("Upgrade",),
        en=(
            "The server refuses the request with the current protocol but might accept it after "
            "the client upgrades; it must send Upgrade naming the required protocol(s)."
        ),
        zh=(
            "服务器拒绝使用当前协议处理该请求，但在客户端升级到其他协议后可能愿意处理。"
            "服务器必须在 426 响应中发送 Upgrade 头，"
            "按优先级从高到低列出所需的协议（在 HTTP/1.1 中还必须在 Connection 头中加入 upgrade 选"
            "项）。此状态码适用于任何协议的升级，而不只是 TLS。"
        ),
    ),
    _c(
        428,
        "Precondition Required",
        "RFC 6585 §3",
        en=(
            "The origin server requires the request to be conditional, typically to prevent lost "
            "updates. Must not be stored by a cache."
        ),
        zh=(
            "源服务器要求请求必须带有条件（RFC 6585），通常用于避免“丢失更新”问题："
            "客户端获取资源状态并修改后用 PUT 写回，而此时第三方已经修改了该资源。"
            "要求请求带有条件（如 If-Match），服务器就能确保客户端使用的是正确的副本。"
            "响应应当说明如何成功地重新提交请求。此响应不得被缓存存储。"
        ),
    ),
    _c(
        429,
        "Too Many Requests",
        "RFC 6585 §4",
        en=(
            "The client has sent too many requests in a given amount of time (rate limiting); the "
            "server may send Retry-After. Must not be stored by a cache."
        ),
        zh=(
            "用户在给定的时间内发送了太多请求（“限速”，RFC 6585）。响应的表示应当说明具体情况，"
            "并且可以包含 Retry-After 头，指明客户端需要等待多久才能发送新的请求。"
            "此响应不得被缓存存储。"
        ),
    ),
    _c(
        431,
        "Request Header Fields Too Large",
        "RFC 6585 §5",
        en=(
            "The server will not process the request because its header fields, one of them or "
            "all together, are too large. Must not be stored by a cache."
        ),
        zh=(
            "服务器不愿处理该请求，因为请求的头字段过大：可能是单个头字段过大，"
            "也可能是所有头字段总体过大（RFC 6585）。响应的表示应当指明哪个头字段过大。"
            "客户端可以在减小请求头字段后重新提交请求。此响应不得被缓存存储。"
        ),
    ),
    _c(
        449,
        "Retry With",
        "Microsoft",
        registry=Registry.NON_STANDARD,
        en=(
            "Non-standard Microsoft extension (IIS, Exchange ActiveSync), not in the IANA "
            "registry: retry the request after performing the appropriate action. Generic clients "
            "treat it as 400."
        ),
        zh=(
            "由微软扩展的非标准状态码（见于 IIS、Exchange ActiveSync，未在 IANA 登记），"
            "代表请求应当在执行完适当的操作后进行重试。通用客户端会把它当作 400 处理。"
        ),
    ),
    _c(
        451,
        "Unavailable For Legal Reasons",
        "RFC 7725 §3",
        recommended=("Link",),
        en=(
            "The server denies access to the resource as a consequence of a legal demand; it "
            "should explain the demand and identify the blocking entity with a Link header field "
            "with rel=blocked-by. Heuristically cacheable."
        ),
        zh=(
            "服务器因法律要求（例如政府审查或法院禁令）而拒绝访问该资源（RFC 7725）。"
            "响应内容应当说明法律要求的细节：提出要求的一方、适用的法律或法规，"
            "以及适用于哪些人和哪些资源。响应应当包含 Link 头，指明实施封锁的实体，"
            "其 rel 参数必须为“blocked-by”。此响应默认可被启发式缓存。"
        ),
    ),
    # 5xx Server Error: RFC 9110 §15.6. The content should explain the error (except for HEAD).
    _c(
        500,
        "Internal Server Error",
        "RFC 9110 §15.6.1",
        en=(
            "The server encountered an unexpected condition that prevented it from fulfilling the "
            "request."
        ),
        zh=(
            "服务器遇到了一个未曾预料的状况，导致它无法完成对请求的处理。一般来说，"
            "这个问题都会在服务器端的程序代码出错时出现。"
        ),
    ),
    _c(
        501,
        "Not Implemented",
        "RFC 9110 §15.6.2",
        en=(
            "The server does not support the functionality required to fulfill the request, e.g. "
            "a method it does not recognize. Heuristically cacheable."
        ),
        zh=(
            "服务器不支持完成当前请求所需的某个功能。当服务器无法识别请求的方法，"
            "并且无法对任何资源支持该方法时，这是合适的响应。此响应默认可被启发式缓存。"
        ),
    ),
    _c(
        502,
        "Bad Gateway",
        "RFC 9110 §15.6.3",
        en=(
            "The server, acting as a gateway or proxy, received an invalid response from an "
            "inbound server it accessed."
        ),
        zh="作为网关或者代理工作的服务器尝试完成请求时，从它所访问的入站服务器接收到无效的响应。",
    ),
    _c(
        503,
        "Service Unavailable",
        "RFC 9110 §15.6.4",
        en=(
            "The server is currently unable to handle the request because of a temporary overload "
            "or scheduled maintenance; it may send Retry-After."
        ),
        zh=(
            "由于临时过载或计划中的维护，服务器当前无法处理请求，"
            "这种状况很可能在一段时间以后得到缓解。服务器可以在响应中发送 Retry-After 头，"
            "建议客户端在重试之前等待的时间。注意：503 并不意味着服务器在过载时必须使用它，"
            "有些服务器会直接拒绝连接。"
        ),
    ),
    _c(
        504,
        "Gateway Timeout",
        "RFC 9110 §15.6.5",
        en=(
            "The server, acting as a gateway or proxy, did not receive a timely response from an "
            "upstream server it needed to complete the request."
        ),
        zh=(
            "作为网关或者代理工作的服务器尝试完成请求时，"
            "未能及时从所需访问的上游服务器（例如 HTTP 服务器，或 DNS 等辅助服务器）收到响应。"
            "注意：某些代理服务器在 DNS 查询超时时会返回 400 或 500 错误。"
        ),
    ),
    _c(
        505,
        "HTTP Version Not Supported",
        "RFC 9110 §15.6.6",
        en=(
            "The server does not support, or refuses to support, the major version of HTTP used "
            "in the request; it should say why and which protocols it supports."
        ),
        zh=(
            "服务器不支持，或者拒绝支持请求中所使用的 HTTP 主版本。"
            "服务器应当在响应内容中说明为何不支持该版本，以及服务器支持哪些协议。"
        ),
    ),
    _c(
        506,
        "Variant Also Negotiates",
        "RFC 2295 §8.1",
        en=(
            "Transparent content negotiation: the chosen variant is itself configured to "
            "negotiate, so it is not a proper end point (a server configuration error)."
        ),
        zh=(
            "由透明内容协商协议（RFC 2295）扩展，表示服务器存在内部配置错误："
            "被选中的变体资源本身也被配置为参与透明内容协商，因此它不是协商过程中的合适终点。"
        ),
    ),
    _c(
        507,
        "Insufficient Storage",
        "RFC 4918 §11.5",
        en=(
            "WebDAV: the server is unable to store the representation needed to complete the "
            "request; the condition is considered temporary."
        ),
        zh=(
            "由 WebDAV（RFC 4918）定义，表示服务器无法存储完成请求所必需的表示，"
            "因而无法对资源执行该方法。这种状况被认为是临时的。"
        ),
    ),
    _c(
        508,
        "Loop Detected",
        "RFC 5842 §7.2",
        en=(
            "WebDAV bindings: the server terminated an operation with Depth: infinity because it "
            "encountered an infinite loop; the whole operation failed."
        ),
        zh=(
            "由 WebDAV 绑定扩展（RFC 5842）定义，"
            "表示服务器在处理 Depth: infinity 的请求时遇到了无限循环而终止了操作，"
            "整个操作都已失败。"
        ),
    ),
    _c(
        509,
        "Bandwidth Limit Exceeded",
        "Apache/cPanel",
        registry=Registry.NON_STANDARD,
        en=(
            "Non-standard code used by Apache/cPanel bandwidth modules when a site exceeds its "
            "bandwidth limit. Not in the IANA registry, so generic clients treat it as 500."
        ),
        zh=(
            "服务器达到带宽限制。这不是一个官方的状态码（IANA 未分配 509），"
            "而是 Apache/cPanel 带宽模块的扩展，但仍被广泛使用；通用客户端会把它当作 500 处理。"
        ),
    ),
    _c(
        510,
        "Not Extended (OBSOLETED)",
        "RFC 2774 §7",
        registry=Registry.OBSOLETED,
        en=(
            "The policy for accessing the resource (HTTP Extension Framework) was not met. "
            "RFC 2774 is now Historic and IANA marks the code obsoleted."
        ),
        zh=(
            "获取资源所需的策略（HTTP 扩展框架，RFC 2774）在请求中没有被满足，"
            "服务器应当返回客户端发出扩展请求所需的全部信息。RFC 2774 已被改为历史（Historic）"
            "状态，IANA 将此状态码标记为已废弃（OBSOLETED），不应再使用。"
        ),
    ),
    _c(
        511,
        "Network Authentication Required",
        "RFC 6585 §6",
        en=(
            "The client needs to authenticate to gain network access. Meant for intercepting "
            "proxies (captive portals), not origin servers; must not be stored by a cache."
        ),
        zh=(
            "客户端需要进行身份验证才能获得网络访问权限（RFC 6585）。"
            "它供控制网络访问的拦截代理（如强制门户，captive portal）使用，"
            "源服务器不应生成此状态码。响应的表示应当包含一个链接，"
            "指向可供用户提交凭据的资源（例如一个 HTML 表单），但不应包含质询或登录界面本身。"
            "此响应不得被缓存存储。"
        ),
    ),
)

_TABLE: dict[int, StatusCode] = {record.code: record for record in _RECORDS}

CODES: Mapping[int, StatusCode] = types.MappingProxyType(_TABLE)
"""Every known status code, in ascending order. Read-only."""


def lookup(code: int) -> StatusCode:
    """The record for ``code``, for any int.

    A code of the table returns its record. Any other code in 100..599 returns a record modelled
    on the x00 of its class, as RFC 9110 §15 tells clients to treat it: content is allowed except
    for 1xx (a new code cannot forbid content, RFC 9110 §16.2.2), no header rules, not
    heuristically cacheable. Anything outside 100..599 returns an ``INVALID`` record with class 0.
    """
    if type(code) is not int and (isinstance(code, bool) or not isinstance(code, int)):
        raise TypeError(f"a status code is an int, not {type(code).__name__}: {code!r}")
    record = _TABLE.get(code)
    if record is not None:
        return record
    return _synthesize(int(code))


@functools.lru_cache(maxsize=256)
def _synthesize(code: int) -> StatusCode:
    if not 100 <= code <= 599:
        return StatusCode(
            code=code,
            phrase="",
            status_class=0,
            registry=Registry.INVALID,
            document="RFC 9110",
            section="15",
            content_forbidden=False,
            required_headers=(),
            recommended_headers=(),
            heuristically_cacheable=False,
            description_en=(
                f"{code} is not a valid HTTP status code: status codes are three-digit integers "
                "from 100 to 599 (RFC 9110 §15). A client treats a response with an invalid "
                "status code as a 5xx (Server Error)."
            ),
            description_zh=(
                f"{code} 不是有效的 HTTP 状态码：状态码是 100 到 599 之间的三位整数"
                "（RFC 9110 第 15 节）。客户端会把带有无效状态码的响应当作 5xx（服务器错误）处理。"
            ),
            registered=False,
        )
    base = _TABLE[code // 100 * 100]
    return dataclasses.replace(
        base,
        code=code,
        phrase="",
        registry=Registry.UNREGISTERED,
        section="15",
        content_forbidden=code < 200,
        required_headers=(),
        recommended_headers=(),
        heuristically_cacheable=False,
        description_en=(
            f"{code} is an unregistered status code, treated as {base.code} ({base.phrase}), "
            "the x00 code of its class (RFC 9110 §15)."
        ),
        description_zh=(
            f"{code} 是未登记的状态码，按其所属类别的 x00 状态码 {base.code}（{base.phrase}）"
            "处理（RFC 9110 第 15 节）。"
        ),
        registered=False,
    )
