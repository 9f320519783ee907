"""Import of survey responses from a CSV or XLSX file (DESIGN.md, "Survey import file").

One importer serves the web page and ``manage.py import_survey_responses``:

- ``survey_file_check(path=..., filename=..., by=...)`` reads the file and names every bad
  row, and which rows are already in from an earlier import, writing nothing (the web
  preview, ``--dry-run``);
- ``survey_file_import(..., replace=False)`` reads it once more, writing each good row as
  it is read, inside one transaction that is rolled back if any row is bad: every row or
  none. Rows already in are left out (or, with ``replace``, the earlier file's rows of
  the same communes and days are deleted and the whole file is imported).

No answer is counted twice (DESIGN.md): a row is already in when an earlier import holds
the same commune, year and ``form_number`` (when the file has that column and the row a
number), otherwise the same commune, day, satisfaction and answers. Identical answers of
two citizens of one day are both real: rows are matched one for one (a file with three
such rows where an earlier import had two brings one new row).

Every row goes through one checker (``_Reader.row``): what the preview says of a row is
what the import does with it. The checker memoises what it learnt of a cell's text (a
commune code, a date, a score) and of a row's satisfaction and scores taken together, so
that a national file's repeated values are parsed once.

Memory stays bounded whatever the file: it is streamed (a csv reader over a text file,
openpyxl in read-only mode) after a workbook's zip was checked by its declared and real
sizes and its longest cell (friendlygov.archives); errors quote at most ``QUOTE_CHARS``
characters of a cell; only counters, the first bad rows, a few sample rows and one
fingerprint per row (to find the rows already in) stay in memory. On PostgreSQL the rows
go through COPY, sent a few thousand at a time as they are read; elsewhere through
bulk_create.
"""

import csv
import datetime
import hashlib
import json
import operator
import re
import unicodedata
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from communes.hooks import recompute_after_surveys, statuses_read_ahead
from communes.models import Commune
from friendlygov import bulk
from friendlygov.archives import ArchiveRefused, ZipLimits, check_zip
from friendlygov.dates import EARLIEST, past_date_problem
from friendlygov.memory import collector_paused
from surveys import conf, rollup
from surveys.models import Channel, Element, ImportBatch, Questionnaire, SurveyResponse
from surveys.questions import SATISFIED_FROM, SCALE_MAX, SCALE_MIN
from surveys.selectors import active_questionnaire

REQUIRED_COLUMNS = ("commune_code", "answered_on", "satisfied")
OPTIONAL_COLUMNS = ("form_number",)
CHUNK_SIZE = 2000
# On PostgreSQL, rows are sent to COPY COPY_CHUNKS chunks at a time (4,000 rows, under
# a MB), as they are read: the server writes them while Python reads the next ones. They
# are no longer sorted by commune: an import's rows land at the right edge of the index
# of imported rows (import batch first), whatever their order (measured on 10 million
# rows: sorting 50,000 rows at a time took longer than streaming them unsorted).
COPY_CHUNKS = 2
MAX_ERRORS_KEPT = 500
SAMPLE_ROWS = 10
# Rows already in that the preview names by number (the rest are counted).
DUPLICATE_ROWS_SHOWN = 20
EARLIEST_YEAR = EARLIEST.year
# An error quotes at most this much of a cell: a cell of a gigabyte is named, not echoed.
QUOTE_CHARS = 40
# The longest cell a file may hold (Excel's own limit is 32,767 characters).
MAX_CELL_CHARS = 32_767
# A paper form's number: digits, letters and / . _ - (e.g. 015, A-12, 2024/015).
_FORM_NUMBER = re.compile(r"[0-9A-Za-z][0-9A-Za-z/._-]{0,39}")
# Parsed cell texts remembered per file (codes, dates, scores repeat); beyond this many
# distinct texts each is parsed again, so memory stays bounded.
_MEMO_MAX = 50_000
# Good rows' satisfaction and scores remembered whole (a national file repeats a few
# thousand combinations); beyond this many, a new combination takes the full check.
# About 400 bytes each.
_ROW_MEMO_MAX = 20_000

# The contract's 1/0, có/không, yes/no (also typed without accents).
_TRUE = {"1", "có", "co", "yes"}
_FALSE = {"0", "không", "khong", "no"}
_SCORES: dict[str | int | float, int] = {
    **{str(n): n for n in range(SCALE_MIN, SCALE_MAX + 1)},
    **{n: n for n in range(SCALE_MIN, SCALE_MAX + 1)},
    **{float(n): n for n in range(SCALE_MIN, SCALE_MAX + 1)},
}
# The cells a remembered part may be found by (see ``_Reader._remember``).
_TEXT_OR_EMPTY = {str, type(None)}
_ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_SLASHED = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_ASCII_DIGITS = re.compile(r"[0-9]+")


class FileProblem(Exception):
    """The file as a whole cannot be read (empty, not a spreadsheet, too big...)."""


class ImportRefused(Exception):
    """Nothing was imported; ``report`` says why."""

    def __init__(self, report):
        super().__init__("; ".join(report.errors[:3]))
        self.report = report


@dataclass
class EarlierImport:
    """An earlier file some of whose rows are in this one."""

    batch_id: int
    filename: str
    imported_at: datetime.datetime
    rows: int  # of this file's rows that it already holds
    replaced: int = 0  # its rows that a replace would delete


@dataclass
class ImportReport:
    filename: str
    sha256: str = ""
    rows: int = 0
    satisfied: int = 0
    # File-level problems first, then "row N: reason" for the first MAX_ERRORS_KEPT bad rows.
    errors: list[str] = field(default_factory=list)
    bad_rows: int = 0
    question_codes: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    has_form_numbers: bool = False
    # {commune id: Counter({year: responses})}
    per_commune: dict[int, Counter] = field(default_factory=lambda: defaultdict(Counter))
    commune_names: dict[int, tuple[str, str]] = field(default_factory=dict)  # id: (code, name)
    sample: list[dict] = field(default_factory=list)
    batch: ImportBatch | None = None
    first_day: datetime.date | None = None
    last_day: datetime.date | None = None
    # Rows already in from earlier imports: how many, the first row numbers, which files.
    already_in: int = 0
    already_in_rows: list[int] = field(default_factory=list)
    earlier: list[EarlierImport] = field(default_factory=list)
    # What the import did: rows written, earlier rows deleted (replace).
    written: int = 0
    replaced: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def errors_not_shown(self) -> int:
        return max(self.bad_rows - MAX_ERRORS_KEPT, 0)

    @property
    def new_rows(self) -> int:
        return self.rows - self.already_in

    @property
    def replaceable(self) -> int:
        return sum(e.replaced for e in self.earlier)

    def error(self, message: str) -> None:
        self.errors.append(message)

    def commune_rows(self) -> list[tuple[str, str, int, str]]:
        """(code, name, responses, years) per commune in the file, for the preview."""
        rows = []
        for commune_id, years in self.per_commune.items():
            code, name = self.commune_names[commune_id]
            rows.append((code, name, sum(years.values()), ", ".join(map(str, sorted(years)))))
        return sorted(rows)


# A good row: (commune id, day, its ISO text, satisfied, answers as JSON text, form number).
Row = tuple[int, datetime.date, str, bool, str, str | None]


def _quote(value) -> str:
    """A cell's text for an error message: at most QUOTE_CHARS characters."""
    text = value if type(value) is str else _text(value)
    if len(text) > QUOTE_CHARS:
        return text[:QUOTE_CHARS].strip() + "…"
    return text.strip()


# --- Reading the file --------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _kind(path: Path) -> str:
    """ "xlsx" or "csv" from the content (never from the name); FileProblem otherwise."""
    size = path.stat().st_size
    if size == 0:
        raise FileProblem(_("Tệp rỗng."))
    if size > conf.import_max_bytes():
        raise FileProblem(
            _("Tệp quá lớn (%(size)s MB); tối đa %(max)s MB.")
            % {"size": round(size / 1048576, 1), "max": conf.import_max_bytes() // 1048576}
        )
    with open(path, "rb") as f:
        head = f.read(65536)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem(
            _("Tệp Excel 97-2003 (.xls) không được hỗ trợ: hãy lưu lại thành .xlsx hoặc CSV.")
        )
    if b"\x00" in head:
        raise FileProblem(_("Tệp không phải bảng tính CSV hoặc Excel (.xlsx)."))
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is fine.
        if size <= len(head) or exc.start < len(head) - 4:
            raise FileProblem(
                _("Tệp CSV không ở mã UTF-8: trong Excel hãy chọn “CSV UTF-8” khi lưu.")
            ) from exc
    return "csv"


def _workbook_limits() -> ZipLimits:
    """What a workbook of at most SURVEY_IMPORT_MAX_BYTES may expand to. openpyxl streams
    the sheet, so its size costs time, not memory; a cell, read whole, is bounded."""
    size = conf.import_max_bytes()
    return ZipLimits(
        max_members=500,
        max_member_bytes=20 * size,
        max_total_bytes=25 * size,
        max_text_run=8 * MAX_CELL_CHARS,  # the cell's text as UTF-8 and XML escapes
    )


# Held whole in memory by openpyxl (the shared strings table): bounded on its own.
_SHARED_STRINGS_MAX_BYTES = 64 * 1024 * 1024


def _check_workbook(path: Path) -> None:
    not_a_workbook = _("Tệp không phải bảng tính CSV hoặc Excel (.xlsx).")
    try:
        check_zip(path, _workbook_limits())
        with zipfile.ZipFile(path) as archive:
            strings = next(
                (i for i in archive.infolist() if i.filename.endswith("sharedStrings.xml")), None
            )
        if strings is not None and strings.file_size > _SHARED_STRINGS_MAX_BYTES:
            raise ArchiveRefused("member_size")
    except ArchiveRefused as exc:
        if exc.reason == "text_run":
            raise FileProblem(
                _("Tệp có ô quá dài (tối đa %s ký tự một ô).")
                % f"{MAX_CELL_CHARS:,}".replace(",", ".")
            ) from None
        raise FileProblem(
            _("Tệp Excel giải nén ra quá lớn so với một bảng khảo sát; hãy kiểm tra lại tệp.")
        ) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise FileProblem(not_a_workbook) from exc
    except (NotImplementedError, RuntimeError) as exc:  # an unknown compression, encrypted
        raise FileProblem(not_a_workbook) from exc


def _xlsx_rows(path: Path) -> Iterator[tuple]:
    from openpyxl import load_workbook

    not_a_workbook = _("Tệp không phải bảng tính CSV hoặc Excel (.xlsx).")
    _check_workbook(path)
    # Opened here and handed over as a file: given a path, openpyxl refuses any name
    # that does not end in .xlsx, and the web page keeps uploads as "<id>.upload".
    with open(path, "rb") as handle:
        try:
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except zipfile.BadZipFile as exc:
            raise FileProblem(not_a_workbook) from exc
        except Exception as exc:  # openpyxl raises many kinds for a zip that is not a workbook
            raise FileProblem(not_a_workbook) from exc
        if not workbook.worksheets:
            workbook.close()
            raise FileProblem(not_a_workbook)
        sheet = workbook.worksheets[0]
        # Read every row, whatever size the file claims: some programs write a wrong one,
        # and read-only mode would then stop early without a word.
        sheet.reset_dimensions()
        try:
            yield from sheet.iter_rows(values_only=True)
        except (zipfile.BadZipFile, ValueError, KeyError, SyntaxError, TypeError) as exc:
            # A damaged sheet (its XML cannot be parsed) shows while reading the rows.
            raise FileProblem(not_a_workbook) from exc
        finally:
            workbook.close()


def _csv_rows(path: Path) -> Iterator[list]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        try:
            first = f.readline(65536)
            # Excel in a comma-decimal locale separates with semicolons.
            delimiter = ";" if first.count(";") > first.count(",") else ","
            f.seek(0)
            # csv refuses a cell longer than its field_size_limit (131,072 characters):
            # a cell's memory is bounded before this importer sees it.
            yield from csv.reader(f, delimiter=delimiter)
        except UnicodeDecodeError as exc:
            raise FileProblem(
                _("Tệp CSV không ở mã UTF-8: trong Excel hãy chọn “CSV UTF-8” khi lưu.")
            ) from exc
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise FileProblem(
                    _("Tệp có ô quá dài (tối đa %s ký tự một ô).")
                    % f"{csv.field_size_limit():,}".replace(",", ".")
                ) from exc
            raise FileProblem(_("Tệp CSV bị lỗi định dạng: %s") % _quote(str(exc))) from exc


def _records(path: Path) -> Iterator[tuple[int, tuple | list]]:
    """(row number as Excel shows it, cells) for every row, the header being row 1."""
    reader = _xlsx_rows(path) if _kind(path) == "xlsx" else _csv_rows(path)
    yield from enumerate(reader, start=1)


# --- Reading one row ---------------------------------------------------------------------


def _text(value) -> str:
    if type(value) is str and value.isascii():  # the common case, kept fast for big files
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def _commune_code(value) -> str:
    code = _text(value)
    # GSO codes are often written with their leading zeros (07444).
    if _ASCII_DIGITS.fullmatch(code):
        return code.lstrip("0") or code
    return code


# How a date cell was written: in a way that shows the file's convention (ISO, a slashed
# day over 12), unambiguous but showing nothing (an Excel date, 05/05/2025), ambiguous
# (03/04/2025), or month first (04/25/2025, US style).
_KNOWN, _EITHER, _AMBIGUOUS, _MONTH_FIRST = "known", "either", "ambiguous", "month_first"


def _date(value) -> tuple[datetime.date | None, str, str | None]:
    """(day, how it was written, problem)."""
    if isinstance(value, datetime.datetime):
        return value.date(), _EITHER, None
    if isinstance(value, datetime.date):
        return value, _EITHER, None
    text = _text(value)
    if not text:
        return None, _KNOWN, _("thiếu ngày trả lời")
    written = _KNOWN
    if match := _ISO.fullmatch(text):
        year, month, day = map(int, match.groups())
    elif match := _SLASHED.fullmatch(text):
        day, month, year = map(int, match.groups())
        if month > 12 and day <= 12:
            return (
                None,
                _MONTH_FIRST,
                _(
                    "ngày “%s” ghi theo kiểu tháng/ngày (Mỹ); "
                    "hãy ghi ngày/tháng/năm (dd/mm/yyyy) hoặc YYYY-MM-DD"
                )
                % _quote(text),
            )
        if day <= 12 and month <= 12:
            written = _AMBIGUOUS if day != month else _EITHER
    else:
        return (
            None,
            _KNOWN,
            _("ngày “%s” không đúng dạng YYYY-MM-DD hoặc dd/mm/yyyy") % _quote(text),
        )
    try:
        return datetime.date(year, month, day), written, None
    except ValueError:
        return None, _KNOWN, _("ngày “%s” không có thật") % _quote(text)


def _satisfied(value) -> bool | None:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def _score(value) -> tuple[int | None, bool]:
    """(score, ok): an empty cell is (None, True). Only ASCII digits 1-5 (an Excel number
    cell included) are scores: "²" or "٣" is a bad cell, not a 500."""
    if isinstance(value, bool):  # an Excel TRUE/FALSE cell (True == 1 in Python)
        return None, False
    if value in _SCORES:  # "1".."5", 1..5, 1.0..5.0
        return _SCORES[value], True
    text = _text(value)
    if not text:
        return None, True
    return (_SCORES[text], True) if text in _SCORES else (None, False)


def _form_number(value) -> tuple[str | None, str | None]:
    """(number, problem): an empty cell is (None, None)."""
    text = _text(value)
    if not text:
        return None, None
    if _FORM_NUMBER.fullmatch(text):
        return text, None
    return None, _("số phiếu “%s” chỉ gồm chữ, số và / . _ - (tối đa 40 ký tự)") % _quote(text)


class _Reader:
    """Reads and checks rows of one file against the caller's scope and the questionnaire.

    ``row`` is the only checker of a row. It remembers, per file, what it learnt of a
    cell's text (``_memo_*``) and which parts of a row it found good (``_good_*``): the
    same answer for the same text, computed once.
    """

    def __init__(self, *, report: ImportReport, questionnaire: Questionnaire | None, by):
        self.report = report
        self.questionnaire = questionnaire
        self.today = timezone.localdate()
        all_communes = list(
            Commune.objects.values_list("code", "pk", "name", "valid_from", "valid_to")
        )
        # A code is reused across periods (7210 was Phường Hoàng Văn Thụ, then Phường Bắc
        # Giang): such a row names the unit in force on its answered_on date.
        self.periods: dict[str, list] = {}
        for code, pk, name, valid_from, valid_to in all_communes:
            self.periods.setdefault(code, []).append((valid_from, valid_to, pk, name))
        # The codes of one unit that is always in force (the fast path's); any other is
        # resolved on the row's date.
        self.communes = {
            code: (units[0][2], units[0][3])
            for code, units in self.periods.items()
            if len(units) == 1 and units[0][0] is None and units[0][1] is None
        }
        self.by_pk = {pk: (code, name) for code, pk, name, _f, _t in all_communes}
        self.in_scope = (
            None if by is None else set(Commune.objects.visible_to(by).values_list("pk", flat=True))
        )
        self.questions = {}
        self.overall_code = None
        if questionnaire is not None:
            for q in questionnaire.questions.all():
                self.questions[q.code.upper()] = q.code
                if q.element == Element.OVERALL:
                    self.overall_code = q.code
        self._memo_commune: dict = {}
        self._memo_date: dict = {}
        self._memo_score: dict = {}
        self._memo_satisfied: dict = {}
        # What the full check found good, for ``row``'s fast path: a commune code's text
        # -> its id; a date's text -> (day, ISO text); the texts of satisfied and of the
        # scores -> (satisfied, answers as JSON text).
        self._good_commune: dict[str, int] = {}
        self._good_date: dict[str, tuple[datetime.date, str]] = {}
        self._good_answers: dict[object, tuple[bool, str]] = {}
        # The file's date convention, learnt row by row (see ``finish``).
        self.day_first_seen = False
        self.ambiguous_rows = 0
        self.ambiguous_first: list[tuple[int, str]] = []
        # (commune id, year, form number) -> the row that has it, to find repeats.
        self.form_numbers: dict[tuple[int, int, str], int] = {}

    def _in_force(self, code: str, day) -> tuple[int, str] | None:
        """(pk, name) of the unit with ``code`` in force on ``day``, None if none is."""
        for valid_from, valid_to, pk, name in self.periods.get(code, ()):
            if (valid_from is None or valid_from <= day) and (valid_to is None or day <= valid_to):
                return pk, name
        return None

    def header(self, cells) -> dict[str, int] | None:
        """Map column name -> index; None (with the reason recorded) when it will not do."""
        names = [_text(c).lower() for c in cells]
        columns: dict[str, int] = {}
        for index, name in enumerate(names):
            if not name:
                continue
            if name in REQUIRED_COLUMNS or name in OPTIONAL_COLUMNS:
                key: str | None = name
            else:
                key = self.questions.get(name.upper())
            if key is None:
                self.report.ignored_columns.append(_quote(cells[index]))
                continue
            if key in columns:
                self.report.error(_("Cột “%s” xuất hiện hai lần.") % _quote(name))
                return None
            columns[key] = index
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            self.report.error(
                _("Thiếu cột: %(missing)s. Dòng 1 phải là tên cột: %(required)s.")
                % {"missing": ", ".join(missing), "required": ", ".join(REQUIRED_COLUMNS)}
            )
            return None
        self.report.question_codes = [c for c in self.questions.values() if c in columns]
        self.report.has_form_numbers = "form_number" in columns
        self.columns = columns
        # Per question: its column, code, JSON key, whether it is the overall one, and
        # the JSON part and score of each score written as text (only text: an Excel
        # TRUE is equal to 1 as a key, and is no score).
        self.scores_at: list[tuple[int, str, str, bool, dict[object, tuple[str, int]]]] = []
        for code in self.report.question_codes:
            key = json.dumps(code) + ":"
            written: dict[object, tuple[str, int]] = {
                str(n): (f"{key}{n}", n) for n in range(SCALE_MIN, SCALE_MAX + 1)
            }
            self.scores_at.append((columns[code], code, key, code == self.overall_code, written))
        self._commune_at = columns["commune_code"]
        self._date_at = columns["answered_on"]
        self._form_at = columns.get("form_number")
        # The cells of satisfied and of every score, as one key (a tuple, or the one cell
        # when the file has no score column).
        self._satisfied_at = columns["satisfied"]
        self._answers_key = operator.itemgetter(
            self._satisfied_at, *(at[0] for at in self.scores_at)
        )
        return columns

    def _memo(self, memo: dict, value, parse):
        if type(value) is bool:  # an Excel TRUE is equal to 1 as a key, but is no score
            return parse(value)
        try:
            return memo[value]
        except KeyError:
            result = parse(value)
            if len(memo) < _MEMO_MAX:
                memo[value] = result
            return result
        except TypeError:  # not hashable: never from csv or openpyxl, but be safe
            return parse(value)

    def _check_commune(self, value):
        """(code, (pk, name) when the code names one unit at every date, problem)."""
        code = _commune_code(value)
        if not code:
            return code, None, _("thiếu mã xã")
        if code not in self.periods:
            return code, None, _("mã xã “%s” không có trong danh mục") % _quote(code)
        return code, self.communes.get(code), None

    def _commune_on(self, code, commune, day, code_problem):
        """(commune id, problem): the unit with ``code`` in force on ``day``, in scope."""
        if code_problem:
            return None, None
        if commune is None:
            if day is None:
                return None, None
            commune = self._in_force(code, day)
            if commune is None:
                return None, _("mã xã “%(code)s” không có đơn vị nào có hiệu lực ngày %(day)s") % {
                    "code": _quote(code),
                    "day": day.strftime("%d/%m/%Y"),
                }
        if self.in_scope is not None and commune[0] not in self.in_scope:
            return None, _("xã %(code)s (%(name)s) ngoài phạm vi của bạn") % {
                "code": _quote(code),
                "name": commune[1],
            }
        return commune[0], None

    def _check_date(self, value):
        """(day, its ISO text, how it was written, problem)."""
        day, written, problem = _date(value)
        if problem is None:
            problem = past_date_problem(day)
        if problem is not None:
            return None, "", written, problem
        return day, day.isoformat(), written, None

    def row(self, number: int, cells) -> Row | list[str]:
        """The row read into domain values, or the reasons it is bad.

        Each part of a row (its commune code, its date, its satisfaction with its scores)
        whose cells' texts were found good in an earlier row takes that verdict again; a
        part new to the file is checked alone (``_learn_*``). A row with any part that
        is not plainly good (a bad cell, an ambiguous date, a code whose unit depends on
        the date, a short row) takes the full check, ``_check``, which names every
        problem."""
        try:
            raw_code = cells[self._commune_at]
            raw_day = cells[self._date_at]
            key = self._answers_key(cells)
            commune_id = self._good_commune.get(raw_code)
            dated = self._good_date.get(raw_day)
            answered = self._good_answers.get(key)
        except (IndexError, TypeError):  # a short row; unhashable (never from csv or openpyxl)
            return self._check(number, cells)
        if commune_id is None:
            commune_id = self._learn_commune(raw_code)
        if dated is None:
            dated = self._learn_date(raw_day)
        if answered is None:
            answered = self._learn_answers(key, cells)
        if commune_id is None or dated is None or answered is None:
            return self._check(number, cells)
        day, iso = dated
        satisfied, answers = answered
        if self._form_at is None:
            return (commune_id, day, iso, satisfied, answers, None)
        value = cells[self._form_at] if self._form_at < len(cells) else None
        form_number, problem = self._check_form_number(number, value, commune_id, day)
        if problem:
            return [problem]
        return (commune_id, day, iso, satisfied, answers, form_number)

    def _learn_commune(self, value) -> int | None:
        """The commune id of a code that names one unit at every date, in scope; None
        for any other code (the full check decides)."""
        code, commune, problem = self._memo(self._memo_commune, value, self._check_commune)
        if problem or commune is None:
            return None
        commune_id, problem = self._commune_on(code, commune, None, None)
        if problem:
            return None
        self._remember(self._good_commune, value, commune_id, _MEMO_MAX)
        return commune_id

    def _learn_date(self, value) -> tuple[datetime.date, str] | None:
        """(day, ISO text) of a good date that says nothing new of the file's convention
        of dates; None for any other (the full check decides, and learns)."""
        day, iso, written, problem = self._memo(self._memo_date, value, self._check_date)
        if problem or written is _AMBIGUOUS:
            return None
        if written is _KNOWN and not self.day_first_seen:
            return None
        self._remember(self._good_date, value, (day, iso), _MEMO_MAX)
        return day, iso

    def _learn_answers(self, key, cells) -> tuple[bool, str] | None:
        """(satisfied, answers as JSON text) of good cells; None if any is bad."""
        satisfied, answers, problems = self._check_answers(cells, len(cells))
        if problems or satisfied is None:  # a bad satisfied is one of the problems
            return None
        self._remember(self._good_answers, key, (satisfied, answers), _ROW_MEMO_MAX)
        return satisfied, answers

    @staticmethod
    def _remember(memo: dict, key, value, limit: int) -> None:
        """Remember a good part for ``row`` when its key is text (or a tuple of texts and
        empty cells): an Excel TRUE is equal to 1 as a key, and 1.0 to 1, but a text only
        to the same text."""
        if len(memo) >= limit:
            return
        if type(key) is tuple:
            if not set(map(type, key)) <= _TEXT_OR_EMPTY:
                return
        elif type(key) is not str:
            return
        memo[key] = value

    def _check_form_number(self, number: int, value, commune_id, day):
        """(form number, problem); a number is noted, to find it again in a later row."""
        form_number, problem = _form_number(value)
        if problem or form_number is None or commune_id is None or day is None:
            return form_number, problem
        form_key = (commune_id, day.year, form_number)
        earlier = self.form_numbers.get(form_key)
        if earlier is not None:
            return form_number, _(
                "số phiếu %(number)s đã có ở dòng %(row)s (cùng xã, cùng năm)"
            ) % {"number": form_number, "row": earlier}
        self.form_numbers[form_key] = number
        return form_number, None

    def _check(self, number: int, cells) -> Row | list[str]:
        """The full check of a row (see ``row``)."""
        columns = self.columns
        width = len(cells)

        def cell(name):
            index = columns[name]
            return cells[index] if index < width else None

        reasons = []
        code, commune, code_problem = self._memo(
            self._memo_commune, cell("commune_code"), self._check_commune
        )
        if code_problem:
            reasons.append(code_problem)
        raw_day = cell("answered_on")
        day, iso, written, problem = self._memo(self._memo_date, raw_day, self._check_date)
        if problem:
            reasons.append(problem)
        elif written is _AMBIGUOUS:
            self.ambiguous_rows += 1
            if len(self.ambiguous_first) < MAX_ERRORS_KEPT:
                self.ambiguous_first.append((number, _quote(raw_day)))
        elif written is _KNOWN and type(raw_day) is str:
            # A slashed day over 12 shows the file writes the day first; ISO dates show
            # it was written to the contract (a US-set Excel writes neither).
            self.day_first_seen = True
        commune_id, problem = self._commune_on(code, commune, day, code_problem)
        if problem:
            reasons.append(problem)
        satisfied, answers, problems = self._check_answers(cells, width)
        reasons += problems
        form_number = None
        if self.report.has_form_numbers:
            form_number, problem = self._check_form_number(
                number, cell("form_number"), commune_id, day
            )
            if problem:
                reasons.append(problem)
        if reasons or satisfied is None:  # a bad satisfied is one of the reasons
            return reasons
        return (commune_id, day, iso, satisfied, answers, form_number)

    def _check_answers(self, cells, width: int) -> tuple[bool | None, str, list[str]]:
        """(satisfied, answers as JSON text, problems) of a row's satisfied and scores."""
        problems = []
        raw_satisfied = cells[self._satisfied_at] if self._satisfied_at < width else None
        satisfied = self._memo(self._memo_satisfied, raw_satisfied, _satisfied)
        if satisfied is None:
            problems.append(
                _("cột satisfied phải là 1/0, có/không hoặc yes/no, không phải “%s”")
                % _quote(raw_satisfied)
            )
        parts = []
        overall = None
        for index, code, key, is_overall, written in self.scores_at:
            value = cells[index] if index < width else None
            try:
                # The common cell, "1" to "5" as text: its JSON part is ready (a national
                # file checks 1.1 million score cells).
                part = written.get(value)
            except TypeError:  # not hashable: never from csv or openpyxl, but be safe
                part = None
            if part is not None:
                parts.append(part[0])
                if is_overall:
                    overall = part[1]
                continue
            score, ok = self._memo(self._memo_score, value, _score)
            if not ok:
                problems.append(
                    _("%(code)s phải là số nguyên từ 1 đến 5, không phải “%(value)s”")
                    % {"code": code, "value": _quote(value)}
                )
            elif score is not None:
                parts.append(f"{key}{score}")
                if is_overall:
                    overall = score
        if (
            satisfied is not None
            and overall is not None
            and (overall >= SATISFIED_FROM) != satisfied
        ):
            problems.append(
                _("satisfied (%(satisfied)s) trái với câu đánh giá chung %(code)s = %(score)s")
                % {"satisfied": _quote(raw_satisfied), "code": self.overall_code, "score": overall}
            )
        return satisfied, "{" + ",".join(parts) + "}", problems

    def finish(self) -> None:
        """What only the whole file tells: whether its slashed dates are day first.

        03/04/2025 is 3 April to a Vietnamese clerk and 4 March to a US-set Excel. It is
        read as dd/mm/yyyy only when the file shows its convention elsewhere (a slashed
        date whose first number is over 12, or an ISO date); otherwise those rows are
        refused."""
        if not self.ambiguous_rows or self.day_first_seen:
            return
        for number, text in self.ambiguous_first:
            self.report.bad_rows += 1
            if self.report.bad_rows <= MAX_ERRORS_KEPT:
                self.report.error(
                    _("dòng %(row)s: %(reasons)s")
                    % {
                        "row": number,
                        "reasons": _(
                            "ngày “%s” có thể là ngày/tháng hoặc tháng/ngày, và không dòng "
                            "nào của tệp cho biết: hãy ghi YYYY-MM-DD"
                        )
                        % text,
                    }
                )
        self.report.bad_rows += self.ambiguous_rows - len(self.ambiguous_first)


def _is_blank(cells) -> bool:
    return all(_text(c) == "" for c in cells)


# --- Rows already in ---------------------------------------------------------------------


def _content_key(commune_id: int, day: datetime.date, satisfied: bool, answers: dict) -> bytes:
    text = f"{commune_id}|{day.isoformat()}|{int(satisfied)}|" + json.dumps(
        answers, sort_keys=True, separators=(",", ":")
    )
    return hashlib.blake2b(text.encode(), digest_size=12).digest()


class _Earlier:
    """The responses of earlier imports that a file could repeat: of its communes, in its
    range of days. Matched one for one: each earlier row stands for one row of the file."""

    def __init__(self, report: ImportReport, *, exclude_batch: int | None = None):
        self.by_number: dict[tuple, int] = {}  # (commune, year, number) -> batch id
        self.by_content: dict[bytes, list[int]] = defaultdict(list)  # key -> batch ids
        self.batches: dict[int, int] = Counter()  # batch id -> its rows matched
        self.empty = True
        if report.first_day is None or not report.per_commune:
            return
        batches = ImportBatch.objects.all()
        if exclude_batch is not None:
            batches = batches.exclude(pk=exclude_batch)
        # Imported rows only (``entered=False``): read through the index of the batches,
        # never the whole country's kiosk and paper answers; of the files that can hold
        # the file's days (none if this is the first import).
        earlier = SurveyResponse.objects.of_communes(
            report.per_commune, since=report.first_day, entered=False, batches=batches
        ).filter(channel=Channel.IMPORT, answered_on__range=(report.first_day, report.last_day))
        for commune_id, day, satisfied, answers, form_number, batch_id in earlier.values_list(
            "commune_id", "answered_on", "satisfied", "answers", "form_number", "import_batch_id"
        ).iterator(chunk_size=5000):
            self.empty = False
            if form_number:
                self.by_number[(commune_id, day.year, form_number)] = batch_id
            self.by_content[_content_key(commune_id, day, satisfied, answers or {})].append(
                batch_id
            )

    def take(self, commune_id, day, satisfied, answers: dict, form_number) -> int | None:
        """The earlier batch holding this row (the match is used up), or None if new."""
        if form_number:
            number_key = (commune_id, day.year, form_number)
            batch_id = self.by_number.pop(number_key, None)
            if batch_id is not None:
                self.batches[batch_id] += 1
                return batch_id
            return None  # a numbered form not seen before is new, whatever its answers
        batches = self.by_content.get(_content_key(commune_id, day, satisfied, answers))
        if batches:
            batch_id = batches.pop()
            self.batches[batch_id] += 1
            return batch_id
        return None


def _describe_earlier(report: ImportReport, earlier: _Earlier) -> None:
    """Name the earlier files the rows already in come from, and what a replace deletes."""
    if not earlier.batches:
        return
    replaceable = dict(
        _replaceable(report, batch_ids=list(earlier.batches))
        .values("import_batch_id")
        .annotate(n=Count("id"))
        .values_list("import_batch_id", "n")
    )
    for batch in ImportBatch.objects.filter(pk__in=list(earlier.batches)).order_by("imported_at"):
        report.earlier.append(
            EarlierImport(
                batch_id=batch.pk,
                filename=batch.filename,
                imported_at=batch.imported_at,
                rows=earlier.batches[batch.pk],
                replaced=replaceable.get(batch.pk, 0),
            )
        )


def _replaceable(report: ImportReport, *, batch_ids: list[int]):
    """The earlier rows a replace deletes: of those files, in this file's communes and
    range of days (a corrected file replaces what it corrects, nothing else)."""
    return SurveyResponse.objects.of_communes(
        report.per_commune,
        since=report.first_day,
        entered=False,
        batches=ImportBatch.objects.filter(pk__in=batch_ids),
    ).filter(channel=Channel.IMPORT, answered_on__range=(report.first_day, report.last_day))


# --- The importer ------------------------------------------------------------------------


def _already_imported(report: ImportReport) -> bool:
    batch = ImportBatch.objects.filter(sha256=report.sha256).select_related("imported_by").first()
    if batch is None:
        return False
    report.error(
        _(
            "Tệp này đã được nhập ngày %(at)s (%(file)s, %(rows)s phiếu); "
            "không nhập lại để khỏi tính trùng."
        )
        % {
            "at": timezone.localtime(batch.imported_at).strftime("%d/%m/%Y %H:%M"),
            "file": batch.filename,
            "rows": batch.rows,
        }
    )
    return True


@collector_paused()
def survey_file_check(*, path: Path, filename: str, by=None) -> ImportReport:
    """Read the whole file and report what it holds, every bad row and the rows already
    in from earlier imports; write nothing.

    ``by`` None (the command line) may import for every commune; a user only for the
    communes in their scope.
    """
    report = ImportReport(filename=filename)
    path = Path(path)
    try:
        _kind(path)
        report.sha256 = file_sha256(path)
        if _already_imported(report):
            return report
        reader = _Reader(report=report, questionnaire=active_questionnaire(), by=by)
        _scan(path, report, reader)
        if report.ok:
            earlier = _Earlier(report)
            if not earlier.empty:  # read once more, to name the rows already in
                again = ImportReport(filename=filename)
                _scan(
                    path,
                    again,
                    _Reader(report=again, questionnaire=reader.questionnaire, by=by),
                    on_row=lambda number, row: _note_repeat(report, earlier, number, row),
                )
                _describe_earlier(report, earlier)
    except FileProblem as exc:
        report.error(str(exc))
    return report


def _note_repeat(report: ImportReport, earlier: _Earlier, number: int, row: Row) -> None:
    commune_id, day, _iso, satisfied, answers, form_number = row
    if earlier.take(commune_id, day, satisfied, json.loads(answers), form_number) is not None:
        report.already_in += 1
        if len(report.already_in_rows) < DUPLICATE_ROWS_SHOWN:
            report.already_in_rows.append(number)


def _scan(
    path: Path, report: ImportReport, reader: _Reader, writer=None, on_row=None
) -> rollup.Years:
    """Read every row of ``path`` into ``report``; hand each good row to ``writer`` until
    the first bad one (after it, nothing is written: the import will be refused), and to
    ``on_row(number, row)``. Returns the counts of the good rows (of the rows written
    when every row is good), as the roll-up's rows."""
    # Counted in dicts of numbers (a national file has a (commune, month) for almost
    # every row: a list for each would keep Python's garbage collector busy), the
    # unsatisfied ones apart (the fewer), into the roll-up's rows at the end.
    months = rollup.Years()
    responses: dict[rollup.Key, int] = {}
    unsatisfied: dict[rollup.Key, int] = {}
    records = _records(path)
    first = next(records, None)
    if first is None:
        report.error(_("Tệp rỗng."))
        return months
    if reader.header(first[1]) is None:
        return months
    max_rows = conf.import_max_rows()
    check = reader.row
    add = writer.add if writer is not None else None
    sample = report.sample
    responses_of = responses.get
    unsatisfied_of = unsatisfied.get
    rows = satisfied_rows = 0
    first_day = last_day = None
    try:
        for number, cells in records:
            if number - 1 > max_rows and not _is_blank(cells):
                report.error(
                    _("Tệp có quá nhiều dòng: tối đa %s dòng mỗi lần nhập.")
                    % f"{max_rows:,}".replace(",", ".")
                )
                return months
            row = check(number, cells)
            if isinstance(row, list):
                if _is_blank(cells):
                    continue
                report.bad_rows += 1
                add = None
                if report.bad_rows <= MAX_ERRORS_KEPT:
                    report.error(
                        _("dòng %(row)s: %(reasons)s") % {"row": number, "reasons": "; ".join(row)}
                    )
                continue
            commune_id, day, _iso, satisfied, answers, form_number = row
            if len(sample) < SAMPLE_ROWS:
                sample.append(
                    {
                        "row": number,
                        "commune_id": commune_id,
                        "answered_on": day,
                        "satisfied": satisfied,
                        "answers": json.loads(answers),
                        "form_number": form_number,
                    }
                )
            rows += 1
            satisfied_rows += satisfied
            key = (commune_id, day.year, day.month)
            responses[key] = responses_of(key, 0) + 1
            if not satisfied:
                unsatisfied[key] = unsatisfied_of(key, 0) + 1
            if first_day is None or day < first_day:
                first_day = day
            if last_day is None or day > last_day:
                last_day = day
            if on_row is not None:
                on_row(number, row)
            if add is not None:
                add(row)
        if add is not None:
            # PostgreSQL writes the last rows while they are counted below.
            writer.flush()
    finally:
        report.rows += rows
        report.satisfied += satisfied_rows
        months.add_all(responses, unsatisfied)
        per_commune = report.per_commune
        for (commune_id, year), counted in months.items():
            per_commune[commune_id][year] += counted[2]
    reader.finish()
    if report.ok and report.rows == 0:
        report.error(_("Tệp không có dòng dữ liệu nào (chỉ có dòng tên cột)."))
    report.first_day, report.last_day = first_day, last_day
    report.commune_names = {pk: reader.by_pk[pk] for pk in report.per_commune}
    return months


class _CopyWriter:
    """Writes rows into the survey table with one COPY, sending CHUNK_SIZE * COPY_CHUNKS
    rows at a time as they come."""

    # No ``created_at``: the database's default, the time of the import's transaction
    # (read from the text of each row, it cost PostgreSQL a tenth of the COPY).
    COLUMNS = (
        "commune_id, questionnaire_id, answered_on, channel, satisfied, answers, "
        "form_number, comment, import_batch_id, entered_by_id"
    )

    def __init__(self, cursor, *, batch: ImportBatch, questionnaire, by):
        self.copy_context = cursor.copy(
            f"COPY {SurveyResponse._meta.db_table} ({self.COLUMNS}) FROM STDIN"  # nosec B608
        )
        self.copy = self.copy_context.__enter__()
        questionnaire_id = questionnaire.pk if questionnaire else r"\N"
        self.middle = f"\t{questionnaire_id}\t"
        self.channel = f"\t{Channel.IMPORT.value}\t"
        by_id = by.pk if by is not None else r"\N"
        # An imported response has no kiosk comment: the empty text (not NULL).
        self.tail = f"\t\t{batch.pk}\t{by_id}\n"
        self.lines: list[str] = []

    def add(self, row) -> None:
        commune_id, _day, iso, satisfied, answers, form_number = row
        if "\\" in answers:  # COPY's text format doubles backslashes
            answers = answers.replace("\\", "\\\\")
        # A form number holds only letters, digits and / . _ - (_FORM_NUMBER): no escaping.
        number = form_number if form_number is not None else r"\N"
        self.lines.append(
            f"{commune_id}{self.middle}{iso}{self.channel}{'t' if satisfied else 'f'}"
            f"\t{answers}\t{number}{self.tail}"
        )
        if len(self.lines) >= CHUNK_SIZE * COPY_CHUNKS:
            self.flush()

    def flush(self) -> None:
        """Send the rows held: PostgreSQL writes them while the next ones are read."""
        if self.lines:
            self.copy.write("".join(self.lines))
            self.lines = []

    def close(self, error=None) -> None:
        if error is None:
            self.flush()
            self.copy_context.__exit__(None, None, None)
        else:  # abandon the COPY; the transaction is rolled back
            self.copy_context.__exit__(type(error), error, error.__traceback__)


class _BulkWriter:
    """Writes rows with bulk_create, CHUNK_SIZE at a time (SQLite and other databases)."""

    def __init__(self, *, batch: ImportBatch, questionnaire, by, at):
        self.batch, self.questionnaire, self.by, self.at = batch, questionnaire, by, at
        self.chunk: list[SurveyResponse] = []

    def add(self, row) -> None:
        commune_id, day, _iso, satisfied, answers, form_number = row
        self.chunk.append(
            SurveyResponse(
                commune_id=commune_id,
                questionnaire=self.questionnaire,
                answered_on=day,
                channel=Channel.IMPORT,
                satisfied=satisfied,
                answers=json.loads(answers),
                form_number=form_number,
                import_batch=self.batch,
                entered_by=self.by,
                created_at=self.at,
            )
        )
        if len(self.chunk) >= CHUNK_SIZE:
            self.flush()

    def flush(self) -> None:
        SurveyResponse.objects.bulk_create(self.chunk)
        self.chunk = []

    def close(self, error=None) -> None:
        if error is None:
            self.flush()


class _Refused(Exception):
    """Raised inside the import's transaction to roll it back."""


@collector_paused()
def survey_file_import(
    *, path: Path, filename: str, by=None, replace: bool = False
) -> ImportReport:
    """Import every new row of the file, or none: raises ImportRefused with the report.

    The file is read once: each good row is written as it is read, inside one
    transaction that is rolled back if any row is bad (or the file cannot be read). Then
    the rows an earlier import already holds are taken out again (found by form number
    or content, see the module's docstring), or, with ``replace``, the earlier files'
    rows of the same communes and days are deleted instead. The file's checksum is
    stored, so the same file is refused at once. Recomputes the status of every commune and
    year in the file in the same transaction (their survey counts alone changed).
    """
    path = Path(path)
    report = ImportReport(filename=filename)
    try:
        _kind(path)
        report.sha256 = file_sha256(path)
    except FileProblem as exc:
        report.error(str(exc))
        raise ImportRefused(report) from None
    if _already_imported(report):
        raise ImportRefused(report)
    questionnaire = active_questionnaire()
    reader = _Reader(report=report, questionnaire=questionnaire, by=by)
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # One import at a time, so that two overlapping files sent at once cannot
                # both find their rows new (SQLite's writers already take turns).
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(hashtext('surveys.import'))")
            report.batch = ImportBatch.objects.create(
                sha256=report.sha256, filename=filename[:255], rows=0, imported_by=by
            )
            read_ahead = None

            def scanned() -> None:
                # The file is read; while the server still writes its last rows, the
                # statuses to compose are read on a second connection.
                nonlocal read_ahead
                read_ahead = statuses_read_ahead(pairs=_pairs(report))

            months = _write(
                path, report, reader, questionnaire=questionnaire, by=by, scanned=scanned
            )
            if not report.ok:
                raise _Refused
            _take_out_repeats(report, replace=replace, months=months)
            if report.written == 0:
                report.error(_nothing_new(report))
                raise _Refused
            _lock_referenced(report, questionnaire, by)
            if not report.ok:
                raise _Refused
            ImportBatch.objects.filter(pk=report.batch.pk).update(rows=report.written)
            report.batch.rows = report.written
            # The roll-up gains what the file added, less what it took out (one upsert,
            # its rows staged now). Only the survey counts of these communes' years
            # changed: their statuses are recomputed now, so that they are current when
            # the import commits; the upsert is sent first, and PostgreSQL writes it while
            # the statuses are composed.
            recompute_after_surveys(
                pairs=_pairs(report),
                added={key: (row[2], row[3]) for key, row in months.items()},
                read_ahead=read_ahead,
                first=rollup.months_staged(months),
            )
    except _Refused:
        report.batch = None
        raise ImportRefused(report) from None
    except IntegrityError as exc:
        # The same file, confirmed twice at once: the checksum's unique index stops
        # the second.
        report.batch = None
        if not _already_imported(report):
            raise
        raise ImportRefused(report) from exc
    return report


def _pairs(report: ImportReport) -> list[tuple[int, int]]:
    """The (commune id, year) pairs of the file's rows."""
    return [
        (commune_id, year)
        for commune_id, years in report.per_commune.items()
        for year in sorted(years)
    ]


def _lock_referenced(report: ImportReport, questionnaire: Questionnaire | None, by) -> None:
    """Check, once per file, what a foreign key constraint checked once per row: the
    communes, the questionnaire and the user the rows name still exist (the survey table
    has no such constraint, see ``SurveyResponse.commune``). On PostgreSQL they are locked
    against deletion until the import commits (``bulk.key_share_locked``). A commune
    deleted since the file was read is a named error, and nothing is written."""
    commune_ids = sorted(report.per_commune)
    found = bulk.key_share_locked(Commune, commune_ids)
    for commune_id in commune_ids:
        if commune_id not in found:
            code, name = report.commune_names.get(commune_id, ("?", "?"))
            report.error(
                _("xã %(code)s (%(name)s) vừa bị xoá khỏi danh mục: tệp không được nhập")
                % {"code": code, "name": name}
            )
    if questionnaire is not None and not bulk.key_share_locked(Questionnaire, [questionnaire.pk]):
        report.error(_("Bộ câu hỏi đang dùng vừa bị xoá: tệp không được nhập"))
    elif questionnaire is not None:
        questionnaire.answered_now()
    if by is not None and not bulk.key_share_locked(get_user_model(), [by.pk]):
        report.error(_("Tài khoản nhập tệp vừa bị xoá: tệp không được nhập"))


def _nothing_new(report: ImportReport) -> str:
    files = ", ".join(
        f"{e.filename} ({timezone.localtime(e.imported_at).strftime('%d/%m/%Y')})"
        for e in report.earlier
    )
    return _(
        "Mọi phiếu của tệp đã có từ lần nhập trước (%(files)s): không có phiếu mới để nhập."
    ) % {"files": files}


def _take_out_repeats(report: ImportReport, *, replace: bool, months: rollup.Years) -> None:
    """Inside the import's transaction, once the file's rows are written: delete those an
    earlier import holds (or, with ``replace``, the earlier files' rows they repeat), and
    take what is deleted out of ``months``, the counts the import adds to the roll-up."""
    report.written = report.rows
    assert report.batch is not None  # created by survey_file_import before the rows
    earlier = _Earlier(report, exclude_batch=report.batch.pk)
    if earlier.empty:
        return
    repeats = []
    new_rows = SurveyResponse.objects.filter(import_batch=report.batch).values_list(
        "pk", "commune_id", "answered_on", "satisfied", "answers", "form_number"
    )
    for pk, commune_id, day, satisfied, answers, form_number in new_rows.iterator(chunk_size=5000):
        if earlier.take(commune_id, day, satisfied, answers or {}, form_number) is not None:
            repeats.append((pk, commune_id, day, satisfied))
    report.already_in = len(repeats)
    _describe_earlier(report, earlier)
    # Deleted with plain DELETE statements: imports write no history rows (their
    # ImportBatch records them), and the ORM's delete would load every row and write a
    # history row for each (two minutes for 100,000 rows instead of a second).
    if replace:
        batch_ids = list(earlier.batches)
        replaceable = _replaceable(report, batch_ids=batch_ids)
        for commune_id, year, month, n, n_satisfied in rollup.months_of(replaceable):
            months.add(commune_id, year, month, -n, -n_satisfied)
        report.replaced = replaceable._raw_delete(replaceable.db)  # noqa: SLF001
        # A file all of whose rows were replaced is gone; its checksum with it.
        ImportBatch.objects.filter(pk__in=batch_ids, responses__isnull=True).delete()
        for batch_id in batch_ids:
            ImportBatch.objects.filter(pk=batch_id).update(
                rows=SurveyResponse.objects.filter(import_batch_id=batch_id).count()
            )
        return
    for _pk, commune_id, day, satisfied in repeats:
        months.add(commune_id, day.year, day.month, -1, -int(satisfied))
    pks = [repeat[0] for repeat in repeats]
    for start in range(0, len(pks), 900):  # SQLite's limit of query parameters
        chunk = SurveyResponse.objects.filter(pk__in=pks[start : start + 900])
        chunk._raw_delete(chunk.db)  # noqa: SLF001
    report.written = report.rows - len(repeats)


def _write(
    path: Path, report: ImportReport, reader: _Reader, *, questionnaire, by, scanned=None
) -> rollup.Years:
    """Read the file, writing its good rows; the caller's transaction decides. Returns
    the counts of the rows written, as the roll-up's rows. ``scanned()`` is called once
    every row is read and sent, before the server has written them all."""
    assert report.batch is not None  # created by survey_file_import before the rows
    writer: _BulkWriter | _CopyWriter
    if connection.vendor != "postgresql":
        writer = _BulkWriter(
            batch=report.batch, questionnaire=questionnaire, by=by, at=timezone.now()
        )
        months = rollup.Years()
        try:
            months = _scan(path, report, reader, writer)
            if report.ok and scanned is not None:
                scanned()
        except FileProblem as exc:
            report.error(str(exc))
        if report.ok:
            writer.close()
        return months
    with connection.cursor() as cursor:
        writer = _CopyWriter(cursor, batch=report.batch, questionnaire=questionnaire, by=by)
        months = rollup.Years()
        try:
            months = _scan(path, report, reader, writer)
            if report.ok and scanned is not None:
                scanned()
        except FileProblem as exc:
            report.error(str(exc))
        except BaseException as exc:
            writer.close(exc)
            raise
        if report.ok:
            writer.close()
        else:
            writer.close(_Refused())
    return months
