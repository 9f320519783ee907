"""Small files that are hostile to a reader: huge cells, zips that claim or expand to far
more than they weigh. Each is built in a few hundred KB of memory at most."""

import io
import struct
import zipfile

from openpyxl import Workbook


def xlsx_with_cell(text: str, *, header=("commune_code", "answered_on", "satisfied")) -> bytes:
    """A workbook whose A2 holds ``text`` (any length: openpyxl would cut it to Excel's
    32,767 characters, so the sheet's XML is rewritten); the rest of row 2 is valid."""
    placeholder = "CELL-PLACEHOLDER"
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    sheet.append([placeholder, "2024-03-05", "1"])
    out = io.BytesIO()
    book.save(out)
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    result = io.BytesIO()
    with zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(placeholder.encode(), text.encode())
            archive.writestr(info.filename, data)
    return result.getvalue()


def zip_expanding(name: str, size: int, *, others=()) -> bytes:
    """A zip whose member ``name`` honestly expands to ``size`` bytes of "A" (written in
    blocks: the test never holds ``size`` bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for other, content in others:
            archive.writestr(other, content)
        with archive.open(name, "w", force_zip64=size > 0x7FFFFFFF) as member:
            block = b"A" * (1 << 20)
            written = 0
            while written < size:
                member.write(block[: min(len(block), size - written)])
                written += len(block)
    return out.getvalue()


def zip_declaring(data: bytes, name: str, size: int) -> bytes:
    """``data`` (a zip) with member ``name`` declaring ``size`` bytes in its directory
    (its real content unchanged): a liar, which a reader trusting it would allocate for."""
    data = bytearray(data)
    encoded = name.encode()
    at = 0
    while (at := data.find(b"PK\x01\x02", at)) != -1:
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46 : at + 46 + name_length]) == encoded:
            struct.pack_into("<I", data, at + 24, size)
        at += 4
    return bytes(data)
