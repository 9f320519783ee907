"""List filters of the communes app (django-filter)."""

import django_filters
from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from communes.models import Commune, Evidence
from communes.selectors import checklist_years, overdue_before


def _visible_communes(request):
    if request is None:
        return Commune.objects.none()
    return Commune.objects.visible_to(request.user).order_by("name")


class ReviewQueueFilter(django_filters.FilterSet):
    """Narrow the review queue to a commune, a year, or what is overdue."""

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
        fields = ["commune", "year", "overdue"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["year"].extra["choices"] = [(str(y), str(y)) for y in checklist_years()]

    @property
    def helper(self):
        helper = FormHelper()
        helper.form_method = "get"
        helper.form_class = "row g-2 align-items-end"
        helper.layout = Layout(
            Div("commune", css_class="col-12 col-md-4"),
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
