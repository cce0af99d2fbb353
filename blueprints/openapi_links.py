"""OpenAPI links: how the answer of one operation feeds the next, in one table.

A link says "the ``id`` in this answer is the ``claim_id`` of that operation". Clients and
generators read them; schemathesis's stateful phase follows them to build real sequences (bind a
coverage, file a claim on it, upload a document to the claim, ...), so the fuzzer reaches the
paths behind an id instead of only ever meeting 404s. An apispec plugin adds the links to each
source operation's success answer as the document is built; a link naming an operation that is
not in the document (yet) is left out.
"""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin

PREFIX = "/api/v1"

COVERAGE = f"{PREFIX}/coverages/{{coverage_id}}"
CLAIM = f"{PREFIX}/claims/{{claim_id}}"
DOCUMENT = f"{CLAIM}/documents/{{document_id}}"
INQUIRY = f"{PREFIX}/inquiries/{{inquiry_id}}"
ENDPOINT = f"{PREFIX}/webhook-endpoints/{{endpoint_id}}"
UNDERWRITER = f"{PREFIX}/underwriters/{{underwriter_id}}"

#: (method, path) of each operation that acts on a coverage, a claim, ... by its id.
ON_COVERAGE = [
    ("get", COVERAGE),
    ("patch", COVERAGE),
    ("post", f"{COVERAGE}/void"),
    ("get", f"{COVERAGE}/certificate.pdf"),
]
ON_CLAIM = [
    ("get", CLAIM),
    ("post", f"{CLAIM}/documents"),
    ("post", f"{CLAIM}/documents/upload-url"),
    ("post", f"{CLAIM}/documents/uploaded"),
    ("get", f"{CLAIM}/evidence-pack"),
    ("post", f"{CLAIM}/submit"),
    ("post", f"{CLAIM}/request-documents"),
    ("post", f"{CLAIM}/approve"),
    ("post", f"{CLAIM}/deny"),
    ("post", f"{CLAIM}/withdraw"),
    ("post", f"{CLAIM}/insurer-filing"),
    ("post", f"{CLAIM}/insurer-acceptance"),
    ("post", f"{CLAIM}/insurer-settlement"),
    ("post", f"{CLAIM}/insurer-rejection"),
    ("post", f"{CLAIM}/carrier-recovery"),
    ("post", f"{CLAIM}/messages"),
    ("get", f"{CLAIM}/messages"),
    ("post", f"{CLAIM}/appeal"),
    ("post", f"{CLAIM}/parcel-found"),
]
ON_DOCUMENT = [("get", DOCUMENT), ("post", f"{DOCUMENT}/reject")]
ON_INQUIRY = [
    ("get", INQUIRY),
    ("post", f"{INQUIRY}/carrier-response"),
    ("post", f"{INQUIRY}/letters"),
]
ON_ENDPOINT = [("post", f"{ENDPOINT}/disable"), ("get", f"{ENDPOINT}/deliveries")]
ON_UNDERWRITER = [("get", UNDERWRITER), ("patch", UNDERWRITER)]


def _by_id(targets: list[tuple[str, str]], parameter: str, pointer: str) -> list[dict[str, Any]]:
    return [
        {"method": method, "path": path, "parameters": {parameter: f"$response.body#{pointer}"}}
        for method, path in targets
    ]


#: (method, path, status) of a source operation → the operations its answer leads to.
LINKS: dict[tuple[str, str, str], list[dict[str, Any]]] = {
    ("post", f"{PREFIX}/quotes", "200"): [
        {
            "method": "post",
            "path": f"{PREFIX}/coverages",
            "requestBody": {"quote_token": "$response.body#/quotes/0/quote_token"},
        }
    ],
    ("post", f"{PREFIX}/coverages", "201"): [
        *_by_id(ON_COVERAGE, "coverage_id", "/id"),
        *_by_id(
            [("get", f"{PREFIX}/certificates/{{certificate_number}}")],
            "certificate_number",
            "/certificate_number",
        ),
        {
            "method": "post",
            "path": f"{PREFIX}/claims",
            "requestBody": {"coverage_id": "$response.body#/id"},
        },
    ],
    ("get", f"{PREFIX}/coverages", "200"): _by_id(ON_COVERAGE, "coverage_id", "/items/0/id"),
    ("post", f"{PREFIX}/claims", "201"): [
        *_by_id(ON_CLAIM, "claim_id", "/id"),
        *_by_id(ON_COVERAGE, "coverage_id", "/coverage_id"),
    ],
    ("get", f"{PREFIX}/claims", "200"): _by_id(ON_CLAIM, "claim_id", "/items/0/id"),
    ("post", f"{CLAIM}/documents", "201"): _by_id(ON_DOCUMENT, "document_id", "/id"),
    ("post", f"{CLAIM}/documents/uploaded", "201"): _by_id(ON_DOCUMENT, "document_id", "/id"),
    ("get", f"{PREFIX}/inquiries", "200"): _by_id(ON_INQUIRY, "inquiry_id", "/items/0/id"),
    ("post", f"{INQUIRY}/letters", "201"): _by_id(
        [("get", f"{INQUIRY}/letters/{{letter_id}}")], "letter_id", "/id"
    ),
    ("get", f"{PREFIX}/recovery-tasks", "200"): _by_id(
        [("post", f"{PREFIX}/recovery-tasks/{{task_id}}/close")], "task_id", "/items/0/id"
    ),
    ("post", f"{PREFIX}/webhook-endpoints", "201"): _by_id(ON_ENDPOINT, "endpoint_id", "/id"),
    ("get", f"{PREFIX}/webhook-endpoints", "200"): _by_id(
        ON_ENDPOINT, "endpoint_id", "/items/0/id"
    ),
    ("post", f"{PREFIX}/underwriters", "201"): _by_id(ON_UNDERWRITER, "underwriter_id", "/id"),
    ("get", f"{PREFIX}/underwriters", "200"): _by_id(
        ON_UNDERWRITER, "underwriter_id", "/items/0/id"
    ),
}


def operation_ref(method: str, path: str) -> str:
    """A JSON pointer to an operation of this document (``~1`` escapes each ``/``)."""
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def _link_name(method: str, path: str) -> str:
    """``post /claims/{claim_id}/submit`` → ``postClaimSubmit``; ``get /claims/{claim_id}`` →
    ``getClaim``: a segment followed by an id names one thing."""
    segments = path.removeprefix(PREFIX).split("/")[1:]
    words = []
    for i, segment in enumerate(segments):
        if segment.startswith("{"):
            continue
        one = i + 1 < len(segments) and segments[i + 1].startswith("{")
        word = segment.removesuffix("s") if one else segment
        words.append(word.replace(".", "-").title().replace("-", ""))
    return method.lower() + "".join(words)


class OperationLinks(BasePlugin):
    """Adds the links of ``LINKS`` to the documented success answers (``resolve`` once the
    document is complete: a link may only name an operation that exists)."""

    def __init__(self, links: dict[tuple[str, str, str], list[dict[str, Any]]] = LINKS) -> None:
        self.links = links
        self.pending: list[tuple[dict[str, Any], dict[str, Any]]] = []

    def init_spec(self, spec: Any) -> None:
        super().init_spec(spec)
        self.spec = spec

    def operation_helper(
        self, path: str | None = None, operations: dict | None = None, **kwargs: Any
    ) -> None:
        for method, operation in (operations or {}).items():
            for status, response in operation.get("responses", {}).items():
                targets = self.links.get((method, path or "", str(status)))
                if targets and isinstance(response, dict):
                    links = response.setdefault("links", {})
                    self.pending.append((links, {str(i): t for i, t in enumerate(targets)}))

    def resolve(self) -> None:
        """Fill each answer's links with the targets the finished document holds; call once
        every blueprint is registered."""
        paths = self.spec.to_dict()["paths"]
        for links, targets in self.pending:
            for target in targets.values():
                if target["method"] not in paths.get(target["path"], {}):
                    continue
                link: dict[str, Any] = {
                    "operationRef": operation_ref(target["method"], target["path"])
                }
                for key in ("parameters", "requestBody"):
                    if key in target:
                        link[key] = target[key]
                links[_link_name(target["method"], target["path"])] = link
        self.pending.clear()
