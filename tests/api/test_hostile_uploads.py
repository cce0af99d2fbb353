"""Files that only look like documents: a valid header in front of something else, markup hidden
in an image, a decompression bomb. Each is refused (415 problem+json, nothing stored), whether it
comes as claim evidence, as a carrier's letter or straight into S3; and a real document is always
served under the extension of what it is, whatever name it was uploaded with.
"""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest

from forwarder_insure.domain.access import Role
from tests.api.test_claim_documents import file_claim, stored_files, upload
from tests.api.test_sweep_and_inquiries import inquiries, sweep
from tests.fixtures import files
from tests.fixtures.insurance import bound
from tests.integration import test_direct_uploads as direct
from tests.storage.test_s3_store import post_form

#: An app that stores documents in moto's S3 server on loopback.
s3_app = direct.s3_app

#: name -> (bytes, the name the uploader gives it, the problem code it earns)
HOSTILE = {
    "heic ftyp box then an ELF executable": (
        files.heic_ftyp_then_elf(),
        "IMG_0001.HEIC",
        "unreadable_document",
    ),
    "heic whose image data is an ELF executable": (
        files.heic_carrying_elf(),
        "IMG_0002.HEIC",
        "unreadable_document",
    ),
    "html between jpeg markers": (
        files.jpeg_markers_around(),
        "photo.jpg",
        "document_contains_markup",
    ),
    "text between jpeg markers": (
        files.jpeg_markers_around(b"not an image at all " * 20),
        "photo.jpg",
        "unreadable_document",
    ),
    "real jpeg carrying an html page": (
        files.jpeg_with_html_comment(),
        "photo.jpg",
        "document_contains_markup",
    ),
    "png signature then garbage": (
        files.png_signature_then_garbage(),
        "screenshot.png",
        "unreadable_document",
    ),
    "pdf header then garbage": (
        files.pdf_header_then_garbage(),
        "invoice.pdf",
        "unreadable_document",
    ),
    "decompression bomb png": (files.png_bomb(), "photo.png", "image_too_many_pixels"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_a_file_that_only_looks_like_a_document_is_refused_and_nothing_is_kept(
    app, as_role, underwriter, case
):
    data, name, code = HOSTILE[case]
    seller = as_role(Role.SELLER)
    claim = file_claim(seller, bound(seller, "HOSTILE-1")["id"])
    before = stored_files(app)
    response = upload(seller, claim["id"], "value_proof", data, name=name)
    assert response.status_code == 415, response.get_json()
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.get_json()["code"] == code
    assert stored_files(app) == before
    checklist = seller.get(f"/api/v1/claims/{claim['id']}").get_json()["checklist"]
    assert [c["kind"] for c in checklist if c["status"] != "missing"] == ["delivery_record"]


@pytest.mark.parametrize(
    "case", ["heic ftyp box then an ELF executable", "pdf header then garbage"]
)
def test_a_carrier_letter_that_only_looks_like_a_document_is_refused(
    app, clock, as_role, underwriter, case
):
    data, _name, code = HOSTILE[case]
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    bound(seller, "HOSTILE-2")
    sweep(app, clock, 14)
    [inquiry] = inquiries(handler)
    before = stored_files(app)
    refused = handler.post(
        f"/api/v1/inquiries/{inquiry['id']}/letters",
        data={"file": (io.BytesIO(data), "letter.pdf", "application/pdf")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 415
    assert refused.get_json()["code"] == code
    assert handler.get(f"/api/v1/inquiries/{inquiry['id']}").get_json()["letters"] == []
    assert stored_files(app) == before


@pytest.mark.parametrize(
    ("data", "declared", "label", "served"),
    [
        (files.pdf(), "invoice.html", "invoice.html", "invoice.pdf"),
        (files.image("JPEG"), "a.exe", "a.exe", "a.jpg"),
        (files.image("JPEG"), "photo.JPEG", "photo.JPEG", "photo.JPEG"),
        (files.image("PNG"), "scan", "scan", "scan.png"),
        (files.image("WEBP"), "scan.2026.pdf", "scan.2026.pdf", "scan.2026.webp"),
    ],
)
def test_a_document_downloads_under_the_extension_of_its_sniffed_type(
    as_role, underwriter, data, declared, label, served
):
    seller = as_role(Role.SELLER)
    claim = file_claim(seller, bound(seller, "NAMES-1")["id"])
    stored = upload(seller, claim["id"], "value_proof", data, name=declared)
    assert stored.status_code == 201, stored.get_json()
    assert stored.get_json()["filename"] == label  # the uploader's (sanitised) label is kept
    download = seller.get(f"/api/v1/claims/{claim['id']}/documents/{stored.get_json()['id']}")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == f"attachment; filename={served}"
    assert download.get_data() == data


def test_a_non_ascii_name_downloads_under_the_sniffed_extension_in_both_forms(as_role, underwriter):
    seller = as_role(Role.SELLER)
    claim = file_claim(seller, bound(seller, "NAMES-2")["id"])
    stored = upload(seller, claim["id"], "value_proof", files.pdf(), name="发票 11月.html")
    assert stored.status_code == 201, stored.get_json()
    download = seller.get(f"/api/v1/claims/{claim['id']}/documents/{stored.get_json()['id']}")
    disposition = download.headers["Content-Disposition"]
    assert 'filename=" 11.pdf"' in disposition
    assert f"filename*=UTF-8''{quote('发票 11月.pdf')}" in disposition


def test_a_carrier_letter_downloads_under_the_extension_of_its_sniffed_type(
    app, clock, as_role, underwriter
):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    bound(seller, "NAMES-3")
    sweep(app, clock, 14)
    [inquiry] = inquiries(handler)
    attached = handler.post(
        f"/api/v1/inquiries/{inquiry['id']}/letters",
        data={"file": (io.BytesIO(files.pdf()), "letter.htm", "text/html")},
        content_type="multipart/form-data",
    )
    assert attached.status_code == 201, attached.get_json()
    url = f"/api/v1/inquiries/{inquiry['id']}/letters/{attached.get_json()['id']}"
    download = handler.get(url)
    assert download.headers["Content-Disposition"] == "attachment; filename=letter.pdf"


@pytest.mark.parametrize(
    "case", ["heic whose image data is an ELF executable", "png signature then garbage"]
)
def test_a_direct_upload_that_only_looks_like_a_document_is_refused_and_removed(s3_app, case):
    data, _name, code = HOSTILE[case]
    seller = direct.client(s3_app, Role.SELLER)
    claim = file_claim(seller, bound(seller, "HOSTILE-3")["id"])
    form = direct.ask(seller, claim["id"], len(data)).get_json()
    assert post_form(form["url"], form["fields"], data) == 204
    refused = direct.complete(seller, claim["id"], form["upload_token"])
    assert refused.status_code == 415
    assert refused.get_json()["code"] == code
    assert direct.complete(seller, claim["id"], form["upload_token"]).status_code == 404
    claim_now = seller.get(f"/api/v1/claims/{claim['id']}").get_json()
    assert [d["kind"] for d in claim_now["documents"]] == ["delivery_record"]
