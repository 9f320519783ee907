"""Text people typed never becomes a formula in an exported CSV or Excel file.

OWASP's CSV injection advice: a cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is read by a spreadsheet as a formula (``=HYPERLINK(...)``, DDE). Every
export goes through here:

- CSV: such a text cell gets a leading ``'`` (``csv_writer``);
- XLSX: such a text cell is written as text, marked "quote prefix" as Excel itself marks
  text typed after an apostrophe; the text is unchanged, so a workbook exported and
  imported again gives back what was typed (``save_workbook``).

Numbers stay numbers: ints, floats, Decimals and dates are never touched, nor is a text
that is only a number ("-5", "12,5").
"""

import csv
import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?%?")


def is_formula_like(value) -> bool:
    return (
        isinstance(value, str)
        and value.startswith(FORMULA_START)
        and not _PLAIN_NUMBER.fullmatch(value)
    )


def csv_cell(value):
    """``value`` as a CSV cell that no spreadsheet runs."""
    return "'" + value if is_formula_like(value) else value


class _SafeWriter:
    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row):
        return self._writer.writerow([csv_cell(v) for v in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(out, **kwargs):
    """``csv.writer(out)`` whose rows are escaped with ``csv_cell``."""
    return _SafeWriter(csv.writer(out, **kwargs))


def neutralise_workbook(book) -> None:
    """Turn every text cell that a spreadsheet would run into plain text (see above).

    openpyxl stores a text beginning with "=" as a formula; none of our exports writes a
    formula of its own, so every such cell is text that came from data."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                value = cell.value
                if is_formula_like(value):
                    cell.data_type = "s"
                    cell.quotePrefix = True


def save_workbook(book, out) -> None:
    neutralise_workbook(book)
    book.save(out)
