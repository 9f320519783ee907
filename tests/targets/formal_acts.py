"""Helpers of the recognition-decision and report tests: statuses written directly (the
rule itself is tested elsewhere) and decisions made through the services."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfReader

from communes.models import Commune
from targets import decisions
from targets.models import CertificationRule, CertificationStatus, Status, YearTarget
from tests.targets.dashboard_data import stamp_provinces

SCAN = b"%PDF-1.4\n% signed scan\n%%EOF\n"


def scan():
    return SimpleUploadedFile("qd-signed.pdf", SCAN, content_type="application/pdf")


def set_year(year=2024, *, level="district", on_recognized=False, target="60"):
    CertificationRule.objects.update_or_create(
        year=year,
        defaults={"recognizing_level": level, "target_on_recognized": on_recognized},
    )
    YearTarget.objects.update_or_create(year=year, district=None, defaults={"percent": target})


def set_status(codes, status=Status.CERTIFIED, year=2024, reasons=()):
    now = timezone.now()
    for code in codes:
        CertificationStatus.objects.update_or_create(
            commune=Commune.objects.get(code=code),
            year=year,
            defaults={
                "status": status,
                "reasons": list(reasons),
                "computed_at": now,
                "changed_at": now,
            },
        )
    stamp_provinces()


def issued(by, year=2024, *, number="123/QĐ-UBND", signed_on=None, communes=None):
    """A decision of ``year`` drafted and issued by ``by``."""
    decision = decisions.decision_draft(year=year, by=by, communes=communes)
    decisions.decision_update(
        decision=decision,
        by=by,
        number=number,
        signed_on=signed_on or datetime.date(year, 12, 20),
        signer="Chủ tịch UBND huyện Lục Nam",
        scan=scan(),
    )
    return decisions.decision_issue(decision=decision, by=by)


def pdf_text(data: bytes) -> str:
    """The text of every page of a PDF, as a reader (or a search engine) extracts it,
    with runs of white space (a table cell's line breaks) read as one space."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def pdf_pages(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)
