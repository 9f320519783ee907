"""List filters of the dashboards (django-filter)."""

import django_filters
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from communes.models import Commune
from targets.models import Status
from targets.tables import KIND_LABELS

NOT_COMPUTED = "NONE"
NOT_CERTIFIED = "NOT_CERTIFIED"


class CommuneFilterForm(forms.Form):
    """The filter bar above a district's commune table; the page draws the <form> tag
    (a GET form that also carries the year)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Row(
                Column("status", css_class="col-sm-4"),
                Column("kind", css_class="col-sm-4"),
                Column(
                    Submit("", _("Lọc"), css_class="mt-sm-4"),
                    css_class="col-sm-auto",
                ),
            )
        )


class CommuneFilter(django_filters.FilterSet):
    """Filter a district's communes (annotated by ``selectors.commune_rows``) by their
    status of the year and their kind."""

    status = django_filters.ChoiceFilter(
        label=_("Trạng thái"),
        choices=[*Status.choices, (NOT_COMPUTED, _("Chưa tính"))],
        empty_label=_("Tất cả"),
        method="filter_status",
    )
    kind = django_filters.ChoiceFilter(
        label=_("Loại đơn vị"),
        choices=list(KIND_LABELS.items()),
        empty_label=_("Tất cả"),
    )

    class Meta:
        model = Commune
        fields = ["status", "kind"]
        form = CommuneFilterForm

    def filter_status(self, queryset, name, value):
        if value == NOT_COMPUTED:
            return queryset.filter(year_status__isnull=True)
        return queryset.filter(year_status=value)


class ProvinceCommuneFilterForm(forms.Form):
    """The filter bar of the province's commune list (a GET form; the page draws the tag)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Row(
                Column("q", css_class="col-12 col-md-4 col-xl-2"),
                *(
                    [Column("province", css_class="col-6 col-md-4 col-xl-2")]
                    if "province" in self.fields
                    else []
                ),
                Column("district", css_class="col-6 col-md-4 col-xl-2"),
                Column("former_district", css_class="col-6 col-md-4 col-xl-2"),
                Column("status", css_class="col-6 col-md-4 col-xl-2"),
                Column("missing", css_class="col-12 col-md-6 col-xl-3"),
                Column("kind", css_class="col-6 col-md-3 col-xl-2"),
                Column(Submit("", _("Lọc"), css_class="mt-md-4"), css_class="col-6 col-md-auto"),
            )
        )


def _districts(request):
    from communes.models import District

    if request is None:
        return District.objects.none()
    return District.objects.visible_to(request.user).order_by("name")


def _former_districts(request) -> list[tuple[str, str]]:
    """The former districts of the communes ``request``'s user sees: where the
    predecessors of communes formed on 1/7/2025 were."""
    from communes.models import CommuneLink

    if request is None:
        return []
    texts = (
        CommuneLink.objects.filter(successor__in=Commune.objects.visible_to(request.user))
        .exclude(predecessor_district="")
        .values_list("predecessor_district", flat=True)
        .distinct()
        .order_by("predecessor_district")
    )
    return [(text, text) for text in texts]


def _criteria(request):
    from communes.models import Criterion

    return Criterion.objects.exclude(kind="survey").order_by("order", "code")


class ProvinceCommuneFilter(CommuneFilter):
    """The province's (or a district's) communes: by name without diacritics ("tam di"
    finds "Tam Dị"), district, status, a criterion still without approved evidence for the
    year, and kind."""

    status = django_filters.ChoiceFilter(
        label=_("Trạng thái"),
        choices=[
            (NOT_CERTIFIED, _("Chưa đạt chuẩn (mọi trạng thái khác)")),
            *Status.choices,
            (NOT_COMPUTED, _("Chưa tính")),
        ],
        empty_label=_("Tất cả"),
        method="filter_status",
    )
    q = django_filters.CharFilter(label=_("Tên xã"), method="filter_name")
    # Administrators see every province: they pick one, then one of its districts.
    province = django_filters.ChoiceFilter(
        label=_("Tỉnh"), choices=(), empty_label=_("Tất cả"), field_name="province__code"
    )
    district = django_filters.ModelChoiceFilter(
        label=_("Huyện"), queryset=_districts, empty_label=_("Tất cả"), to_field_name="code"
    )
    # From 1/7/2025 there are no districts: a commune is found by where its predecessors
    # were ("Huyện Lục Nam (218)"), as its lineage links record it.
    former_district = django_filters.ChoiceFilter(
        label=_("Huyện trước 01/07/2025"),
        choices=[],
        empty_label=_("Tất cả"),
        method="filter_former_district",
    )
    missing = django_filters.ModelChoiceFilter(
        label=_("Còn thiếu tiêu chí"),
        queryset=_criteria,
        empty_label=_("Bất kỳ"),
        method="filter_missing",
        to_field_name="code",
    )

    class Meta:
        model = Commune
        fields = ["q", "province", "district", "former_district", "status", "missing", "kind"]
        form = ProvinceCommuneFilterForm

    def __init__(self, *args, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year
        self.filters["missing"].field.label_from_instance = lambda c: f"{c.code} – {c.title}"
        self.filters["former_district"].extra["choices"] = _former_districts(self.request)
        self._bound_choices()

    def _bound_choices(self):
        """No select longer than SELECT_LIMIT: an administrator's 705 districts are offered
        once a province is chosen (a district's code in the address still filters)."""
        from communes.filters import SELECT_LIMIT, _province_choices
        from communes.models import scope_of

        scope = scope_of(self.request.user) if self.request is not None else None
        if scope is not None and scope.sees_everything:
            self.filters["province"].extra["choices"] = _province_choices()
        else:
            del self.filters["province"]
        province = (self.data or {}).get("province", "") if "province" in self.filters else ""
        district = self.form.fields["district"]
        districts = district.queryset
        if province:
            districts = districts.filter(province__code=province)
        options = list(districts[: SELECT_LIMIT + 1])
        if len(options) > SELECT_LIMIT:
            district.widget = forms.HiddenInput()
        else:
            district.widget.choices = [("", district.empty_label)] + [
                (d.code, d.name) for d in options
            ]
        former = self.form.fields["former_district"]
        if len(former.choices) > SELECT_LIMIT + 1:
            former.widget = forms.HiddenInput()

    def filter_status(self, queryset, name, value):
        if value == NOT_CERTIFIED:
            # Never computed is not certified either (NULL never equals anything in SQL).
            return queryset.filter(Q(year_status__isnull=True) | ~Q(year_status=Status.CERTIFIED))
        return super().filter_status(queryset, name, value)

    def filter_name(self, queryset, name, value):
        from communes.text import fold

        return queryset.filter(search_name__contains=fold(value))

    def filter_former_district(self, queryset, name, value):
        from communes.models import CommuneLink

        formed_from = CommuneLink.objects.filter(predecessor_district=value).values("successor_id")
        return queryset.filter(pk__in=formed_from)

    def filter_missing(self, queryset, name, value):
        from communes.models import Evidence, EvidenceState

        approved = Evidence.objects.filter(
            criterion=value, year=self.year, state=EvidenceState.APPROVED
        ).values("commune_id")
        return queryset.exclude(pk__in=approved)
