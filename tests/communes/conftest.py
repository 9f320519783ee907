"""Files and helpers for the checklist, evidence and committee tests."""

import io
import zipfile
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from communes.models import Criterion

# Default criteria (migration 0003): an evidence one, a measured one, the survey one.
EVIDENCE_CODE = "CSVC-01"
MEASURED_CODE = "TTHC-01"
SURVEY_CODE = "HL-01"
YEAR = 2025


def image_bytes(fmt="PNG", size=(40, 30), color=(200, 30, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


def pdf_bytes() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        b"trailer\n<< /Root 1 0 R >>\n%EOF\n"
    )


def ooxml_bytes(main_part="word/document.xml", content_types=None, extra=()) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            content_types
            or '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"></Types>',
        )
        archive.writestr("_rels/.rels", "<Relationships/>")
        if main_part:
            archive.writestr(main_part, "<document/>")
        for name in extra:
            archive.writestr(name, "x")
    return out.getvalue()


def ole_bytes(stream="WordDocument") -> bytes:
    """The header of a compound file with a directory naming ``stream`` (enough for us)."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    directory = "Root Entry".encode("utf-16-le") + b"\x00\x00" + b"\x00" * 50
    directory += stream.encode("utf-16-le") + b"\x00\x00" + b"\x00" * 50
    return header + directory + b"\x00" * 1024


def upload(name="anh.png", data=None, content_type="image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes() if data is None else data, content_type)


@pytest.fixture
def evidence_criterion(db):
    return Criterion.objects.get(code=EVIDENCE_CODE)


@pytest.fixture
def measured_criterion(db):
    return Criterion.objects.get(code=MEASURED_CODE)


@pytest.fixture
def survey_criterion(db):
    return Criterion.objects.get(code=SURVEY_CODE)


@pytest.fixture
def recompute():
    """The recompute hook of the targets app, replaced: tests of this app assert the call."""
    with (
        mock.patch("communes.services.evidence.recompute_later") as evidence_hook,
        mock.patch("communes.services.committees.recompute_later") as committee_hook,
    ):
        evidence_hook.committee_hook = committee_hook
        yield evidence_hook
