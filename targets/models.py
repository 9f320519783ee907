"""Yearly targets and each commune's computed status (the year's rule is in communes.models)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from communes import models as communes_models
from communes.models import Commune, District, ProgrammeYear


class YearTarget(models.Model):
    """The share of communes to be certified by the end of a year, province-wide or per district."""

    year = models.PositiveSmallIntegerField(_("năm"))
    district = models.ForeignKey(
        District,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="targets",
        verbose_name=_("huyện (để trống: toàn tỉnh)"),
    )
    percent = models.DecimalField(_("chỉ tiêu (%)"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("chỉ tiêu năm")
        verbose_name_plural = _("chỉ tiêu năm")
        ordering = ["year", "district"]
        constraints = [
            models.UniqueConstraint(
                fields=["year"], condition=Q(district=None), name="one_province_target_a_year"
            ),
            models.UniqueConstraint(
                fields=["year", "district"],
                condition=Q(district__isnull=False),
                name="one_district_target_a_year",
            ),
            models.CheckConstraint(
                name="target_percent_0_100", condition=Q(percent__gte=0, percent__lte=100)
            ),
        ]

    def __str__(self):
        return f"{self.year}: {self.percent}%"

    def save(self, *args, **kwargs):
        # Any year with a target is a programme year.
        ProgrammeYear.objects.get_or_create(year=self.year)
        super().save(*args, **kwargs)


class CertificationRule(communes_models.CertificationRule):
    """The year's rule as the admin shows it, under targets, where it always was.

    The rule itself lives in ``communes.models`` (every app reads it); this proxy keeps
    the admin's address and its permissions as they were.
    """

    class Meta:
        proxy = True
        verbose_name = _("quy tắc công nhận")
        verbose_name_plural = _("quy tắc công nhận")


class Status(models.TextChoices):
    CERTIFIED = "CERTIFIED", _("Đạt chuẩn")
    IN_PROGRESS = "IN_PROGRESS", _("Đang thực hiện")
    NOT_MET = "NOT_MET", _("Chưa đạt")
    NOT_STARTED = "NOT_STARTED", _("Chưa triển khai")


class CertificationStatus(models.Model):
    """A commune's computed status for a year, with the figures and reasons behind it."""

    # Not indexed alone: the unique (commune, year) constraint's index leads with it.
    commune = models.ForeignKey(
        Commune,
        on_delete=models.CASCADE,
        related_name="statuses",
        verbose_name=_("xã"),
        db_index=False,
    )
    year = models.PositiveSmallIntegerField(_("năm"))
    status = models.CharField(_("trạng thái"), max_length=20, choices=Status)
    # [{"code": "...", "params": {...}}]: rendered into words by targets.reasons.
    reasons = models.JSONField(_("lý do"), default=list)
    survey_responses = models.PositiveIntegerField(_("số phiếu khảo sát"), default=0)
    survey_satisfied = models.PositiveIntegerField(_("số phiếu hài lòng"), default=0)
    evidence_required = models.PositiveIntegerField(
        _("tiêu chí bắt buộc cần minh chứng"), default=0
    )
    evidence_approved = models.PositiveIntegerField(_("tiêu chí bắt buộc đã duyệt"), default=0)
    score = models.PositiveIntegerField(_("điểm tiêu chí chấm điểm"), default=0)
    # Not indexed: every recompute moves it, and an index on it made each of those writes
    # a new row version with new index entries (no HOT update). When a year or a
    # province was last computed is ``ComputedProvince``.
    computed_at = models.DateTimeField(_("tính lúc"))
    changed_at = models.DateTimeField(_("đổi trạng thái lúc"))
    # A digest of the facts, checklist, thresholds and code the status was computed from
    # (targets.facts): the recompute evaluates again only the communes whose digest now
    # differs. Blank (also for a row written without it): not known, evaluated at the
    # next run.
    facts_hash = models.CharField(
        _("dấu dữ kiện"), max_length=32, blank=True, default="", db_default="", editable=False
    )
    # What the verdict is without the survey counts (``targets.rules.Part``), so that a
    # change of survey counts alone is composed with it rather than evaluated whole: the
    # key of the year's rule it was computed under (``targets.facts.YearRule.key``), the
    # digest of the other facts (``facts_hash`` is the digest of this and the counts),
    # and the evidence's points met and pending. The part's reasons are the stored
    # reasons but the survey and score ones. Blank: not known, evaluated whole.
    rule_key = models.CharField(
        _("khóa quy tắc"), max_length=32, blank=True, default="", db_default="", editable=False
    )
    facts_base = models.CharField(
        _("dấu dữ kiện ngoài khảo sát"),
        max_length=32,
        blank=True,
        default="",
        db_default="",
        editable=False,
    )
    evidence_score = models.PositiveIntegerField(
        _("điểm từ minh chứng"), default=0, db_default=0, editable=False
    )
    evidence_pending = models.PositiveIntegerField(
        _("điểm minh chứng còn chờ"), default=0, db_default=0, editable=False
    )

    class Meta:
        verbose_name = _("kết quả công nhận")
        verbose_name_plural = _("kết quả công nhận")
        constraints = [
            models.UniqueConstraint(fields=["commune", "year"], name="one_status_a_year")
        ]
        indexes = [models.Index(fields=["year", "status"])]

    def __str__(self):
        return f"{self.commune} {self.year}: {self.get_status_display()}"


class ComputedYear(models.Model):
    """When every status of a year was last computed: a run of every commune (the nightly
    one) leaves the statuses whose facts did not move as they are, and moves this instead.

    A status was therefore computed at the later of its own ``computed_at`` (when it was
    last evaluated) and its year's ``computed_at`` here (when the facts it was computed
    from were last found to be still the facts): ``computed_at(status)`` and the
    selectors of the last computation read both.
    """

    year = models.PositiveSmallIntegerField(_("năm"), unique=True)
    computed_at = models.DateTimeField(_("tính lúc"))

    class Meta:
        verbose_name = _("năm đã tính")
        verbose_name_plural = _("năm đã tính")

    def __str__(self):
        return f"{self.year}: {self.computed_at:%Y-%m-%d %H:%M}"


class ComputedProvince(models.Model):
    """When a status of a year of a commune of a province was last written: computed,
    its computation time moved, or deleted (the dashboards' and the public page's cache
    keys, ``selectors.last_computed_at``).

    Every writer of statuses moves the stamps of the provinces of the communes it wrote,
    in its transaction (``services``): the latest of a year's or a province's stamps is
    the latest ``computed_at`` of its statuses (or later, after a deletion), read from a
    few dozen rows instead of an index on every status's time, which made each recompute
    of a status a non-HOT update. As with the statuses, a run of every commune moves its
    year's time (``ComputedYear``) rather than these, and the pages show the later of
    the two.
    """

    year = models.PositiveSmallIntegerField(_("năm"))
    province = models.ForeignKey(
        "communes.Province",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("tỉnh"),
    )
    computed_at = models.DateTimeField(_("tính lúc"))

    class Meta:
        verbose_name = _("tỉnh đã tính")
        verbose_name_plural = _("tỉnh đã tính")
        constraints = [
            models.UniqueConstraint(fields=["year", "province"], name="one_stamp_a_province_year")
        ]

    def __str__(self):
        return f"{self.year} {self.province_id}: {self.computed_at:%Y-%m-%d %H:%M}"


class StatusChange(models.Model):
    """The day a commune's status for a year changed: the history behind trend charts."""

    commune = models.ForeignKey(
        Commune, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("xã")
    )
    year = models.PositiveSmallIntegerField(_("năm"))
    from_status = models.CharField(_("từ trạng thái"), max_length=20, choices=Status, blank=True)
    to_status = models.CharField(_("sang trạng thái"), max_length=20, choices=Status)
    at = models.DateTimeField(_("lúc"))

    class Meta:
        verbose_name = _("lịch sử trạng thái")
        verbose_name_plural = _("lịch sử trạng thái")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["year", "at"])]

    def __str__(self):
        before = self.get_from_status_display() or "–"
        return f"{self.commune} {self.year}: {before} → {self.get_to_status_display()}"


def progress_percent(*, done: bool, steps: int, of: int) -> int:
    """A run's progress bar, 0-100: 100 once done, whatever the counts."""
    if done:
        return 100
    if not of:
        return 0
    return min(100, steps * 100 // of)


class RecomputeRun(models.Model):
    """One run of the recompute: when, for what, how it ended."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Đang chờ")
        RUNNING = "running", _("Đang chạy")
        DONE = "done", _("Hoàn tất")
        FAILED = "failed", _("Lỗi")

    class Trigger(models.TextChoices):
        NIGHTLY = "nightly", _("Lịch hằng đêm")
        DASHBOARD = "dashboard", _("Yêu cầu từ trang tổng hợp")
        ADMIN = "admin", _("Yêu cầu từ trang quản trị")
        COMMAND = "command", _("Lệnh quản trị")

    # Empty year: every year that has a rule or a target.
    year = models.PositiveSmallIntegerField(_("năm"), null=True, blank=True)
    # Empty commune: every commune.
    commune = models.ForeignKey(
        Commune, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("xã")
    )
    trigger = models.CharField(
        _("nguồn yêu cầu"), max_length=10, choices=Trigger.choices, default=Trigger.DASHBOARD
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("người yêu cầu"),
    )
    state = models.CharField(
        _("trạng thái"), max_length=10, choices=State.choices, default=State.QUEUED
    )
    queued_at = models.DateTimeField(_("xếp hàng lúc"), auto_now_add=True)
    started_at = models.DateTimeField(_("bắt đầu lúc"), null=True, blank=True)
    finished_at = models.DateTimeField(_("kết thúc lúc"), null=True, blank=True)
    # Progress: (commune, year) pairs written so far, out of all the run covers.
    communes_done = models.PositiveIntegerField(_("đã tính"), default=0)
    communes_total = models.PositiveIntegerField(_("tổng số"), default=0)
    error = models.TextField(_("lỗi"), blank=True)

    class Meta:
        verbose_name = _("lần tính lại")
        verbose_name_plural = _("các lần tính lại")
        ordering = ["-queued_at"]

    def __str__(self):
        return f"{self.queued_at:%d/%m/%Y %H:%M} {self.state}"

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def percent(self) -> int:
        """How far the run is, 0-100 (100 once done, whatever the counts)."""
        return progress_percent(
            done=self.state == self.State.DONE, steps=self.communes_done, of=self.communes_total
        )


class PendingRecompute(models.Model):
    """A commune whose status must be recomputed: the outbox behind ``recompute_later``.

    Written in the same transaction as the change that asks for it, so a recompute that
    could not be queued (Redis down, a crash between commit and publish) is not lost:
    the task clears the row when it has run, and the drain task (every few minutes) and
    the nightly recompute pick up whatever is left.
    """

    commune = models.OneToOneField(Commune, on_delete=models.CASCADE, related_name="+")
    # The year to recompute; None when several years (or all) were asked for.
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    requested_at = models.DateTimeField()

    class Meta:
        verbose_name = _("xã chờ tính lại")
        verbose_name_plural = _("xã chờ tính lại")

    def __str__(self):
        return f"{self.commune} ({self.requested_at:%d/%m/%Y %H:%M})"


class RecognitionDecision(models.Model):
    """A People's Committee's decision recognizing communes as "đạt chuẩn" for a year, or
    withdrawing an earlier recognition (``withdraws``). A draft is edited; once issued
    (number, date, signer and the signed scan recorded) it never changes."""

    class Kind(models.TextChoices):
        RECOGNIZE = "recognize", _("Công nhận")
        WITHDRAW = "withdraw", _("Thu hồi")

    class State(models.TextChoices):
        DRAFT = "draft", _("Dự thảo")
        ISSUED = "issued", _("Đã ban hành")

    year = models.PositiveSmallIntegerField(_("năm"))
    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices)
    state = models.CharField(
        _("tình trạng"), max_length=10, choices=State.choices, default=State.DRAFT
    )
    level = models.CharField(_("cấp ra quyết định"), max_length=10)
    # The district whose People's Committee decides (district level), else empty.
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("huyện"),
    )
    withdraws = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="withdrawals",
        verbose_name=_("thu hồi quyết định"),
    )
    reason = models.TextField(_("lý do thu hồi"), blank=True)
    number = models.CharField(_("số quyết định"), max_length=50, blank=True)
    signed_on = models.DateField(_("ngày ký"), null=True, blank=True)
    signer = models.CharField(_("người ký"), max_length=200, blank=True)
    scan = models.FileField(_("bản quét có chữ ký"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("quyết định công nhận")
        verbose_name_plural = _("quyết định công nhận")
        ordering = ["-year", "-signed_on", "-pk"]
        indexes = [models.Index(fields=["year", "state"])]

    def __str__(self):
        return f"{self.number or _('dự thảo')} ({self.year})"

    def save(self, *args, **kwargs):
        # The last guard of immutability (the services check first): whatever path
        # writes, an issued decision stays as it was issued.
        if (
            self.pk
            and RecognitionDecision.objects.filter(pk=self.pk, state=self.State.ISSUED).exists()
        ):
            raise ValueError("an issued decision cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_issued:
            raise ValueError("an issued decision cannot be deleted")
        return super().delete(*args, **kwargs)

    @property
    def is_issued(self) -> bool:
        return self.state == self.State.ISSUED


class DecisionCommune(models.Model):
    """A commune named in a decision, with its status when it was added and, for a
    commune not CERTIFIED then, the written reason it is named all the same."""

    decision = models.ForeignKey(
        RecognitionDecision, on_delete=models.CASCADE, related_name="entries"
    )
    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, related_name="+", verbose_name=_("xã")
    )
    status_when_added = models.CharField(max_length=20, choices=Status, blank=True)
    reason = models.TextField(_("lý do (xã chưa đạt chuẩn)"), blank=True)

    class Meta:
        verbose_name = _("xã trong quyết định")
        verbose_name_plural = _("xã trong quyết định")
        constraints = [
            models.UniqueConstraint(fields=["decision", "commune"], name="one_entry_a_commune")
        ]

    def __str__(self):
        return f"{self.decision}: {self.commune}"


class ReportRun(models.Model):
    """One build of a meeting report (targets.reports), by a Celery task with progress."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Đang chờ")
        RUNNING = "running", _("Đang lập")
        DONE = "done", _("Hoàn tất")
        FAILED = "failed", _("Lỗi")

    year = models.PositiveSmallIntegerField(_("năm"))
    # The district reported on; empty: the province of ``province``.
    district = models.ForeignKey(
        District, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    province = models.ForeignKey(
        "communes.Province", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    steps_done = models.PositiveSmallIntegerField(default=0)
    steps_total = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(blank=True)
    error = models.TextField(blank=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("lần lập báo cáo")
        verbose_name_plural = _("các lần lập báo cáo")
        ordering = ["-queued_at", "-pk"]

    def __str__(self):
        return f"{self.year} {self.district or self.province or ''} {self.state}"

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def percent(self) -> int:
        return progress_percent(
            done=self.state == self.State.DONE, steps=self.steps_done, of=self.steps_total
        )
