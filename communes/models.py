"""Administrative units, the users' scope, steering committees and the certification checklist."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from communes.text import fold


class Role(models.TextChoices):
    ADMIN = "admin", _("Quản trị hệ thống")
    PROVINCE = "province", _("Cán bộ cấp tỉnh")
    # Reviews communes' evidence where there is no district level (from 1/7/2025), for
    # the whole province or for the communes listed in its scope.
    PROVINCE_REVIEWER = "province_reviewer", _("Cán bộ thẩm định cấp tỉnh")
    DISTRICT = "district", _("Cán bộ cấp huyện")
    COMMUNE = "commune", _("Cán bộ cấp xã")


class Level(models.TextChoices):
    PROVINCE = "province", _("Cấp tỉnh")
    DISTRICT = "district", _("Cấp huyện")
    COMMUNE = "commune", _("Cấp xã")


# --- Units ----------------------------------------------------------------------------
#
# A unit is its code *and* the period it is in force (valid_from..valid_to, both
# inclusive, None meaning "since before the programme" / "still in force"): codes are
# reused (7210 was Phường Hoàng Văn Thụ until 30/6/2025 and is Phường Bắc Giang since),
# so nothing may look a unit up by its code alone; ``in_force(on=...)`` is the one place
# that says which units are in force on a date. How a reorganization maps onto rows:
#
# - a unit that keeps its code and its parent keeps its row, even when it absorbs others
#   or changes its name or kind (the row carries the newest name; a "renamed" or
#   "kind_changed" CommuneLink from the row to itself keeps the former name and kind);
# - a unit whose parent changes (another district, another province, no district any
#   more) gets a new row from the effective date, linked to the old one: the district
#   and province dashboards, scopes and histories of earlier years group by the parent
#   the unit had then;
# - merged, split or new units are new rows, linked to their predecessors.


def reference_date(year: int) -> datetime.date:
    """The date whose units a programme year is evaluated on (data; default 1 January)."""
    on = ProgrammeYear.objects.filter(year=year).values_list("reference_date", flat=True).first()
    return on or datetime.date(year, 1, 1)


def in_force_q(on: datetime.date, prefix: str = "") -> Q:
    """The condition "in force on ``on``" of a unit, or of the unit reached through
    ``prefix`` (e.g. ``"commune__"`` from a commune's evidence)."""
    return (Q(**{f"{prefix}valid_from__isnull": True}) | Q(**{f"{prefix}valid_from__lte": on})) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": on})
    )


def reference_dates(years) -> dict[int, datetime.date]:
    """{year: its reference date} for ``years`` (one query)."""
    recorded = dict(
        ProgrammeYear.objects.filter(year__in=list(years)).values_list("year", "reference_date")
    )
    return {year: recorded.get(year) or datetime.date(year, 1, 1) for year in years}


class UnitQuerySet(models.QuerySet):
    def in_force(self, *, on: datetime.date):
        """The units in force on the date ``on``: the one place that says so."""
        return self.filter(in_force_q(on))

    def in_force_in(self, year: int):
        """The units a programme year is evaluated on: those in force on its reference date."""
        return self.in_force(on=reference_date(year))


class Unit(models.Model):
    """What provinces, districts and communes share: a code, a name, a kind, a period."""

    code = models.CharField(_("mã"), max_length=10, db_index=True)
    name = models.CharField(_("tên"), max_length=120)
    kind = models.CharField(_("loại"), max_length=30)
    # Lower-case, accent-free copy of the name, for searching without diacritics.
    search_name = models.CharField(max_length=120, editable=False, db_index=True)
    valid_from = models.DateField(_("hiệu lực từ ngày"), null=True, blank=True)
    valid_to = models.DateField(_("hiệu lực đến ngày"), null=True, blank=True)

    class Meta:
        abstract = True
        # Oldest first on every database: an open start (NULL) is the oldest, which
        # PostgreSQL would otherwise sort last and SQLite first.
        ordering = ["code", F("valid_from").asc(nulls_first=True)]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "valid_from"], name="%(class)s_one_unit_per_code_and_start"
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(valid_from__isnull=True),
                name="%(class)s_one_open_start_per_code",
            ),
            models.CheckConstraint(
                name="%(class)s_period_in_order",
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_from__lte=F("valid_to")),
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.search_name = fold(self.name)
        super().save(*args, **kwargs)

    @property
    def last_year(self) -> int | None:
        """The last calendar year the unit was in force (None while it still is): the
        ``?year=`` that makes a link with its reused code mean this unit."""
        return self.valid_to.year if self.valid_to else None

    def is_in_force(self, on: datetime.date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or on <= self.valid_to
        )

    def clean(self):
        super().clean()
        if self.valid_from and self.valid_to and self.valid_from > self.valid_to:
            raise ValidationError({"valid_to": _("Ngày hết hiệu lực phải sau ngày có hiệu lực.")})
        overlapping = (
            type(self)
            .objects.filter(code=self.code)
            .exclude(pk=self.pk)
            .filter(
                Q(valid_from__isnull=True) | Q(valid_from__lte=self.valid_to or datetime.date.max),
                Q(valid_to__isnull=True) | Q(valid_to__gte=self.valid_from or datetime.date.min),
            )
        )
        if overlapping.exists():
            raise ValidationError(
                {"code": _("Một đơn vị khác có cùng mã đang có hiệu lực trong thời gian này.")}
            )


class ProvinceQuerySet(UnitQuerySet):
    def merged_into(self, province_id):
        """The provinces whose communes became communes of ``province_id`` (Tỉnh Bắc Giang
        for today's Tỉnh Bắc Ninh), from the lineage: their history is its history."""
        return self.filter(communes__successor_links__successor__province_id=province_id)


def _province_q(province_id, prefix: str = "") -> Q:
    """The units of ``province_id`` and of the provinces merged into it (history, read-only
    through the access helpers once out of force).

    The provinces by their ids (``province_and_merged``): as ``= id OR IN (lineage)``,
    PostgreSQL cannot estimate a subquery under OR, guessed half the country's communes
    for one province, and read every status and piece of evidence of the country to keep
    the province's (BENCHMARKS.md, "A provincial official's pages")."""
    return Q(**{f"{prefix}province_id__in": province_and_merged(province_id)})


# How long the provinces merged into a province stay in the cache at most: a change of
# the lineage forgets them at once (``lineage_changed``) where the cache is shared; a
# cache of each process's own hears only of its own changes, so keeps them a minute.
MERGED_PROVINCES_SECONDS = 60 * 60
MERGED_PROVINCES_SECONDS_UNSHARED = 60
_LINEAGE_GENERATION_KEY = "lineage:generation"


def province_and_merged(province_id: int) -> list[int]:
    """``province_id`` and the provinces merged into it (Tỉnh Bắc Giang for today's Tỉnh
    Bắc Ninh), from the shared cache while the lineage has not changed: they change only
    with a reorganization, and every page of a provincial official asks (one query of
    the lineage otherwise)."""
    from django.core.cache import cache

    from friendlygov.cache import stamp_current

    key = f"provinces-merged-into:v2:{province_id}"
    found = cache.get_many([_LINEAGE_GENERATION_KEY, key])
    generation, entry = found.get(_LINEAGE_GENERATION_KEY), found.get(key)
    if generation is not None and entry is not None and entry[0] == generation:
        return entry[1]
    merged = Province.objects.merged_into(province_id).values_list("pk", flat=True)
    ids = sorted({province_id, *merged})
    generation = stamp_current(_LINEAGE_GENERATION_KEY, found)
    if generation is not None:
        shared = getattr(settings, "SHARED_CACHE", False)
        seconds = MERGED_PROVINCES_SECONDS if shared else MERGED_PROVINCES_SECONDS_UNSHARED
        cache.set(key, (generation, ids), seconds)
    return ids


def lineage_changed(**kwargs) -> None:
    """Forget every province's merged provinces (``province_and_merged``): a receiver of
    the saves and deletions of units and links (``CommunesConfig.ready``), and of the
    loaders that write them in bulk. Again once the writer's transaction commits, so that
    a reader during it cannot keep what it read before."""
    from friendlygov.cache import stamp_move

    stamp_move(_LINEAGE_GENERATION_KEY)


class Province(Unit):
    objects = ProvinceQuerySet.as_manager()

    class Meta(Unit.Meta):
        verbose_name = _("tỉnh")
        verbose_name_plural = _("tỉnh")


class DistrictQuerySet(UnitQuerySet):
    def of_province(self, province_id):
        """The districts of ``province_id`` and of the provinces merged into it (what its
        provincial officials see)."""
        return self.filter(_province_q(province_id))

    def visible_to(self, user):
        """The districts whose data ``user`` may see."""
        scope = scope_of(user)
        if scope is None:
            return self.none()
        if scope.sees_everything:
            return self
        if scope.role == Role.PROVINCE_REVIEWER and scope.limited_to.exists():
            return self.filter(communes__in=scope.limited_to.all()).distinct()
        if scope.role in (Role.PROVINCE, Role.PROVINCE_REVIEWER):
            return self.filter(_province_q(scope.province_id))
        if scope.role == Role.DISTRICT:
            return self.filter(pk=scope.district_id)
        return self.filter(communes__pk=scope.commune_id)


class District(Unit):
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="districts", verbose_name=_("tỉnh")
    )

    objects = DistrictQuerySet.as_manager()

    class Meta(Unit.Meta):
        verbose_name = _("huyện")
        verbose_name_plural = _("huyện, thị xã, thành phố")


class CommuneQuerySet(UnitQuerySet):
    def of_province(self, province_id):
        """The communes of ``province_id`` and of the provinces merged into it (what its
        provincial officials see)."""
        return self.filter(_province_q(province_id))

    def visible_to(self, user):
        """The communes whose data ``user`` may see (none for anonymous or unscoped users).

        Scope says who, not when: a district official sees its district's communes of
        every period (read-only once the district is dissolved), a province's officials
        also the history of the provinces merged into it; combine with ``in_force`` for
        the units of one date.
        """
        scope = scope_of(user)
        if scope is None:
            return self.none()
        if scope.sees_everything:
            return self
        if scope.role == Role.PROVINCE:
            return self.filter(_province_q(scope.province_id))
        if scope.role == Role.PROVINCE_REVIEWER:
            limited = self.filter(_province_q(scope.province_id))
            if scope.limited_to.exists():
                limited = limited.filter(pk__in=scope.limited_to.values("pk"))
            return limited
        if scope.role == Role.DISTRICT:
            return self.filter(district_id=scope.district_id)
        return self.filter(pk=scope.commune_id)


class Commune(Unit):
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="communes", verbose_name=_("tỉnh")
    )
    # None from 1/7/2025, when the district level ended.
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="communes",
        verbose_name=_("huyện"),
    )
    is_pilot = models.BooleanField(_("thí điểm"), default=False)
    model_launched_on = models.DateField(_("ngày ra mắt mô hình"), null=True, blank=True)

    objects = CommuneQuerySet.as_manager()
    history = HistoricalRecords()

    # Not stored: set by the public page on the communes it lists (targets.selectors),
    # the recognition in force for the year or None (a targets.decisions.Recognition).
    recognition: object

    class Meta(Unit.Meta):
        verbose_name = _("xã")
        verbose_name_plural = _("xã, phường, thị trấn")

    def save(self, *args, **kwargs):
        if self.province_id is None and self.district_id is not None:
            self.province_id = self.district.province_id
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        if self.district_id and self.province_id and self.district.province_id != self.province_id:
            raise ValidationError({"district": _("Huyện này không thuộc tỉnh đã chọn.")})


class ProgrammeYear(models.Model):
    """A year the programme runs, and the date whose units it is evaluated on.

    Every year with a target is one (a YearTarget records its year here); the reference
    date is data, 1 January unless an administrator sets another.
    """

    year = models.PositiveSmallIntegerField(_("năm"), unique=True)
    reference_date = models.DateField(_("ngày chốt đơn vị hành chính"))

    class Meta:
        verbose_name = _("năm thực hiện")
        verbose_name_plural = _("năm thực hiện")
        ordering = ["year"]
        constraints = [
            models.CheckConstraint(
                name="reference_date_in_its_year",
                condition=Q(reference_date__year=F("year")),
            )
        ]

    def __str__(self):
        return str(self.year)

    def save(self, *args, **kwargs):
        if self.reference_date is None:
            self.reference_date = datetime.date(self.year, 1, 1)
        super().save(*args, **kwargs)


# --- Lineage ----------------------------------------------------------------------------


class Reorganization(models.Model):
    """A resolution that changed units on one date (merges, splits, renames, a level ended)."""

    resolution = models.CharField(_("nghị quyết"), max_length=160)
    effective_on = models.DateField(_("ngày có hiệu lực"))
    note = models.TextField(_("ghi chú"), blank=True)
    recorded_at = models.DateTimeField(_("ghi nhận lúc"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("sắp xếp đơn vị hành chính")
        verbose_name_plural = _("sắp xếp đơn vị hành chính")
        ordering = ["effective_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["resolution", "effective_on"], name="one_reorganization_per_resolution"
            )
        ]

    def __str__(self):
        return f"{self.resolution} ({self.effective_on:%d/%m/%Y})"


class LinkKind(models.TextChoices):
    WHOLE = "whole", _("Nhập toàn bộ")
    PART = "part", _("Nhập một phần")
    UNCHANGED = "unchanged", _("Giữ nguyên")
    RENAMED = "renamed", _("Đổi tên")
    KIND_CHANGED = "kind_changed", _("Đổi loại đơn vị")
    PARENT_CHANGED = "parent_changed", _("Chuyển đơn vị cấp trên")


class Certainty(models.TextChoices):
    VERIFIED = "verified", _("Đã xác minh")
    UNVERIFIED = "unverified", _("Chưa xác minh")
    UNKNOWN = "unknown", _("Chưa rõ đơn vị kế thừa")


class CommuneLinkQuerySet(models.QuerySet):
    def uncertain(self):
        return self.exclude(certainty=Certainty.VERIFIED)


class CommuneLink(models.Model):
    """One lineage link: (part of) ``predecessor`` became (part of) ``successor`` on a date.

    A predecessor the portal does not hold (the communes of old Tỉnh Bắc Ninh) is kept
    as text in the ``predecessor_*`` fields with ``predecessor`` empty; an unknown
    successor (Xã Lão Hộ) leaves ``successor`` empty with certainty UNKNOWN. A unit that
    kept its row while renamed or changing kind links to itself, with its former name
    and kind. Links an administrator checked (``checked_at``) are never overwritten by
    ``load_units``.
    """

    reorganization = models.ForeignKey(
        Reorganization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="links",
        verbose_name=_("đợt sắp xếp"),
    )
    predecessor = models.ForeignKey(
        Commune,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="successor_links",
        verbose_name=_("đơn vị trước"),
    )
    predecessor_code = models.CharField(_("mã đơn vị trước"), max_length=10)
    predecessor_name = models.CharField(_("tên đơn vị trước"), max_length=120)
    # "Huyện Lục Nam (218)", "Tỉnh Bắc Ninh (27)": where the predecessor was, as text, so
    # that units the portal never held can still be grouped by their former parents.
    predecessor_district = models.CharField(_("huyện cũ"), max_length=160, blank=True)
    predecessor_province = models.CharField(_("tỉnh cũ"), max_length=160, blank=True)
    successor = models.ForeignKey(
        Commune,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="predecessor_links",
        verbose_name=_("đơn vị sau"),
    )
    kind = models.CharField(_("hình thức"), max_length=20, choices=LinkKind)
    resolution = models.CharField(_("nghị quyết"), max_length=160, blank=True)
    effective_on = models.DateField(_("ngày có hiệu lực"))
    certainty = models.CharField(
        _("mức chắc chắn"), max_length=20, choices=Certainty, default=Certainty.VERIFIED
    )
    note = models.TextField(_("ghi chú"), blank=True)
    # Where a predecessor is split, the one successor that takes its one-stop desk: its
    # staff's accounts and its printed kiosk posters (chosen on the reorganization screen).
    takes_desk = models.BooleanField(_("nhận bộ phận một cửa"), default=False)
    former_name = models.CharField(_("tên cũ"), max_length=120, blank=True)
    former_kind = models.CharField(_("loại cũ"), max_length=30, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("người kiểm tra"),
    )
    checked_at = models.DateTimeField(_("kiểm tra lúc"), null=True, blank=True)

    objects = CommuneLinkQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("liên kết kế thừa")
        verbose_name_plural = _("liên kết kế thừa")
        ordering = ["effective_on", "predecessor_code", "pk"]
        indexes = [models.Index(fields=["certainty"], name="link_certainty_idx")]
        constraints = [
            models.CheckConstraint(
                name="link_known_successor_unless_unknown",
                condition=Q(successor__isnull=False) | Q(certainty="unknown"),
            )
        ]

    def __str__(self):
        target = self.successor or "?"
        return f"{self.predecessor_name} ({self.predecessor_code}) → {target}"

    @property
    def is_uncertain(self) -> bool:
        return self.certainty != Certainty.VERIFIED


class ProvinceRename(models.Model):
    """A province's own change, keeping its code and its row: Tỉnh Bắc Ninh became a
    centrally-run city (39/2026/QH16, from 20/9/2026). Its data of every year, its
    communes and its users stay as they are; this keeps the name and kind it had before,
    as a commune renamed in place keeps them in its link to itself."""

    reorganization = models.ForeignKey(
        Reorganization,
        on_delete=models.PROTECT,
        related_name="province_renames",
        verbose_name=_("đợt sắp xếp"),
    )
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="renames", verbose_name=_("tỉnh")
    )
    effective_on = models.DateField(_("ngày có hiệu lực"))
    former_name = models.CharField(_("tên cũ"), max_length=120)
    former_kind = models.CharField(_("loại cũ"), max_length=30)
    name = models.CharField(_("tên mới"), max_length=120)
    kind = models.CharField(_("loại mới"), max_length=30)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("đổi tên, đổi loại tỉnh")
        verbose_name_plural = _("đổi tên, đổi loại tỉnh")
        ordering = ["effective_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["reorganization", "province"], name="one_province_rename_per_resolution"
            )
        ]

    def __str__(self):
        return f"{self.former_name} → {self.name} ({self.effective_on:%d/%m/%Y})"


# --- Users and their scope ------------------------------------------------------------


class UserScope(models.Model):
    """A user's role and the one unit it is tied to. Admins need no unit."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="scope",
        verbose_name=_("người dùng"),
    )
    role = models.CharField(_("vai trò"), max_length=20, choices=Role)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("tỉnh")
    )
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("huyện")
    )
    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("xã")
    )
    # A provincial reviewer may be limited to some communes of its province (empty: all).
    limited_to = models.ManyToManyField(
        Commune,
        blank=True,
        related_name="+",
        verbose_name=_("chỉ các xã"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("phạm vi người dùng")
        verbose_name_plural = _("phạm vi người dùng")
        constraints = [
            models.CheckConstraint(
                name="scope_unit_matches_role",
                condition=(
                    Q(role="admin", province=None, district=None, commune=None)
                    | Q(role="province", province__isnull=False, district=None, commune=None)
                    | Q(
                        role="province_reviewer",
                        province__isnull=False,
                        district=None,
                        commune=None,
                    )
                    | Q(role="district", district__isnull=False, province=None, commune=None)
                    | Q(role="commune", commune__isnull=False, province=None, district=None)
                ),
            )
        ]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()} {self.unit or ''}".strip()

    @property
    def unit(self):
        return self.commune or self.district or self.province

    @property
    def sees_everything(self):
        return self.role == Role.ADMIN

    def clean(self):
        needed = {
            Role.PROVINCE: "province",
            Role.PROVINCE_REVIEWER: "province",
            Role.DISTRICT: "district",
            Role.COMMUNE: "commune",
        }.get(self.role)
        errors = {}
        for field in ("province", "district", "commune"):
            value = getattr(self, f"{field}_id")
            if field == needed and value is None:
                errors[field] = _("Vai trò này cần chọn đơn vị.")
            elif field != needed and value is not None:
                errors[field] = _("Vai trò này không gắn với đơn vị cấp này; hãy để trống.")
        if errors:
            raise ValidationError(errors)


class _Everything:
    """The scope of a superuser who has no UserScope row."""

    role = Role.ADMIN
    sees_everything = True
    limited_to = None
    province_id = district_id = commune_id = None
    province = district = commune = unit = None


def scope_of(user):
    """The scope of ``user``: a UserScope, an all-seeing scope for superusers, or None."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    try:
        return user.scope
    except UserScope.DoesNotExist:
        return _Everything() if user.is_superuser else None


# --- Steering committees --------------------------------------------------------------


class SteeringCommitteeQuerySet(models.QuerySet):
    def of_unit(self, unit):
        """The committees of ``unit`` (a Province, District or Commune), newest first."""
        field = {Province: "province", District: "district", Commune: "commune"}[type(unit)]
        return self.filter(**{field: unit}).order_by("-established_on", "-pk")


class SteeringCommittee(models.Model):
    """A Ban Chỉ đạo at one level, set up by a decision.

    A unit may have had several (a new decision replaces the committee); the one in
    force is the most recently established.
    """

    level = models.CharField(_("cấp"), max_length=20, choices=Level)
    province = models.ForeignKey(
        Province,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="committees",
        verbose_name=_("tỉnh"),
    )
    district = models.ForeignKey(
        District,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="committees",
        verbose_name=_("huyện"),
    )
    commune = models.ForeignKey(
        Commune,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="committees",
        verbose_name=_("xã"),
    )
    decision_number = models.CharField(_("số quyết định"), max_length=60)
    established_on = models.DateField(_("ngày thành lập"))
    note = models.TextField(_("ghi chú"), blank=True)

    objects = SteeringCommitteeQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ban chỉ đạo")
        verbose_name_plural = _("ban chỉ đạo")
        ordering = ["-established_on"]
        constraints = [
            models.CheckConstraint(
                name="committee_unit_matches_level",
                condition=(
                    Q(level="province", province__isnull=False, district=None, commune=None)
                    | Q(level="district", district__isnull=False, province=None, commune=None)
                    | Q(level="commune", commune__isnull=False, province=None, district=None)
                ),
            )
        ]

    def __str__(self):
        return f"{_('Ban Chỉ đạo')} {self.unit} ({self.decision_number})"

    @property
    def unit(self):
        return self.commune or self.district or self.province


class MemberRole(models.TextChoices):
    CHAIR = "chair", _("Trưởng ban")
    DEPUTY = "deputy", _("Phó trưởng ban")
    MEMBER = "member", _("Thành viên")


class CommitteeMember(models.Model):
    committee = models.ForeignKey(
        SteeringCommittee, on_delete=models.CASCADE, related_name="members"
    )
    full_name = models.CharField(_("họ và tên"), max_length=120)
    position = models.CharField(_("chức vụ"), max_length=160)
    organisation = models.CharField(_("cơ quan"), max_length=160)
    role = models.CharField(
        _("vai trò"), max_length=20, choices=MemberRole, default=MemberRole.MEMBER
    )
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("thành viên ban chỉ đạo")
        verbose_name_plural = _("thành viên ban chỉ đạo")
        ordering = ["order", "pk"]

    def __str__(self):
        return f"{self.full_name} ({self.get_role_display()})"


# --- The certification checklist ------------------------------------------------------


class CriterionGroup(models.TextChoices):
    FACILITIES = "facilities", _("Cơ sở vật chất Bộ phận một cửa")
    CONDUCT = "conduct", _("Thái độ, tác phong cán bộ")
    PROCEDURES = "procedures", _("Giải quyết thủ tục hành chính")
    IT = "it", _("Ứng dụng công nghệ thông tin")
    SATISFACTION = "satisfaction", _("Sự hài lòng của người dân")
    COMMUNICATION = "communication", _("Tuyên truyền, nhân rộng cách làm hay")


class CriterionKind(models.TextChoices):
    EVIDENCE = "evidence", _("Tài liệu minh chứng")
    MEASURED = "measured", _("Số liệu đo được, có ngưỡng")
    SURVEY = "survey", _("Tính từ khảo sát")


class CriterionQuerySet(models.QuerySet):
    def active_in(self, year: int):
        return self.filter(
            Q(active_from__lte=year), Q(active_to__isnull=True) | Q(active_to__gte=year)
        )


class Criterion(models.Model):
    code = models.CharField(_("mã"), max_length=20, unique=True)
    group = models.CharField(_("nhóm"), max_length=20, choices=CriterionGroup)
    title = models.CharField(_("tiêu chí"), max_length=255)
    how_met = models.TextField(_("cách đánh giá đạt"), blank=True)
    kind = models.CharField(_("loại"), max_length=20, choices=CriterionKind)
    is_required = models.BooleanField(_("bắt buộc"), default=True)
    points = models.PositiveSmallIntegerField(_("điểm"), default=0)
    # For measured criteria: the value must be at least this (e.g. 95 for 95%).
    threshold = models.DecimalField(
        _("ngưỡng"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    unit = models.CharField(_("đơn vị đo"), max_length=20, blank=True)
    active_from = models.PositiveSmallIntegerField(_("áp dụng từ năm"), default=2023)
    active_to = models.PositiveSmallIntegerField(_("áp dụng đến năm"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)

    objects = CriterionQuerySet.as_manager()
    # The history keeps ``title`` and ``how_met`` (the Vietnamese); the language columns
    # that communes/translation.py adds are not in it.
    history = HistoricalRecords(
        excluded_fields=["title_vi", "title_en", "how_met_vi", "how_met_en"]
    )

    class Meta:
        verbose_name = _("tiêu chí")
        verbose_name_plural = _("bộ tiêu chí")
        ordering = ["order", "code"]

    def __str__(self):
        return f"{self.code} – {self.title}"

    @property
    def needs_review(self) -> bool:
        """Survey-derived criteria are computed from responses; the others are reviewed."""
        return self.kind != CriterionKind.SURVEY

    @property
    def is_percentage(self) -> bool:
        return self.unit.strip() == "%"

    def meets_threshold(self, value) -> bool:
        """Whether a measured ``value`` reaches the threshold (True when there is none)."""
        if self.threshold is None:
            return True
        return value is not None and value >= self.threshold


class EvidenceState(models.TextChoices):
    DRAFT = "draft", _("Nháp")
    SUBMITTED = "submitted", _("Đã gửi, chờ duyệt")
    APPROVED = "approved", _("Đã duyệt")
    REJECTED = "rejected", _("Bị trả lại")


class EvidenceQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The evidence of the communes ``user`` may see."""
        return self.filter(commune__in=Commune.objects.visible_to(user))


class Evidence(models.Model):
    """A commune's evidence for one criterion in one year.

    It moves draft -> submitted -> approved, or -> rejected (returned with a note, then
    editable again); every move is an EvidenceTransition. ``version`` is bumped on
    every write so that a form opened before someone else's change is refused.
    """

    commune = models.ForeignKey(
        Commune, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("xã")
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, related_name="evidence", verbose_name=_("tiêu chí")
    )
    year = models.PositiveSmallIntegerField(_("năm"))
    state = models.CharField(
        _("trạng thái"), max_length=20, choices=EvidenceState, default=EvidenceState.DRAFT
    )
    note = models.TextField(_("ghi chú"), blank=True)
    value = models.DecimalField(
        _("giá trị đo"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    submitted_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("duyệt lúc"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    review_comment = models.TextField(_("ý kiến người duyệt"), blank=True)
    # Bumped on every change; a form carries it so that a stale form is refused.
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    # What was approved last time ({"at", "by", "note", "value", "files": [{"id", "name"}]}),
    # so that the commune and the reviewer see what changed since.
    approved_snapshot = models.JSONField(
        _("nội dung lần duyệt gần nhất"), null=True, blank=True, editable=False
    )
    # Evidence a predecessor unit had approved, accepted for this unit by its reviewer.
    carried_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="carried_to",
        verbose_name=_("kế thừa từ minh chứng"),
    )

    objects = EvidenceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("minh chứng")
        verbose_name_plural = _("minh chứng")
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "criterion", "year"], name="one_evidence_per_criterion_year"
            )
        ]
        indexes = [
            models.Index(fields=["year", "state"]),
            # A year's evidence by commune and criterion, with what the rule reads of it:
            # the recompute fingerprints every commune's facts each night (targets.facts)
            # from this index alone, in the order it needs.
            models.Index(
                fields=["year", "commune", "criterion"],
                include=["state", "value"],
                name="evidence_year_facts",
            ),
            # What waits for review, read on every page of a reviewer or provincial
            # official (the navigation's counts) and by the queue.
            models.Index(
                fields=["commune", "submitted_at"],
                condition=Q(state="submitted"),
                name="evidence_awaiting_review",
            ),
        ]

    def __str__(self):
        return f"{self.commune} – {self.criterion.code} – {self.year}"

    @property
    def is_editable(self) -> bool:
        """Commune staff may change a draft or returned evidence, not a submitted one."""
        return self.state in (EvidenceState.DRAFT, EvidenceState.REJECTED)


class EvidenceFile(models.Model):
    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="files")
    # A random name under MEDIA_ROOT/evidence/<commune>/<year>/, never the uploaded name.
    file = models.FileField(_("tệp"), max_length=255)
    # A small JPEG for images, made at upload time; empty for documents.
    thumbnail = models.FileField(_("ảnh thu nhỏ"), max_length=255, blank=True)
    original_name = models.CharField(_("tên tệp gốc"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("tệp minh chứng")
        verbose_name_plural = _("tệp minh chứng")
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class EvidenceTransition(models.Model):
    """One move of an evidence's state: who, when, from what to what, with the note."""

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=20, choices=EvidenceState, blank=True)
    to_state = models.CharField(max_length=20, choices=EvidenceState)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("lịch sử xử lý minh chứng")
        verbose_name_plural = _("lịch sử xử lý minh chứng")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.evidence}: {self.from_state or '–'} → {self.to_state}"


# --- Good practices and facility investment -------------------------------------------


class GoodPractice(models.Model):
    """A way of working worth spreading ("nhân rộng cách làm hay"), e.g. Fast Friday."""

    code = models.SlugField(_("mã"), max_length=40, unique=True)
    name = models.CharField(_("tên cách làm"), max_length=160)
    description = models.TextField(_("mô tả"))
    origin = models.ForeignKey(
        Commune,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="originated_practices",
        verbose_name=_("nơi khởi xướng"),
    )
    started_on = models.DateField(_("bắt đầu từ"), null=True, blank=True)

    # Not stored: set by the dashboards on the practices they show (targets.selectors),
    # the communes in scope that adopted it by the year's end and their share in percent.
    adopters: int
    adopters_rate: Decimal | None

    class Meta:
        verbose_name = _("cách làm hay")
        verbose_name_plural = _("cách làm hay")
        ordering = ["name"]

    def __str__(self):
        return self.name


class PracticeAdoption(models.Model):
    practice = models.ForeignKey(GoodPractice, on_delete=models.CASCADE, related_name="adoptions")
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="adoptions")
    adopted_on = models.DateField(_("ngày áp dụng"))
    note = models.TextField(_("ghi chú"), blank=True)

    class Meta:
        verbose_name = _("đơn vị áp dụng")
        verbose_name_plural = _("đơn vị áp dụng")
        constraints = [
            models.UniqueConstraint(fields=["practice", "commune"], name="adopt_practice_once")
        ]

    def __str__(self):
        return f"{self.practice} – {self.commune}"


class FacilityInvestment(models.Model):
    """Money for one-stop-desk facilities, of one unit in one year.

    A row is for a commune (``commune``; its ``district`` is the commune's own, filled in
    on save, and empty for a commune with no district, as every commune from 1/7/2025) or
    for a district as a whole (``district``, no commune). Figures are summed per district
    while there are districts, per commune (and its former units) after.
    """

    # Empty for a commune of a province without districts (from 1/7/2025).
    district = models.ForeignKey(
        District,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="investments",
        verbose_name=_("huyện"),
    )
    commune = models.ForeignKey(
        Commune,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="investments",
        verbose_name=_("xã"),
    )
    year = models.PositiveSmallIntegerField(_("năm"))
    planned_vnd = models.BigIntegerField(_("kế hoạch (đồng)"), default=0)
    spent_vnd = models.BigIntegerField(_("đã chi (đồng)"), default=0)
    note = models.CharField(_("ghi chú"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("kinh phí đầu tư cơ sở vật chất")
        verbose_name_plural = _("kinh phí đầu tư cơ sở vật chất")
        ordering = ["year", "district", "commune"]
        constraints = [
            models.CheckConstraint(
                name="investment_of_a_commune_or_a_district",
                condition=Q(commune__isnull=False) | Q(district__isnull=False),
            )
        ]

    def __str__(self):
        return f"{self.commune or self.district} {self.year}"

    def save(self, *args, **kwargs):
        if self.commune_id and self.district_id is None:
            self.district_id = self.commune.district_id
        super().save(*args, **kwargs)

    def clean(self):
        if self.commune_id is None and self.district_id is None:
            raise ValidationError(_("Hãy chọn xã, hoặc huyện cho khoản kinh phí cấp huyện."))
        if self.commune_id and self.district_id and self.commune.district_id != self.district_id:
            if self.commune.district_id is None:
                raise ValidationError(
                    {"district": _("Xã này không thuộc huyện nào; hãy để trống huyện.")}
                )
            raise ValidationError({"commune": _("Xã này không thuộc huyện đã chọn.")})


class ChecklistDeadline(models.Model):
    """A year's deadlines: the communes' submissions, then the reviewers' decisions.

    After ``submission_deadline`` a commune's checklist is closed (read-only) unless its
    reviewer granted it a DeadlineExtension; the rule lives in
    ``communes.selectors.deadline_state``.
    """

    year = models.PositiveSmallIntegerField(_("năm"), unique=True)
    submission_deadline = models.DateField(_("hạn nộp minh chứng"))
    review_deadline = models.DateField(_("hạn duyệt minh chứng"))

    class Meta:
        verbose_name = _("thời hạn năm")
        verbose_name_plural = _("thời hạn năm")
        ordering = ["year"]
        constraints = [
            models.CheckConstraint(
                name="review_after_submission",
                condition=Q(review_deadline__gte=models.F("submission_deadline")),
            )
        ]

    def __str__(self):
        return f"{self.year}: {self.submission_deadline:%d/%m/%Y}, {self.review_deadline:%d/%m/%Y}"


class DeadlineExtension(models.Model):
    """A reviewer's permission for one commune to keep submitting a year's evidence until
    ``until``, after the year's submission deadline. Its changes are kept (history)."""

    commune = models.ForeignKey(
        Commune, on_delete=models.CASCADE, related_name="extensions", verbose_name=_("xã")
    )
    year = models.PositiveSmallIntegerField(_("năm"))
    until = models.DateField(_("gia hạn đến ngày"))
    note = models.TextField(_("ghi chú"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("người gia hạn"),
    )
    granted_at = models.DateTimeField(_("gia hạn lúc"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("gia hạn nộp minh chứng")
        verbose_name_plural = _("gia hạn nộp minh chứng")
        constraints = [
            models.UniqueConstraint(fields=["commune", "year"], name="one_extension_a_year")
        ]

    def __str__(self):
        return f"{self.commune} {self.year} → {self.until:%d/%m/%Y}"


class CertificationRule(models.Model):
    """The thresholds of the certification rule for one year.

    Read it through ``communes.selectors.certification_rule(year=...)``: the one loader,
    which falls back to the defaults of DESIGN.md for a year without a row."""

    year = models.PositiveSmallIntegerField(_("năm"), unique=True)
    satisfaction_threshold = models.DecimalField(
        _("tỷ lệ hài lòng tối thiểu (%)"), max_digits=5, decimal_places=2, default=Decimal("85")
    )
    min_responses = models.PositiveIntegerField(_("số phiếu khảo sát tối thiểu"), default=30)
    pass_score = models.PositiveIntegerField(_("điểm đạt (tiêu chí chấm điểm)"), default=0)
    # Who recognizes the year's communes: district People's Committees until 30/6/2025,
    # the province's after (no district level from 1/7/2025). Data, not code.
    recognizing_level = models.CharField(
        _("cấp ra quyết định công nhận"),
        max_length=10,
        choices=[("district", _("UBND cấp huyện")), ("province", _("UBND cấp tỉnh"))],
        default="province",
    )
    target_on_recognized = models.BooleanField(
        _("tính chỉ tiêu trên số xã đã có quyết định công nhận"), default=False
    )

    class Meta:
        # Created by targets' first migration; the model moved here so that every app can
        # read a year's rule (communes is the lowest layer). The table kept its name.
        db_table = "targets_certificationrule"
        verbose_name = _("quy tắc công nhận")
        verbose_name_plural = _("quy tắc công nhận")
        ordering = ["year"]

    def __str__(self):
        return str(self.year)


# --- Notifications ----------------------------------------------------------------------


class NotificationKind(models.TextChoices):
    SUBMITTED = "submitted", _("Minh chứng được gửi duyệt")
    RETURNED = "returned", _("Minh chứng bị trả lại")
    APPROVED = "approved", _("Minh chứng được duyệt")
    STATUS = "status", _("Kết quả đánh giá thay đổi")
    DIGEST = "digest", _("Tổng hợp việc quá hạn hằng tuần")


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """Something that happened that ``user`` should know, shown in the portal and, if the
    user wants that kind by e-mail, mailed.

    It is also the e-mail outbox: written in the transaction of the change that caused
    it with ``email_pending`` set, and cleared by the task that sends it, so a mail that
    could not be queued (Redis down) is sent by the next drain instead of being lost.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("loại"), max_length=20, choices=NotificationKind)
    commune = models.ForeignKey(
        Commune, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # What the message says, rendered in the reader's language when shown
    # (communes.notifications.message): criterion code, year, note, statuses, counts.
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_pending = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("thông báo")
        verbose_name_plural = _("thông báo")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
            models.Index(
                fields=["created_at"],
                condition=Q(email_pending=True),
                name="notification_email_outbox",
            ),
        ]

    def __str__(self):
        return f"{self.user} – {self.get_kind_display()}"


class NotificationPreference(models.Model):
    """Which notifications a user also wants by e-mail (all of them unless they say no)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_submitted = models.BooleanField(
        _("Minh chứng được gửi duyệt (cán bộ duyệt)"), default=True
    )
    email_reviewed = models.BooleanField(
        _("Minh chứng bị trả lại hoặc được duyệt (cán bộ xã)"), default=True
    )
    email_status = models.BooleanField(_("Kết quả đánh giá của xã thay đổi"), default=True)
    email_digest = models.BooleanField(_("Tổng hợp việc quá hạn hằng tuần"), default=True)
    # The language the mails are written in: the one the user last chose in the portal
    # (the language form of every page sets it), or here.
    language = models.CharField(
        _("Ngôn ngữ của thư"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )

    class Meta:
        verbose_name = _("tùy chọn nhận thư")
        verbose_name_plural = _("tùy chọn nhận thư")

    def __str__(self):
        return str(self.user)

    def wants_email(self, kind: str) -> bool:
        field = {
            NotificationKind.SUBMITTED: "email_submitted",
            NotificationKind.RETURNED: "email_reviewed",
            NotificationKind.APPROVED: "email_reviewed",
            NotificationKind.STATUS: "email_status",
            NotificationKind.DIGEST: "email_digest",
        }[kind]  # type: ignore[index]
        return getattr(self, field)
