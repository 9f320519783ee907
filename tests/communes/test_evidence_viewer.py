"""The evidence viewer: photos and PDFs open inline, checked by their bytes, in a locked-down
document; everything else is downloaded; HTML and SVG are never shown."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from communes import services, uploads
from communes.models import Criterion, EvidenceFile
from tests.communes.conftest import EVIDENCE_CODE, image_bytes, ole_bytes, ooxml_bytes, pdf_bytes
from tests.communes.conftest import upload as make_upload

YEAR = 2025


@pytest.fixture
def stored(doi_ngo, commune_staff, recompute, settings, tmp_path):
    """Store ``data`` as Đồi Ngô's evidence file through the service; returns the file."""
    settings.MEDIA_ROOT = str(tmp_path)
    criterion = Criterion.objects.get(code=EVIDENCE_CODE)
    version = {"n": 0}

    def store(name, data, content_type):
        checked = uploads.check_upload(make_upload(name, data, content_type))
        evidence = services.evidence_save(
            commune=doi_ngo,
            criterion=criterion,
            year=YEAR,
            by=commune_staff,
            version=version["n"],
            note="",
            files=[checked],
        ).evidence
        version["n"] = evidence.version
        return evidence.files.order_by("-pk").first()

    return store


def view(client, evidence_file):
    return client.get(reverse("evidence_file_view", args=[evidence_file.pk]))


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")],
)
def test_a_photo_opens_inline_with_its_checked_type_and_a_sandboxing_policy(
    client_for, district_official, stored, fmt, content_type
):
    evidence_file = stored(f"anh.{fmt.lower()}", image_bytes(fmt), content_type)

    response = view(client_for(district_official), evidence_file)

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert b"".join(response.streaming_content)[:4] == image_bytes(fmt)[:4]


def test_a_pdf_opens_inline_in_the_same_locked_down_document(client_for, district_official, stored):
    evidence_file = stored("bao-cao.pdf", pdf_bytes(), "application/pdf")
    response = view(client_for(district_official), evidence_file)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("bien-ban.docx", ooxml_bytes(), "application/octet-stream"),
        ("bang.xls", ole_bytes("Workbook"), "application/vnd.ms-excel"),
    ],
)
def test_an_office_document_is_downloaded_not_shown(
    client_for, district_official, stored, name, data, content_type
):
    evidence_file = stored(name, data, content_type)
    response = view(client_for(district_official), evidence_file)
    assert response.status_code == 302
    assert response["Location"] == reverse("evidence_file", args=[evidence_file.pk])
    download = client_for(district_official).get(response["Location"])
    assert download["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize(
    "data",
    [
        b"<!doctype html><script>alert(1)</script>",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    ],
)
def test_a_file_whose_bytes_are_html_or_svg_is_never_shown_inline_whatever_its_record_says(
    client_for, district_official, stored, data
):
    evidence_file = stored("anh.png", image_bytes(), "image/png")
    # The stored bytes replaced behind the portal's back (a restored backup, a disk edit).
    name = evidence_file.file.name
    default_storage.delete(name)
    default_storage.save(name, ContentFile(data))

    response = view(client_for(district_official), evidence_file)

    assert response.status_code == 302
    assert response["Location"] == reverse("evidence_file", args=[evidence_file.pk])


def test_outsiders_cannot_view_a_file(client_for, other_district_official, leloi_staff, stored):
    evidence_file = stored("anh.png", image_bytes(), "image/png")
    assert view(client_for(other_district_official), evidence_file).status_code == 403
    assert view(client_for(leloi_staff), evidence_file).status_code == 403
    assert (
        client_for(None).get(reverse("evidence_file_view", args=[evidence_file.pk])).status_code
        == 302
    )


def test_the_viewer_answers_only_get(client_for, district_official, stored):
    evidence_file = stored("anh.png", image_bytes(), "image/png")
    url = reverse("evidence_file_view", args=[evidence_file.pk])
    assert client_for(district_official).post(url).status_code == 405


def test_the_review_page_shows_photos_and_frames_pdfs_in_its_viewer(
    client_for, district_official, stored, doi_ngo
):
    photo = stored("anh.png", image_bytes(), "image/png")
    pdf = stored("bao-cao.pdf", pdf_bytes(), "application/pdf")
    document = stored("bien-ban.docx", ooxml_bytes(), "application/octet-stream")
    page = client_for(district_official).get(
        reverse("evidence_detail", args=[doi_ngo.code, YEAR, EVIDENCE_CODE])
    )
    html = page.content.decode()
    url = lambda f: reverse("evidence_file_view", args=[f.pk])  # noqa: E731
    assert f'<img class="img-fluid border evidence-full" src="{url(photo)}"' in html
    assert f'<iframe class="evidence-viewer" src="{url(pdf)}"' in html
    assert url(document) not in html  # a Word file is only downloaded
    assert EvidenceFile.objects.count() == 3
