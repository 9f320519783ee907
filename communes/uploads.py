"""Evidence files: what may be uploaded, checked by content; where and how it is stored.

An upload is accepted for what its bytes are, never for its name or the type the
browser claims: photos (JPEG, PNG, WebP, opened and verified with Pillow), PDF, and
Office documents, whose containers are opened and looked into (a zip holding
``[Content_Types].xml`` and the main part of a Word, Excel or PowerPoint file; an OLE
compound file holding a WordDocument, Workbook or PowerPoint Document stream).
Macro-enabled documents, SVG, HTML, scripts and everything else are refused.

Stored names are random (``evidence/<commune code>/<year>/<hex>.<ext>``), under
MEDIA_ROOT, which has no public URL: files are read back only through the scoped
download view.
"""

import io
import os
import re
import secrets
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from friendlygov.archives import ArchiveRefused, ZipLimits, check_zip

THUMBNAIL_SIZE = (320, 320)
# Pillow refuses "decompression bombs" above ~179 megapixels; phone photos are far below.
MAX_IMAGE_PIXELS = 60_000_000

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"

IMAGE_TYPES = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}

# The main part that makes an OOXML zip a Word, Excel or PowerPoint document.
OOXML_TYPES = [
    (
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    (
        "xl/workbook.xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
    (
        "ppt/presentation.xml",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "pptx",
    ),
]

# Stream names (UTF-16LE in the compound file's directory) of legacy Office documents.
OLE_TYPES = [
    ("WordDocument", "application/msword", "doc"),
    ("Workbook", "application/vnd.ms-excel", "xls"),
    ("PowerPoint Document", "application/vnd.ms-powerpoint", "ppt"),
]
OLE_MACRO_STREAMS = ("_VBA_PROJECT", "VBA")

# Types a browser may show inline (the evidence viewer), from the file's bytes; never
# HTML or SVG, which are not even accepted for upload.
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "application/pdf"})


@dataclass(frozen=True)
class CheckedFile:
    """An upload whose content was checked: safe to store."""

    name: str  # the uploaded name, cleaned, for display and downloads only
    data: bytes
    content_type: str
    extension: str

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def size(self) -> int:
        return len(self.data)


def max_upload_bytes() -> int:
    return settings.EVIDENCE_MAX_UPLOAD_MB * 1024 * 1024


def clean_name(name: str) -> str:
    """The uploaded file's name without any path, control characters or excess length."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if ch.isprintable())
    name = name.strip(" .") or "tep"
    stem, dot, ext = name.rpartition(".")
    if dot and len(ext) <= 10:
        return f"{stem[:200]}.{ext}"
    return name[:200]


def check_upload(upload) -> CheckedFile:
    """Read and check one uploaded file; raise ValidationError with a message for people."""
    name = clean_name(getattr(upload, "name", ""))
    limit = max_upload_bytes()
    if upload.size > limit:
        raise ValidationError(
            _("Tệp “%(name)s” nặng %(size)s, vượt giới hạn %(limit)s.")
            % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="too_big",
        )
    if upload.size == 0:
        raise ValidationError(_("Tệp “%(name)s” rỗng.") % {"name": name}, code="empty")
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:  # the size the browser declared was wrong
        raise ValidationError(
            _("Tệp “%(name)s” vượt giới hạn %(limit)s.")
            % {"name": name, "limit": filesizeformat(limit)},
            code="too_big",
        )
    detected = detect(data)
    if detected is None:
        raise ValidationError(
            _(
                "Tệp “%(name)s” không phải ảnh (JPEG, PNG, WebP), PDF hoặc tài liệu Word, "
                "Excel, PowerPoint hợp lệ."
            )
            % {"name": name},
            code="bad_type",
        )
    content_type, extension = detected
    return CheckedFile(name=name, data=data, content_type=content_type, extension=extension)


def detect(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) of an allowed file, from its bytes; None if not allowed."""
    if data.startswith(b"%PDF-"):
        return ("application/pdf", "pdf")
    if data.startswith(ZIP_MAGIC):
        return _detect_ooxml(data)
    if data.startswith(OLE_MAGIC):
        return _detect_ole(data)
    return _detect_image(data)


def _detect_image(data: bytes) -> tuple[str, str] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind = IMAGE_TYPES.get(image.format or "")
                if kind is None or image.width * image.height > MAX_IMAGE_PIXELS:
                    return None
                image.verify()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        return None
    return kind


# An Office document of 10 MB holds some tens of MB of XML; a "zip bomb" claims (or
# expands to) far more. Checked before any part is decompressed into memory.
OOXML_LIMITS = ZipLimits(max_members=2000, max_member_bytes=64 << 20, max_total_bytes=128 << 20)


def _detect_ooxml(data: bytes) -> tuple[str, str] | None:
    try:
        check_zip(io.BytesIO(data), OOXML_LIMITS)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" not in names:
                return None
            content_types = archive.read("[Content_Types].xml")
    except (ArchiveRefused, zipfile.BadZipFile, zipfile.LargeZipFile, OSError, KeyError):
        return None
    except (EOFError, ValueError, NotImplementedError, RuntimeError):  # damaged or encrypted
        return None
    # Macro-enabled documents (.docm, .xlsm, .pptm) carry code: refused.
    if b"macroEnabled" in content_types or any(n.lower().endswith("vbaproject.bin") for n in names):
        return None
    for part, content_type, extension in OOXML_TYPES:
        if part in names:
            return (content_type, extension)
    return None


def _detect_ole(data: bytes) -> tuple[str, str] | None:
    # A compound file's directory holds its stream names in UTF-16LE; looking for them
    # tells a Word, Excel or PowerPoint file from any other OLE container (an .msi, a
    # .msg), without a full OLE parser.
    if any(name.encode("utf-16-le") in data for name in OLE_MACRO_STREAMS):
        return None
    for stream, content_type, extension in OLE_TYPES:
        if stream.encode("utf-16-le") + b"\x00\x00" in data:
            return (content_type, extension)
    return None


# --- Storing ---------------------------------------------------------------------------


def store(checked: CheckedFile, *, commune_code: str, year: int) -> tuple[str, str]:
    """Save ``checked`` under a random name; return (stored name, thumbnail name or "")."""
    folder = f"evidence/{_safe_segment(commune_code)}/{int(year)}"
    token = secrets.token_hex(16)
    name = default_storage.save(f"{folder}/{token}.{checked.extension}", ContentFile(checked.data))
    thumbnail = ""
    if checked.is_image:
        thumb = make_thumbnail(checked.data)
        if thumb is not None:
            thumbnail = default_storage.save(f"{folder}/{token}_thumb.jpg", ContentFile(thumb))
    return name, thumbnail


def make_thumbnail(data: bytes) -> bytes | None:
    """A small JPEG of an image, turned upright from its EXIF orientation."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image: Image.Image = ImageOps.exif_transpose(opened)
            image.thumbnail(THUMBNAIL_SIZE)
            if image.mode not in ("RGB", "L"):
                background = Image.new("RGB", image.size, "white")
                rgba = image.convert("RGBA")
                background.paste(rgba, mask=rgba.getchannel("A"))
                image = background
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=80, optimize=True)
            return out.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def delete_stored(*names: str) -> None:
    for name in names:
        if name:
            default_storage.delete(name)


def download_name(original_name: str, extension: str) -> str:
    """The name a download is saved as: the uploaded stem with the real extension."""
    stem = original_name.rsplit(".", 1)[0] if "." in original_name else original_name
    return f"{stem or 'minh-chung'}.{extension}"


def _safe_segment(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", text) or "_"
