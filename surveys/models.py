"""Citizen satisfaction surveys: questionnaires, questions and one row per response."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
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

    A version that has responses is frozen: its questions can no longer change (the
    answers would then mean something else). To change questions, copy it into a new
    version and activate that one (``services.questionnaire_new_version``).
    """

    version = models.PositiveIntegerField(_("phiên bản"), unique=True)
    title = models.CharField(_("tên"), max_length=200)
    is_active = models.BooleanField(_("đang dùng"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

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
        """True once any response answered this version."""
        return self.pk is not None and self.responses.exists()


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
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("lần nhập tệp")
        verbose_name_plural = _("các lần nhập tệp")

    def __str__(self):
        return self.filename


COMMENT_MAX_LENGTH = 500


class SurveyResponse(models.Model):
    """One citizen's answers. No personal data is kept."""

    # No index of its own: the indexes below start with the commune. A country holds
    # millions of responses, and each index costs every import.
    commune = models.ForeignKey(
        Commune, on_delete=models.CASCADE, related_name="survey_responses", db_index=False
    )
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, null=True, blank=True, related_name="responses"
    )
    answered_on = models.DateField(_("ngày trả lời"))
    channel = models.CharField(_("kênh"), max_length=10, choices=Channel)
    satisfied = models.BooleanField(_("hài lòng"))
    # {question code: 1..5}
    answers = models.JSONField(_("câu trả lời"), default=dict, blank=True)
    import_batch = models.ForeignKey(
        ImportBatch, on_delete=models.CASCADE, null=True, blank=True, related_name="responses"
    )
    # The paper form's number from an imported file (optional): unique per commune and
    # year, it tells a form imported again from a corrected file (surveys.importing).
    form_number = models.CharField(_("số phiếu"), max_length=40, null=True, blank=True)
    # What the citizen wrote at the kiosk, if anything: read by the commune and its
    # reviewers on the survey pages, never shown to the public.
    comment = models.TextField(_("góp ý"), max_length=COMMENT_MAX_LENGTH, blank=True)
    # A kiosk form's one-time token: a double tap sends it twice, and is counted once.
    submission_token = models.CharField(max_length=64, null=True, blank=True, unique=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # When it was recorded (a default, not auto_now_add, so that the demo can date it).
    created_at = models.DateTimeField(_("ghi nhận lúc"), default=timezone.now, editable=False)

    # Who deleted a mistaken entry, and when, stays in the history. Bulk imports and the
    # demo use bulk_create, which writes no history rows (their ImportBatch records them).
    history = HistoricalRecords(excluded_fields=["submission_token"])

    class Meta:
        verbose_name = _("phiếu khảo sát")
        verbose_name_plural = _("phiếu khảo sát")
        indexes = [
            # With ``satisfied``, a commune's (or every commune's) counts of a year are
            # read from the index alone, never from the responses' rows.
            models.Index(
                fields=["commune", "answered_on", "satisfied"], name="survey_commune_day_satisfied"
            ),
            models.Index(fields=["commune", "created_at"]),
        ]

    def __str__(self):
        return f"{self.commune} {self.answered_on:%d/%m/%Y} ({self.channel})"


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

    commune = models.OneToOneField(Commune, on_delete=models.CASCADE, related_name="kiosk")
    token = models.CharField(max_length=64, unique=True, default=new_kiosk_token)
    # The short code printed on the poster, for a citizen who types rather than scans.
    code = models.CharField(
        _("mã ngắn"), max_length=KIOSK_CODE_LENGTH, unique=True, null=True, default=new_kiosk_code
    )
    rotated_at = models.DateTimeField(auto_now=True)

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
