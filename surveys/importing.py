"""Import of survey responses from a CSV or XLSX file (DESIGN.md, "Survey import file").

One importer serves the web page and ``manage.py import_survey_responses``:

- ``survey_file_check(path=..., filename=..., by=...)`` reads the file and names every bad
  row, writing nothing (the web preview, ``--dry-run``);
- ``survey_file_import(...)`` reads it once more, writing each good row as it is read,
  inside one transaction that is rolled back if any row is bad: every row or none.

Memory stays bounded whatever the size of the file: the file is streamed (a csv reader
over a text file, openpyxl in read-only mode) and rows are written in chunks; only
counters, the first bad rows and a few sample rows stay in memory. On PostgreSQL the
rows go through COPY; elsewhere through bulk_create.

A national file holds 100,000 rows for thousands of communes, so the common row (codes,
ISO or dd/mm/yyyy dates, 1/0, scores 1-5 as text) is read by a fast path of dictionary
lookups (``_Reader.fast``) that accepts only what the full check (``_Reader.row``) would
accept in the same way; any other row goes through the full check, which names every
problem.
"""

import csv
import datetime
import hashlib
import json
import re
import unicodedata
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communes.hooks import recompute_later_many
from communes.models import Commune
from surveys import conf
from surveys.models import Channel, Element, ImportBatch, Questionnaire, SurveyResponse
from surveys.questions import SATISFIED_FROM, SCALE_MAX, SCALE_MIN
from surveys.selectors import active_questionnaire

REQUIRED_COLUMNS = ("commune_code", "answered_on", "satisfied")
CHUNK_SIZE = 2000
# On PostgreSQL, rows are sorted by commune and written COPY_CHUNKS chunks at a time
# (50,000 rows, a few tens of MB): sorted, they touch far fewer index pages of a table of
# millions (measured: 100,000 rows in 5.3 s rather than 8.5 s, see BENCHMARKS.md).
COPY_CHUNKS = 25
MAX_ERRORS_KEPT = 500
SAMPLE_ROWS = 10
EARLIEST_YEAR = 2000

# The contract's 1/0, có/không, yes/no (also typed without accents).
_TRUE = {"1", "có", "co", "yes"}
_FALSE = {"0", "không", "khong", "no"}
_SCORES = {
    **{str(n): n for n in range(SCALE_MIN, SCALE_MAX + 1)},
    **{n: n for n in range(SCALE_MIN, SCALE_MAX + 1)},
}
# The fast path's exact spellings (the full check also takes other cases and spacing).
_FAST_SATISFIED = {**dict.fromkeys(_TRUE, True), **dict.fromkeys(_FALSE, False)}
_FAST_SCORES = {str(n): n for n in range(SCALE_MIN, SCALE_MAX + 1)}
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_VN = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


class FileProblem(Exception):
    """The file as a whole cannot be read (empty, not a spreadsheet, too big...)."""


class ImportRefused(Exception):
    """Nothing was imported; ``report`` says why."""

    def __init__(self, report):
        super().__init__("; ".join(report.errors[:3]))
        self.report = report


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
    # {commune id: Counter({year: responses})}
    per_commune: dict[int, Counter] = field(default_factory=lambda: defaultdict(Counter))
    commune_names: dict[int, tuple[str, str]] = field(default_factory=dict)  # id: (code, name)
    sample: list[dict] = field(default_factory=list)
    batch: ImportBatch | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def errors_not_shown(self) -> int:
        return max(self.bad_rows - MAX_ERRORS_KEPT, 0)

    def error(self, message: str) -> None:
        self.errors.append(message)

    def commune_rows(self) -> list[tuple[str, str, int, str]]:
        """(code, name, responses, years) per commune in the file, for the preview."""
        rows = []
        for commune_id, years in self.per_commune.items():
            code, name = self.commune_names[commune_id]
            rows.append((code, name, sum(years.values()), ", ".join(map(str, sorted(years)))))
        return sorted(rows)


@dataclass(frozen=True)
class _Row:
    commune_id: int
    answered_on: datetime.date
    satisfied: bool
    answers: dict


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


def _xlsx_rows(path: Path) -> Iterator[tuple]:
    from openpyxl import load_workbook

    not_a_workbook = _("Tệp không phải bảng tính CSV hoặc Excel (.xlsx).")
    # Opened here and handed over as a file: given a path, openpyxl refuses any name
    # that does not end in .xlsx, and the web page keeps uploads as "<id>.upload".
    with open(path, "rb") as handle:
        try:
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except zipfile.BadZipFile as exc:
            raise FileProblem(not_a_workbook) from exc
        except Exception as exc:  # openpyxl raises many kinds for a zip that is not a workbook
            raise FileProblem(not_a_workbook) from exc
        sheet = workbook.worksheets[0]
        # Read every row, whatever size the file claims: some programs write a wrong one,
        # and read-only mode would then stop early without a word.
        sheet.reset_dimensions()
        try:
            yield from sheet.iter_rows(values_only=True)
        except (zipfile.BadZipFile, ValueError, KeyError, SyntaxError) as exc:
            # A damaged sheet (its XML cannot be parsed) shows while reading the rows.
            raise FileProblem(not_a_workbook) from exc
        finally:
            workbook.close()


def _csv_rows(path: Path) -> Iterator[list]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        try:
            first = f.readline()
            # Excel in a comma-decimal locale separates with semicolons.
            delimiter = ";" if first.count(";") > first.count(",") else ","
            f.seek(0)
            yield from csv.reader(f, delimiter=delimiter)
        except UnicodeDecodeError as exc:
            raise FileProblem(
                _("Tệp CSV không ở mã UTF-8: trong Excel hãy chọn “CSV UTF-8” khi lưu.")
            ) from exc
        except csv.Error as exc:
            raise FileProblem(_("Tệp CSV bị lỗi định dạng: %s") % exc) from exc


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
    if code.isdigit():
        return code.lstrip("0") or code
    return code


def _date(value) -> tuple[datetime.date | None, str | None]:
    if isinstance(value, datetime.datetime):
        return value.date(), None
    if isinstance(value, datetime.date):
        return value, None
    text = _text(value)
    if not text:
        return None, _("thiếu ngày trả lời")
    if match := _ISO.match(text):
        year, month, day = map(int, match.groups())
    elif match := _VN.match(text):
        day, month, year = map(int, match.groups())
    else:
        return None, _("ngày “%s” không đúng dạng YYYY-MM-DD hoặc dd/mm/yyyy") % text
    try:
        return datetime.date(year, month, day), None
    except ValueError:
        return None, _("ngày “%s” không có thật") % text


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
    """(score, ok): an empty cell is (None, True)."""
    if isinstance(value, bool):  # an Excel TRUE/FALSE cell (True == 1 in Python)
        return None, False
    if value in _SCORES:  # "1".."5" or 1..5: the common case, kept fast for big files
        return _SCORES[value], True
    text = _text(value)
    if not text:
        return None, True
    if not text.isdigit():
        return None, False
    score = int(text)
    return (score, True) if SCALE_MIN <= score <= SCALE_MAX else (None, False)


class _Reader:
    """Reads and checks rows of one file against the caller's scope and the questionnaire."""

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
            key = name if name in REQUIRED_COLUMNS else self.questions.get(name.upper())
            if key is None:
                self.report.ignored_columns.append(_text(cells[index]))
                continue
            if key in columns:
                self.report.error(_("Cột “%s” xuất hiện hai lần.") % name)
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
        return columns

    def row(self, number: int, cells, columns: dict[str, int]) -> _Row | list[str]:
        """The row read into domain values, or the reasons it is bad."""

        def cell(name):
            index = columns[name]
            return cells[index] if index < len(cells) else None

        reasons = []
        code = _commune_code(cell("commune_code"))
        answered_on, date_problem = _date(cell("answered_on"))
        commune = self.communes.get(code)
        if commune is None and code in self.periods and not date_problem:
            commune = self._in_force(code, answered_on)
            if commune is None:
                reasons.append(
                    _("mã xã “%(code)s” không có đơn vị nào có hiệu lực ngày %(day)s")
                    % {"code": code, "day": answered_on.strftime("%d/%m/%Y")}
                )
        if not code:
            reasons.append(_("thiếu mã xã"))
        elif code not in self.periods:
            reasons.append(_("mã xã “%s” không có trong danh mục") % code)
        elif commune is not None and self.in_scope is not None and commune[0] not in self.in_scope:
            reasons.append(
                _("xã %(code)s (%(name)s) ngoài phạm vi của bạn")
                % {"code": code, "name": commune[1]}
            )
        if date_problem:
            reasons.append(date_problem)
        elif answered_on > self.today:
            reasons.append(_("ngày %s ở tương lai") % answered_on.strftime("%d/%m/%Y"))
        elif answered_on.year < EARLIEST_YEAR:
            reasons.append(_("ngày %s quá xa") % answered_on.strftime("%d/%m/%Y"))
        satisfied = _satisfied(cell("satisfied"))
        if satisfied is None:
            reasons.append(
                _("cột satisfied phải là 1/0, có/không hoặc yes/no, không phải “%s”")
                % _text(cell("satisfied"))
            )
        answers = {}
        for code_ in self.report.question_codes:
            score, ok = _score(cell(code_))
            if not ok:
                reasons.append(
                    _("%(code)s phải là số nguyên từ 1 đến 5, không phải “%(value)s”")
                    % {"code": code_, "value": _text(cell(code_))}
                )
            elif score is not None:
                answers[code_] = score
        overall = answers.get(self.overall_code)
        if (
            satisfied is not None
            and overall is not None
            and (overall >= SATISFIED_FROM) != satisfied
        ):
            reasons.append(
                _("satisfied (%(satisfied)s) trái với câu đánh giá chung %(code)s = %(score)s")
                % {
                    "satisfied": _text(cell("satisfied")),
                    "code": self.overall_code,
                    "score": overall,
                }
            )
        if reasons:
            return reasons
        return _Row(
            commune_id=commune[0], answered_on=answered_on, satisfied=satisfied, answers=answers
        )

    def prepare_fast(self, columns: dict[str, int]) -> None:
        """Set up the fast path for the columns of this file."""
        self.code_at = columns["commune_code"]
        self.day_at = columns["answered_on"]
        self.satisfied_at = columns["satisfied"]
        self.width = max(columns.values()) + 1
        self.scores_at = [
            (columns[code], json.dumps(code) + ":", code == self.overall_code)
            for code in self.report.question_codes
        ]
        self.fast_communes = {
            code: pk
            for code, (pk, _name) in self.communes.items()
            if self.in_scope is None or pk in self.in_scope
        }
        self.fast_days: dict[str, tuple[datetime.date, str]] = {}

    def fast(self, cells):
        """(commune id, day, its ISO text, satisfied, answers as JSON text) for a common,
        valid row; None for any other row, which then goes through ``row``."""
        if len(cells) < self.width:
            return None
        commune_id = self.fast_communes.get(cells[self.code_at])
        if commune_id is None:
            return None
        text = cells[self.day_at]
        day = self.fast_days.get(text)
        if day is None:
            if type(text) is not str:
                return None
            parsed, problem = _date(text)
            if problem or parsed > self.today or parsed.year < EARLIEST_YEAR:
                return None
            day = self.fast_days[text] = (parsed, parsed.isoformat())
        satisfied = _FAST_SATISFIED.get(cells[self.satisfied_at])
        if satisfied is None:
            return None
        parts = []
        for index, key, overall in self.scores_at:
            value = cells[index]
            if value == "":
                continue
            score = _FAST_SCORES.get(value)
            if score is None:
                return None
            if overall and (score >= SATISFIED_FROM) != satisfied:
                return None
            parts.append(f"{key}{score}")
        return commune_id, day[0], day[1], satisfied, "{" + ",".join(parts) + "}"


def _is_blank(cells) -> bool:
    return all(_text(c) == "" for c in cells)


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


def survey_file_check(*, path: Path, filename: str, by=None) -> ImportReport:
    """Read the whole file and report what it holds and every bad row; write nothing.

    ``by`` None (the command line) may import for every commune; a user only for the
    communes in their scope.
    """
    report = ImportReport(filename=filename)
    try:
        _kind(Path(path))
        report.sha256 = file_sha256(Path(path))
        if _already_imported(report):
            return report
        _scan(
            Path(path), report, _Reader(report=report, questionnaire=active_questionnaire(), by=by)
        )
    except FileProblem as exc:
        report.error(str(exc))
    return report


def _scan(path: Path, report: ImportReport, reader: _Reader, writer=None) -> None:
    """Read every row of ``path`` into ``report``; hand each good row to ``writer`` until
    the first bad one (after it, nothing is written: the import will be refused)."""
    records = _records(path)
    columns = None
    max_rows = conf.import_max_rows()
    per_commune = report.per_commune
    fast = reader.fast
    for number, cells in records:
        if number == 1:
            columns = reader.header(cells)
            if columns is None:
                return
            reader.prepare_fast(columns)
            continue
        if number - 1 > max_rows and not _is_blank(cells):
            report.error(
                _("Tệp có quá nhiều dòng: tối đa %s dòng mỗi lần nhập.")
                % f"{max_rows:,}".replace(",", ".")
            )
            return
        row = fast(cells)
        if row is None or len(report.sample) < SAMPLE_ROWS:
            if _is_blank(cells):
                continue
            checked = reader.row(number, cells, columns)
            if isinstance(checked, list):
                report.bad_rows += 1
                if report.bad_rows <= MAX_ERRORS_KEPT:
                    report.error(
                        _("dòng %(row)s: %(reasons)s")
                        % {"row": number, "reasons": "; ".join(checked)}
                    )
                continue
            if len(report.sample) < SAMPLE_ROWS:
                report.sample.append({"row": number, **checked.__dict__})
            row = (
                checked.commune_id,
                checked.answered_on,
                checked.answered_on.isoformat(),
                checked.satisfied,
                json.dumps(checked.answers, separators=(",", ":")),
            )
        commune_id, day, _iso, satisfied, _answers = row
        report.rows += 1
        report.satisfied += satisfied
        per_commune[commune_id][day.year] += 1
        if writer is not None and not report.bad_rows:
            writer.add(row)
    if columns is None:
        report.error(_("Tệp rỗng."))
        return
    if report.ok and report.rows == 0:
        report.error(_("Tệp không có dòng dữ liệu nào (chỉ có dòng tên cột)."))
    report.commune_names = {pk: reader.by_pk[pk] for pk in report.per_commune}


def _commune_of(line: str) -> int:
    """The commune id a COPY line starts with."""
    return int(line[: line.index("\t")])


class _CopyWriter:
    """Writes rows into the survey table with PostgreSQL's COPY, CHUNK_SIZE at a time."""

    COLUMNS = (
        "commune_id, questionnaire_id, answered_on, channel, satisfied, answers, "
        "import_batch_id, entered_by_id, created_at"
    )

    def __init__(self, cursor, *, batch: ImportBatch, questionnaire, by, at):
        self.copy_context = cursor.copy(
            f"COPY {SurveyResponse._meta.db_table} ({self.COLUMNS}) FROM STDIN"  # nosec B608
        )
        self.copy = self.copy_context.__enter__()
        questionnaire_id = questionnaire.pk if questionnaire else r"\N"
        self.middle = f"\t{questionnaire_id}\t"
        self.channel = f"\t{Channel.IMPORT.value}\t"
        by_id = by.pk if by is not None else r"\N"
        self.tail = f"\t{batch.pk}\t{by_id}\t{at.isoformat()}\n"
        self.lines = []

    def add(self, row) -> None:
        commune_id, _day, iso, satisfied, answers = row
        if "\\" in answers:  # COPY's text format doubles backslashes
            answers = answers.replace("\\", "\\\\")
        self.lines.append(
            f"{commune_id}{self.middle}{iso}{self.channel}{'t' if satisfied else 'f'}"
            f"\t{answers}{self.tail}"
        )
        if len(self.lines) >= CHUNK_SIZE * COPY_CHUNKS:
            self.flush()

    def flush(self) -> None:
        """Write the rows held, in the order of the survey table's main index: inserted
        side by side, they touch far fewer index pages of a table of millions."""
        if self.lines:
            self.lines.sort(key=_commune_of)
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
        self.chunk = []

    def add(self, row) -> None:
        commune_id, day, _iso, satisfied, answers = row
        self.chunk.append(
            SurveyResponse(
                commune_id=commune_id,
                questionnaire=self.questionnaire,
                answered_on=day,
                channel=Channel.IMPORT,
                satisfied=satisfied,
                answers=json.loads(answers),
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


def survey_file_import(*, path: Path, filename: str, by=None) -> ImportReport:
    """Import every row of the file, or none: raises ImportRefused with the report.

    The file is read once: each good row is written as it is read, inside one
    transaction that is rolled back if any row is bad (or the file cannot be read). The
    file's checksum is stored, so the same file is never counted twice. Queues the
    recompute of every commune in the file, one set-based task for all of them.
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
            report.batch = ImportBatch.objects.create(
                sha256=report.sha256, filename=filename[:255], rows=0, imported_by=by
            )
            _write(path, report, reader, questionnaire=questionnaire, by=by)
            if not report.ok:
                raise _Refused
            ImportBatch.objects.filter(pk=report.batch.pk).update(rows=report.rows)
            report.batch.rows = report.rows
            recompute_later_many(
                requests=(
                    (commune_id, next(iter(years)) if len(years) == 1 else None)
                    for commune_id, years in report.per_commune.items()
                )
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


def _write(path: Path, report: ImportReport, reader: _Reader, *, questionnaire, by) -> None:
    """Read the file, writing its good rows; the caller's transaction decides."""
    at = timezone.now()
    if connection.vendor != "postgresql":
        writer = _BulkWriter(batch=report.batch, questionnaire=questionnaire, by=by, at=at)
        try:
            _scan(path, report, reader, writer)
        except FileProblem as exc:
            report.error(str(exc))
        if report.ok:
            writer.close()
        return
    with connection.cursor() as cursor:
        writer = _CopyWriter(cursor, batch=report.batch, questionnaire=questionnaire, by=by, at=at)
        try:
            _scan(path, report, reader, writer)
        except FileProblem as exc:
            report.error(str(exc))
        except BaseException as exc:
            writer.close(exc)
            raise
        if report.ok:
            writer.close()
        else:
            writer.close(_Refused())
