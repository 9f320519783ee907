"""Evidence files are accepted for what their bytes are, and stored under safe names."""

import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.test import override_settings
from PIL import Image

from communes import uploads
from tests.communes.conftest import image_bytes, ole_bytes, ooxml_bytes, pdf_bytes, upload


def xlsx_bytes() -> bytes:
    book = openpyxl.Workbook()
    book.active["A1"] = "Tỷ lệ đúng hạn"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "content_type", "extension"),
    [
        ("anh.png", image_bytes("PNG"), "image/png", "png"),
        ("anh.jpg", image_bytes("JPEG"), "image/jpeg", "jpg"),
        ("anh.webp", image_bytes("WEBP"), "image/webp", "webp"),
        ("bao-cao.pdf", pdf_bytes(), "application/pdf", "pdf"),
        (
            "quy-tac.docx",
            ooxml_bytes("word/document.xml"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "docx",
        ),
        (
            "so-lieu.xlsx",
            xlsx_bytes(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        (
            "hoi-nghi.pptx",
            ooxml_bytes("ppt/presentation.xml"),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "pptx",
        ),
        ("cu.doc", ole_bytes("WordDocument"), "application/msword", "doc"),
        ("cu.xls", ole_bytes("Workbook"), "application/vnd.ms-excel", "xls"),
        ("cu.ppt", ole_bytes("PowerPoint Document"), "application/vnd.ms-powerpoint", "ppt"),
    ],
)
def test_photos_pdfs_and_office_documents_are_recognised_by_content(
    name, data, content_type, extension
):
    checked = uploads.check_upload(upload(name, data, "application/octet-stream"))
    assert (checked.content_type, checked.extension) == (content_type, extension)


def test_the_name_and_the_claimed_type_do_not_decide_the_type():
    checked = uploads.check_upload(upload("bao-cao.pdf", image_bytes("PNG"), "application/pdf"))
    assert checked.content_type == "image/png"
    assert uploads.download_name(checked.name, checked.extension) == "bao-cao.png"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("trang.html", b"<!doctype html><html><script>alert(1)</script></html>"),
        ("anh.png", b"<html><body onload=alert(1)></body></html>"),
        ("chay.sh", b"#!/bin/sh\nrm -rf /\n"),
        ("setup.exe", b"MZ\x90\x00\x03" + b"\x00" * 200),
        ("anh.gif", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9"),
        ("nen.zip", ooxml_bytes(main_part=None)),
        ("khong-co-types.docx", b"PK\x03\x04" + b"\x00" * 100),
        (
            "macro.docm",
            ooxml_bytes(
                "word/document.xml",
                content_types='<Types><Default ContentType="application/'
                'vnd.ms-word.document.macroEnabled.main+xml"/></Types>',
                extra=["word/vbaProject.bin"],
            ),
        ),
        ("cu-co-macro.doc", ole_bytes("WordDocument") + "_VBA_PROJECT".encode("utf-16-le")),
        ("cai-dat.msi", ole_bytes("SummaryInformation")),
        ("hong.png", image_bytes("PNG")[:40]),
    ],
)
def test_anything_else_is_refused_with_a_message_naming_the_file(name, data):
    with pytest.raises(ValidationError) as error:
        uploads.check_upload(upload(name, data, "image/png"))
    assert error.value.code == "bad_type"
    assert name in error.value.messages[0]


@override_settings(EVIDENCE_MAX_UPLOAD_MB=1)
def test_a_file_over_the_size_limit_is_refused_with_its_size_and_the_limit():
    big = upload("lon.pdf", b"%PDF-1.4\n" + b"0" * (1536 * 1024), "application/pdf")
    with pytest.raises(ValidationError) as error:
        uploads.check_upload(big)
    assert error.value.code == "too_big"
    assert "lon.pdf" in error.value.messages[0]
    message = error.value.messages[0].replace("\xa0", " ")
    assert "nặng 1,5 MB, vượt giới hạn 1,0 MB" in message


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError) as error:
        uploads.check_upload(upload("rong.pdf", b"", "application/pdf"))
    assert error.value.code == "empty"


def test_an_image_too_large_to_open_safely_is_refused():
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, format="PNG")  # 100 megapixels, tiny file
    with pytest.raises(ValidationError):
        uploads.check_upload(upload("bom.png", out.getvalue()))


def test_uploaded_names_lose_paths_and_control_characters():
    assert uploads.clean_name("../../etc/passwd") == "passwd"
    assert uploads.clean_name("C:\\Users\\x\\ảnh\x00 bảng.png") == "ảnh bảng.png"
    assert uploads.clean_name("") == "tep"


def test_files_are_stored_under_random_names_in_the_commune_and_year_folder():
    checked = uploads.check_upload(upload("Ảnh khẩu hiệu.png"))
    first, first_thumb = uploads.store(checked, commune_code="7444", year=2025)
    second, _ = uploads.store(checked, commune_code="7444", year=2025)
    assert first.startswith("evidence/7444/2025/") and first.endswith(".png")
    assert first != second
    assert "khẩu" not in first and "Ảnh" not in first
    assert default_storage.open(first).read() == checked.data
    assert first_thumb.startswith("evidence/7444/2025/") and first_thumb.endswith("_thumb.jpg")


def test_image_thumbnails_are_small_upright_jpegs():
    tall = image_bytes("PNG", size=(600, 1200))
    thumb = Image.open(io.BytesIO(uploads.make_thumbnail(tall)))
    assert thumb.format == "JPEG"
    assert max(thumb.size) <= 320
    assert thumb.size[1] > thumb.size[0]


def test_documents_get_no_thumbnail():
    checked = uploads.check_upload(upload("bao-cao.pdf", pdf_bytes(), "application/pdf"))
    _, thumbnail = uploads.store(checked, commune_code="7444", year=2025)
    assert thumbnail == ""
