"""List filters of the communes app (django-filter)."""

import django_filters
from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from communes.models import Commune, District, Evidence, Role, scope_of
from communes.selectors import checklist_years, overdue_before


def _visible_communes(request):
    if request is None:
        return Commune.objects.none()
    return Commune.objects.visible_to(request.user).order_by("name")


def _visible_districts(request):
    if request is None:
        return District.objects.none()
    return District.objects.visible_to(request.user).order_by("name")


class ReviewQueueFilter(django_filters.FilterSet):
    """Narrow the review queue to a district, a commune, a year, or what is overdue."""

    district = django_filters.ModelChoiceFilter(
        label=_("Huyện"),
        queryset=_visible_districts,
        empty_label=_("Tất cả các huyện"),
        field_name="commune__district",
        to_field_name="code",
    )
    commune = django_filters.ModelChoiceFilter(
        label=_("Xã"), queryset=_visible_communes, empty_label=_("Tất cả các xã")
    )
    year = django_filters.ChoiceFilter(label=_("Năm"), empty_label=_("Tất cả các năm"), choices=())
    overdue = django_filters.BooleanFilter(
        label=_("Chỉ hiện hồ sơ quá hạn"),
        method="filter_overdue",
        widget=forms.CheckboxInput,
    )

    class Meta:
        model = Evidence
        fields = ["district", "commune", "year", "overdue"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["year"].extra["choices"] = [(str(y), str(y)) for y in checklist_years()]
        scope = scope_of(self.request.user) if self.request is not None else None
        if scope is None or scope.role == Role.DISTRICT or scope.role == Role.COMMUNE:
            del self.filters["district"]  # one district: nothing to choose

    @property
    def helper(self):
        helper = FormHelper()
        helper.form_method = "get"
        helper.form_class = "row g-2 align-items-end"
        helper.layout = Layout(
            *([Div("district", css_class="col-12 col-md-3")] if "district" in self.filters else []),
            Div("commune", css_class="col-12 col-md-3"),
            Div("year", css_class="col-6 col-md-2"),
            Div("overdue", css_class="col-6 col-md-3 pb-2"),
            Div(
                StrictButton(_("Lọc"), type="submit", css_class="btn-outline-primary"),
                css_class="col-12 col-md-2",
            ),
        )
        return helper

    def filter_overdue(self, queryset, name, value):
        if value:
            return queryset.filter(submitted_at__lt=overdue_before())
        return queryset
