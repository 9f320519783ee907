"""Audit finding 2: an Office document that is a zip bomb is refused before any of it is
decompressed into memory, by what its directory declares and by what it really holds."""

import pytest
from django.core.exceptions import ValidationError

from communes import uploads
from tests.communes.conftest import ooxml_bytes, upload
from tests.hostile_files import zip_declaring, zip_expanding

DOCX_PARTS = [("word/document.xml", "<document/>"), ("_rels/.rels", "<Relationships/>")]


def test_a_docx_whose_content_types_expand_to_70_mb_is_refused():
    bomb = zip_expanding("[Content_Types].xml", 70 << 20, others=DOCX_PARTS)
    assert len(bomb) < 200_000
    with pytest.raises(ValidationError) as refused:
        uploads.check_upload(upload("bao-cao.docx", bomb, "application/octet-stream"))
    assert refused.value.code == "bad_type"


def test_a_docx_declaring_a_gigabyte_part_is_refused_without_reading_it():
    liar = zip_declaring(ooxml_bytes(), "[Content_Types].xml", 1 << 30)
    with pytest.raises(ValidationError):
        uploads.check_upload(upload("bao-cao.docx", liar, "application/octet-stream"))


def test_an_ordinary_docx_is_still_accepted():
    checked = uploads.check_upload(
        upload("bao-cao.docx", ooxml_bytes(), "application/octet-stream")
    )
    assert checked.extension == "docx"


@pytest.mark.django_db
def test_more_than_25_mb_in_one_upload_is_refused_with_a_message(
    client_for, commune_staff, evidence_criterion
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import DOI_NGO

    pdf = b"%PDF-1.4\n" + b"0" * (9 << 20)
    files = [SimpleUploadedFile(f"ho-so-{n}.pdf", pdf, "application/pdf") for n in range(3)]
    response = client_for(commune_staff).post(
        f"/communes/{DOI_NGO}/checklist/2025/{evidence_criterion.code}/",
        {"version": 0, "note": "Ba tệp lớn", "files": files},
    )
    assert response.status_code == 400
    assert "Các tệp chọn một lần nặng tối đa" in response.content.decode()
    assert "Ba tệp lớn" in response.content.decode()  # what was typed is kept
