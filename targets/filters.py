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
                Column("district", css_class="col-6 col-md-4 col-xl-2"),
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
    district = django_filters.ModelChoiceFilter(
        label=_("Huyện"), queryset=_districts, empty_label=_("Tất cả"), to_field_name="code"
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
        fields = ["q", "district", "status", "missing", "kind"]
        form = ProvinceCommuneFilterForm

    def __init__(self, *args, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year
        self.filters["missing"].field.label_from_instance = lambda c: f"{c.code} – {c.title}"

    def filter_status(self, queryset, name, value):
        if value == NOT_CERTIFIED:
            # Never computed is not certified either (NULL never equals anything in SQL).
            return queryset.filter(Q(year_status__isnull=True) | ~Q(year_status=Status.CERTIFIED))
        return super().filter_status(queryset, name, value)

    def filter_name(self, queryset, name, value):
        from communes.text import fold

        return queryset.filter(search_name__contains=fold(value))

    def filter_missing(self, queryset, name, value):
        from communes.models import Evidence, EvidenceState

        approved = Evidence.objects.filter(
            criterion=value, year=self.year, state=EvidenceState.APPROVED
        ).values("commune_id")
        return queryset.exclude(pk__in=approved)
