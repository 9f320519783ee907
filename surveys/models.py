"""Citizen satisfaction surveys: questionnaires, questions and one row per response."""

import datetime
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from communes.models import Commune


class Element(models.TextChoices):
    """The five SIPAS elements, plus the overall question."""

    ACCESS = "access", _("Tiếp cận dịch vụ")
    PROCEDURES = "procedures", _("Thủ tục hành chính")
    CIVIL_SERVANTS = "civil_servants", _("Công chức giải quyết công việc")
    RESULTS = "results", _("Kết quả giải quyết")
    FEEDBACK = "feedback", _("Tiếp nhận, xử lý góp ý, phản ánh")
    OVERALL = "overall", _("Đánh giá chung")


class Questionnaire(models.Model):
    """One version of the questionnaire. Responses keep the version they answered.

    A version that has been answered is frozen: its questions can no longer change (the
    answers would then mean something else). To change questions, copy it into a new
    version and activate that one (``services.questionnaire_new_version``).
    """

    version = models.PositiveIntegerField(_("phiên bản"), unique=True)
    title = models.CharField(_("tên"), max_length=200)
    is_active = models.BooleanField(_("đang dùng"), default=False)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    # Set by every writer of responses (``answered_now``), and kept when they are deleted:
    # the survey table has no index on its questionnaire to ask it (each import would
    # pay one entry per row in an index of a few keys, 0.2 s per 100,000 rows).
    answered = models.BooleanField(_("đã có phiếu trả lời"), default=False, editable=False)

    class Meta:
        verbose_name = _("bộ câu hỏi")
        verbose_name_plural = _("bộ câu hỏi")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_questionnaire"
            )
        ]

    def __str__(self):
        return f"{self.title} (v{self.version})"

    @property
    def is_frozen(self) -> bool:
        """True once any response answered this version (read again: another instance
        may have recorded it)."""
        return self.pk is not None and type(self).objects.filter(pk=self.pk, answered=True).exists()

    def answered_now(self) -> None:
        """Record that a response answered this version, in the writer's transaction: one
        UPDATE the first time, none after."""
        if not self.answered:
            type(self).objects.filter(pk=self.pk, answered=False).update(answered=True)
            self.answered = True


class Question(models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions"
    )
    code = models.CharField(_("mã"), max_length=20)
    element = models.CharField(_("yếu tố"), max_length=20, choices=Element)
    text = models.CharField(_("câu hỏi"), max_length=300)
    # Added by surveys/translation.py: ``text`` reads the active language's.
    text_vi: str | None
    text_en: str | None
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)

    class Meta:
        verbose_name = _("câu hỏi")
        verbose_name_plural = _("câu hỏi")
        ordering = ["order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "code"], name="question_code_once"),
            models.UniqueConstraint(
                fields=["questionnaire"],
                condition=Q(element="overall"),
                name="one_overall_question",
            ),
        ]

    def __str__(self):
        return f"{self.code}: {self.text}"

    def clean(self):
        if self.questionnaire_id and self.questionnaire.is_frozen:
            raise ValidationError(
                _(
                    "Bộ câu hỏi này đã có phiếu trả lời nên không sửa được câu hỏi; "
                    "hãy tạo phiên bản mới."
                )
            )


class Channel(models.TextChoices):
    KIOSK = "kiosk", _("Máy khảo sát / mã QR")
    PAPER = "paper", _("Phiếu giấy")
    IMPORT = "import", _("Nhập từ tệp")


class ImportBatch(models.Model):
    """One imported file; its checksum keeps the same file from being counted twice."""

    sha256 = models.CharField(max_length=64, unique=True)
    filename = models.CharField(_("tên tệp"), max_length=255)
    rows = models.PositiveIntegerField(_("số dòng"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("người nhập"),
    )
    imported_at = models.DateTimeField(_("nhập lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("lần nhập tệp")
        verbose_name_plural = _("các lần nhập tệp")

    def __str__(self):
        return self.filename


COMMENT_MAX_LENGTH = 500


class SurveyResponseQuerySet(models.QuerySet):
    def of_communes(
        self,
        commune_ids: Iterable[int],
        *,
        since: datetime.date | None = None,
        entered: bool = True,
        batches: "models.QuerySet[ImportBatch] | None" = None,
    ):
        """The responses of ``commune_ids``, read through the table's two indexes: the
        one reader of responses by commune (``SurveyResponse.Meta.indexes``).

        Kiosk and paper rows are found by their commune; imported rows by their batch,
        then their commune: one index descent per batch and commune (PostgreSQL 15
        cannot skip a leading column). So the batches' ids are read first (one query on
        the small table of files) and named in the query. ``since``, the first day the
        caller reads: the files imported before it are left out, none of their rows is
        dated from it on (the importer refuses days still to come; a day's margin for
        time zones). ``entered=False``: imported rows only. ``batches``: of those files
        only (default all).
        """
        ids = list(commune_ids)
        if batches is None:
            batches = ImportBatch.objects.all()
        if since is not None:
            batches = batches.filter(imported_at__date__gte=since - datetime.timedelta(days=1))
        batch_ids = list(batches.order_by("pk").values_list("pk", flat=True))
        where = Q(pk__in=[])
        if entered:
            where |= Q(import_batch__isnull=True, commune_id__in=ids)
        if batch_ids:
            where |= Q(import_batch_id__in=batch_ids, commune_id__in=ids)
        return self.filter(where)

    def of_commune(self, commune, **kwargs):
        """``of_communes`` of one commune (a ``Commune`` or its id)."""
        return self.of_communes([getattr(commune, "pk", commune)], **kwargs)


class SurveyResponse(models.Model):
    """One citizen's answers. No personal data is kept."""

    # The commune, questionnaire and batch have no foreign key constraint in the
    # database (``db_constraint=False``): PostgreSQL checked each imported row against
    # three tables at commit, a third of a national import's writing time (BENCHMARKS.md,
    # "Import, round four"). What the constraints guaranteed still holds: every writer
    # names rows that exist (the importer reads the communes and the questionnaire once
    # per file, and locks those it wrote for against deletion before it commits,
    # ``importing._lock_referenced``; the kiosk, paper entry and demo take model
    # instances), and Django applies ``on_delete`` itself (a questionnaire with
    # responses cannot be deleted, an undone batch takes its rows), as it does with a
    # constraint. A commune's deletion deletes its responses too, through
    # ``services.commune_responses_delete`` (a ``pre_delete`` receiver) rather than a
    # CASCADE: Django's CASCADE reads ``commune_id IN (...)``, which neither index below
    # serves (each holds the commune after a condition on the batch), a sequential scan
    # of the table (1.5-2 s for ten million rows). The admin's deletion of a commune
    # locks it first (``communes.admin.CommuneAdmin``): it waits for an import writing
    # for it, then deletes that import's rows too.
    #
    # No index of its own: the indexes below hold the commune (``Meta.indexes``). A
    # country holds millions of responses, and each index costs every import.
    commune = models.ForeignKey(
        Commune,
        on_delete=models.DO_NOTHING,
        related_name="survey_responses",
        db_index=False,
        db_constraint=False,
        verbose_name=_("xã"),
    )
    # No index: a version's being answered is kept on it (``Questionnaire.answered``).
    # Its deletion, refused when it has responses (PROTECT), reads the table once.
    questionnaire = models.ForeignKey(
        Questionnaire,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="responses",
        db_index=False,
        db_constraint=False,
    )
    answered_on = models.DateField(_("ngày trả lời"))
    channel = models.CharField(_("kênh"), max_length=10, choices=Channel)
    satisfied = models.BooleanField(_("hài lòng"))
    # {question code: 1..5}
    answers = models.JSONField(_("câu trả lời"), default=dict, blank=True)
    import_batch = models.ForeignKey(
        ImportBatch,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="responses",
        db_index=False,  # the partial index below: only imported rows have a batch
        db_constraint=False,  # see ``commune``
    )
    # The paper form's number from an imported file (optional): unique per commune and
    # year, it tells a form imported again from a corrected file (surveys.importing).
    form_number = models.CharField(_("số phiếu"), max_length=40, null=True, blank=True)
    # What the citizen wrote at the kiosk, if anything: read by the commune and its
    # reviewers on the survey pages, never shown to the public.
    comment = models.TextField(_("góp ý"), max_length=COMMENT_MAX_LENGTH, blank=True)
    # A kiosk form's one-time token: a double tap sends it twice, and is counted once.
    submission_token = models.CharField(max_length=64, null=True, blank=True)
    # No index: read only when a user is deleted (SET_NULL, applied by Django), which is
    # rare. No constraint either, as for ``commune``: an import names its user on each of
    # its rows, and a deferred constraint checked each of them again at the commit (0.5 s
    # for 100,000 rows). The import and a paper entry lock their user instead
    # (``services.user_locked``), once.
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    # When it was recorded (a default, not auto_now_add, so that the demo can date it).
    # The database's own default too, the time of the writing transaction: an import's
    # COPY leaves the column out, and PostgreSQL takes a tenth less time to write its rows
    # than when it reads the same time from the text of each (BENCHMARKS.md, round
    # fourteen).
    created_at = models.DateTimeField(
        _("ghi nhận lúc"), default=timezone.now, db_default=Now(), editable=False
    )

    # Who deleted a mistaken entry, and when, stays in the history. Bulk imports and the
    # demo use bulk_create, which writes no history rows (their ImportBatch records them).
    history = HistoricalRecords(excluded_fields=["submission_token"])

    objects = SurveyResponseQuerySet.as_manager()

    class Meta:
        verbose_name = _("phiếu khảo sát")
        verbose_name_plural = _("phiếu khảo sát")
        # Only the indexes something reads: every index costs each imported row a write,
        # and on a table of millions those writes are most of an import's time. Counts
        # are read from ``SurveyYear``, never from here. Read here: a commune's responses
        # of some days (question shares, comments, the import's rows already in, the
        # latest entries: a commune's few thousand rows sorted), an import's rows (its
        # undo), a kiosk token once.
        #
        # A commune's responses are indexed apart by where they come from, and read
        # through both indexes by ``SurveyResponseQuerySet.of_communes``, the one reader
        # by commune. Kiosk and paper rows, written one at a time, by their commune.
        # Imported rows by their batch first: a file's rows all carry the newest batch,
        # so they are appended at the right edge of the index (a few hundred pages in
        # memory) whatever their communes; indexed by commune, each of them touched a
        # random page of a 256 MB index (half a second per 100,000 rows, issue 15).
        indexes = [
            models.Index(
                fields=["commune", "answered_on", "satisfied"],
                condition=Q(import_batch__isnull=True),
                name="survey_entered_commune_day",
            ),
            # Also what the undo of an import reads (its leading column).
            models.Index(
                fields=["import_batch", "commune", "answered_on"],
                condition=Q(import_batch__isnull=False),
                name="survey_batch_commune_day",
            ),
        ]
        constraints = [
            # A kiosk form's token (most rows have none, and need no index entry).
            models.UniqueConstraint(
                fields=["submission_token"],
                condition=Q(submission_token__isnull=False),
                name="survey_submission_token_once",
            ),
        ]

    def __str__(self):
        return f"{self.commune} {self.answered_on:%d/%m/%Y} ({self.channel})"


# The months of a year, 1 to 12: the roll-up keeps one pair of columns per month.
MONTHS = range(1, 13)


class SurveyYear(models.Model):
    """The roll-up of a commune's responses in one year: how many, how many satisfied, in
    the whole year and in each month (``responses_1`` ... ``satisfied_12``).

    What statuses, the recompute and every survey figure read (a country has ~30,000 of
    these for tens of millions of responses). Kept exact by every write of responses, in
    the writer's transaction (``surveys.rollup``): a kiosk or paper answer, a deletion,
    an import and its undo. A response counts for the commune that took it (its
    ``commune``), in the year and month of ``answered_on``.

    One row per year rather than per month: a national import adds to ~20,000 rows
    instead of ~85,000 (each an update of a row with room on its page, in place), and the
    recompute reads a year's counts without summing its months (BENCHMARKS.md, "Import,
    round five").
    """

    commune = models.ForeignKey(
        Commune, on_delete=models.CASCADE, related_name="survey_years", db_index=False
    )
    year = models.PositiveSmallIntegerField()
    # Not unsigned: a deletion is added as a negative count (INSERT ... ON CONFLICT DO
    # UPDATE SET responses = responses + EXCLUDED.responses), and PostgreSQL checks a
    # column's CHECK on the proposed row before it finds the conflict.
    responses = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    # responses_1 ... responses_12 and satisfied_1 ... satisfied_12: added below, one
    # pair per month (``month_fields``).

    class Meta:
        verbose_name = _("số phiếu theo năm")
        verbose_name_plural = _("số phiếu theo năm")
        constraints = [
            models.UniqueConstraint(fields=["commune", "year"], name="survey_year_once"),
        ]

    def __str__(self):
        return f"{self.commune_id} {self.year}: {self.satisfied}/{self.responses}"


def month_fields(month: int) -> tuple[str, str]:
    """The roll-up's columns of ``month`` (1 to 12): responses, satisfied."""
    return f"responses_{month}", f"satisfied_{month}"


for _month in MONTHS:
    for _name in month_fields(_month):
        SurveyYear.add_to_class(_name, models.IntegerField(default=0))


def new_kiosk_token():
    return secrets.token_urlsafe(24)


# Letters nobody confuses with another letter or a digit (no B, G, I, L, O, Q, S, Z):
# 18**6, 34 million codes for a few thousand desks, and the throttle slows guessing.
KIOSK_CODE_ALPHABET = "ACDEFHJKMNPRTUVWXY"
KIOSK_CODE_LENGTH = 6


def new_kiosk_code() -> str:
    return "".join(secrets.choice(KIOSK_CODE_ALPHABET) for _ in range(KIOSK_CODE_LENGTH))


class KioskLink(models.Model):
    """The unguessable public link of a commune's desk survey; staff can rotate it."""

    commune = models.OneToOneField(
        Commune, on_delete=models.CASCADE, related_name="kiosk", verbose_name=_("xã")
    )
    token = models.CharField(max_length=64, unique=True, default=new_kiosk_token)
    # The short code printed on the poster, for a citizen who types rather than scans.
    code = models.CharField(
        _("mã ngắn"), max_length=KIOSK_CODE_LENGTH, unique=True, null=True, default=new_kiosk_code
    )
    rotated_at = models.DateTimeField(_("đổi mã lúc"), auto_now=True)

    class Meta:
        verbose_name = _("đường dẫn khảo sát tại quầy")
        verbose_name_plural = _("đường dẫn khảo sát tại quầy")

    def __str__(self):
        return str(self.commune)


class KioskThrottle(models.Model):
    """How many answers one client (a keyed hash of its address) sent in one minute: the
    kiosk's limit shared by every process when the cache is not (surveys.kiosk)."""

    client = models.CharField(max_length=32)
    minute = models.BigIntegerField()  # minutes since 1970
    hits = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "minute"], name="kiosk_throttle_once")
        ]

    def __str__(self):
        return f"{self.client} @ {self.minute}: {self.hits}"
