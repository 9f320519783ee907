"""List filters of the dashboards (django-filter)."""

import django_filters
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from communes.models import Commune
from targets.models import Status
from targets.tables import KIND_LABELS

NOT_COMPUTED = "NONE"


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
