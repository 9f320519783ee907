"""Zip containers (.xlsx, .docx, .pptx) are checked before anything is decompressed.

A few kilobytes of zip can expand to gigabytes ("zip bomb"). ``check_zip`` refuses an
archive whose members are too many, or whose sizes, as declared in its directory or as
they really come out of the decompressor, pass the limits; the real sizes are measured by
streaming each member through in small blocks, never holding it. It also measures the
longest run of text between two XML tags, so that one spreadsheet cell cannot ask a
parser for megabytes (openpyxl reads a cell's text whole).
"""

import zipfile
from dataclasses import dataclass

BLOCK = 64 * 1024


class ArchiveRefused(Exception):
    """The archive passes a limit; ``str()`` says which, in English for logs."""

    def __init__(self, reason: str, *, limit: int = 0):
        super().__init__(reason)
        self.reason = reason  # "members", "member_size", "total_size", "ratio", "text_run"
        self.limit = limit


@dataclass(frozen=True)
class ZipLimits:
    max_members: int = 1000
    max_member_bytes: int = 64 * 1024 * 1024
    max_total_bytes: int = 128 * 1024 * 1024
    # A member expanding more than this many times its compressed size is refused
    # (real Office parts compress 5-20 times, very repetitive sheets a few hundred).
    max_ratio: int = 1000
    # The longest text between two "<" in an XML member (None: not measured).
    max_text_run: int | None = None


def check_zip(file, limits: ZipLimits) -> None:
    """Raise ArchiveRefused unless every member of the zip ``file`` (a path or a binary
    file object) stays within ``limits``; zipfile.BadZipFile if it is not a zip."""
    with zipfile.ZipFile(file) as archive:
        members = archive.infolist()
        if len(members) > limits.max_members:
            raise ArchiveRefused("members", limit=limits.max_members)
        # Declared sizes first: nothing is decompressed for an archive that admits it.
        total = 0
        for info in members:
            if info.file_size > limits.max_member_bytes:
                raise ArchiveRefused("member_size", limit=limits.max_member_bytes)
            if info.file_size > limits.max_ratio * max(info.compress_size, 1024):
                raise ArchiveRefused("ratio", limit=limits.max_ratio)
            total += info.file_size
        if total > limits.max_total_bytes:
            raise ArchiveRefused("total_size", limit=limits.max_total_bytes)
        # Then the real sizes: a member can lie about its size.
        total = 0
        for info in members:
            total += _stream(archive, info, limits, budget=limits.max_total_bytes - total)


def _stream(archive, info, limits: ZipLimits, *, budget: int) -> int:
    """Decompress one member block by block, counting; return its real size."""
    size = 0
    run = 0
    max_run = limits.max_text_run or 0
    measure = bool(max_run) and info.filename.endswith((".xml", ".rels"))
    # zipfile never gives more than the declared size, and checks the CRC there: a
    # member that lies about its size fails as a BadZipFile.
    with archive.open(info) as member:
        while block := member.read(BLOCK):
            size += len(block)
            if size > limits.max_member_bytes:
                raise ArchiveRefused("member_size", limit=limits.max_member_bytes)
            if size > budget:
                raise ArchiveRefused("total_size", limit=limits.max_total_bytes)
            if measure:
                parts = block.split(b"<")
                run += len(parts[0])
                if len(parts) > 1:
                    longest = max(run, *(len(p) for p in parts[1:-1])) if len(parts) > 2 else run
                    if longest > max_run:
                        raise ArchiveRefused("text_run", limit=max_run)
                    run = len(parts[-1])
                if run > max_run:
                    raise ArchiveRefused("text_run", limit=max_run)
    return size
