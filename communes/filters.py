"""List filters of the communes app (django-filter)."""

from collections import Counter

import django_filters
from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Layout
from django import forms
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from communes.models import Commune, District, Evidence, EvidenceState, Role, scope_of
from communes.selectors import checklist_years, overdue_before
from communes.text import fold


def _visible_communes(request):
    if request is None:
        return Commune.objects.none()
    return Commune.objects.visible_to(request.user).order_by("name")


def _visible_districts(request):
    if request is None:
        return District.objects.none()
    return District.objects.visible_to(request.user).order_by("name")


# A select holds at most this many options; past it (an administrator sees 10,598
# communes and 705 districts) the filter narrows by province or district first and finds
# a commune by a text search of its name or code.
SELECT_LIMIT = 200


def _province_choices() -> list[tuple[str, str]]:
    """(code, name) of every province, the newest name of a code."""
    from communes.models import Province

    names: dict[str, str] = {}
    for code, name in Province.objects.order_by(F("valid_from").asc(nulls_first=True)).values_list(
        "code", "name"
    ):
        names[code] = name
    return sorted(names.items(), key=lambda item: fold(item[1]))


class _ScopedListFilter(django_filters.FilterSet):
    """What the lists' filters share: a value outside the caller's scope (a form error)
    finds nothing, and the fields laid out in one row, those not in ``shown`` hidden."""

    shown: set[str]

    @property
    def qs(self):
        if self.is_bound and not self.form.is_valid():
            return self.queryset.none()  # outside the scope, or not a value at all
        return super().qs

    def _row(self, columns: dict[str, str], *, button: str) -> list:
        """A Div per field of ``columns`` (its column classes), then the submit button."""
        return [
            *[
                Div(name, css_class=css if name in self.shown else "d-none")
                for name, css in columns.items()
                if name in self.filters
            ],
            Div(
                StrictButton(_("Lọc"), type="submit", css_class="btn-outline-primary"),
                css_class=button,
            ),
        ]


class ReviewQueueFilter(_ScopedListFilter):
    """Narrow the review queue to a province (administrators), a district, a commune (a
    select while the choice is short, else a search by name or code), a year, or what is
    overdue. A value outside the caller's scope is an error and finds nothing."""

    province = django_filters.ChoiceFilter(
        label=_("Tỉnh"),
        empty_label=_("Tất cả các tỉnh"),
        choices=(),
        field_name="commune__province__code",
    )
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
    q = django_filters.CharFilter(
        label=_("Tìm xã (tên hoặc mã)"), method="filter_search", max_length=100
    )
    year = django_filters.ChoiceFilter(label=_("Năm"), empty_label=_("Tất cả các năm"), choices=())
    overdue = django_filters.BooleanFilter(
        label=_("Chỉ hiện hồ sơ quá hạn"),
        method="filter_overdue",
        widget=forms.CheckboxInput,
    )

    class Meta:
        model = Evidence
        fields = ["province", "district", "commune", "q", "year", "overdue"]

    def __init__(self, *args, communes=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["year"].extra["choices"] = [(str(y), str(y)) for y in checklist_years()]
        scope = scope_of(self.request.user) if self.request is not None else None
        self.communes = (
            communes if communes is not None else _visible_communes(self.request)
        )  # the caller's scope
        self.shown = set(self.filters) - {"province", "district", "commune", "q"}
        if scope is not None and scope.sees_everything:
            self.filters["province"].extra["choices"] = _province_choices()
            self.shown.add("province")
        else:
            del self.filters["province"]
        if scope is None or scope.role == Role.COMMUNE:
            del self.filters["district"]  # one commune: nothing to choose
            del self.filters["commune"]
            del self.filters["q"]
            return
        self._bound_choices(scope)

    def _raw(self, name: str) -> str:
        value = self.data.get(name, "") if self.data is not None else ""
        return value.strip() if isinstance(value, str) else ""

    def _bound_choices(self, scope):
        """Offer selects only while they stay short: the districts of the chosen province
        (or of the scope when few), the communes with waiting evidence in what is chosen."""
        form = self.form
        province = self._raw("province") if "province" in self.filters else ""
        district = form.fields["district"]
        districts = district.queryset
        if province:
            districts = districts.filter(province__code=province)
        district_options = (
            list(districts[: SELECT_LIMIT + 1]) if scope.role != Role.DISTRICT else []
        )
        if 1 < len(district_options) <= SELECT_LIMIT:
            district.widget.choices = [("", district.empty_label)] + [
                (d.code, d.name) for d in district_options
            ]
            self.shown.add("district")
        else:
            # One district (a district official's own) or too many to list: the value is
            # still read (a link may carry it) and checked against the scope.
            district.widget = forms.HiddenInput()

        waiting = Commune.objects.filter(
            pk__in=Evidence.objects.filter(
                state=EvidenceState.SUBMITTED, commune__in=self.communes
            ).values("commune_id")
        )
        if province:
            waiting = waiting.filter(province__code=province)
        if self._raw("district"):
            waiting = waiting.filter(district__code=self._raw("district"))
        commune = form.fields["commune"]
        # Whether more wait than a select holds, asked first and in no order, so that the
        # database stops at the first SELECT_LIMIT + 1 it finds: sorted, a country's
        # 9,000 communes with evidence waiting were all read for none to be listed (90 ms
        # of the administrator's queue, BENCHMARKS.md).
        too_many = waiting.order_by().values("pk")[SELECT_LIMIT : SELECT_LIMIT + 1].exists()
        options = (
            [] if too_many else list(waiting.select_related("district").order_by("name", "code"))
        )
        chosen = self._raw("commune")
        if not too_many:
            names = Counter(c.name for c in options)
            commune.widget.choices = [("", commune.empty_label)] + [
                (str(c.pk), self._commune_label(c, names)) for c in options
            ]
            if chosen and chosen not in {str(c.pk) for c in options}:
                # A commune whose evidence was all reviewed since a link named it.
                found = commune.queryset.filter(pk=chosen).first() if chosen.isdigit() else None
                if found is not None:
                    commune.widget.choices.append((str(found.pk), str(found)))
            self.shown.add("commune")
        else:
            commune.widget = forms.HiddenInput()
        if too_many or self._raw("q"):
            self.shown.add("q")
        else:
            form.fields["q"].widget = forms.HiddenInput()

    @staticmethod
    def _commune_label(commune, names: Counter) -> str:
        """The commune's name, with its district where two of the list share a name
        (``names``: how many of the list bear each)."""
        if names[commune.name] > 1 and commune.district is not None:
            return f"{commune.name} ({commune.district.name})"
        return commune.name

    @property
    def helper(self):
        helper = FormHelper()
        helper.form_method = "get"
        helper.form_class = "row g-2 align-items-end"
        columns = {
            "province": "col-12 col-md-3",
            "district": "col-12 col-md-3",
            "commune": "col-12 col-md-3",
            "q": "col-12 col-md-3",
            "year": "col-6 col-md-2",
            "overdue": "col-6 col-md-auto pb-2",
        }
        helper.layout = Layout(*self._row(columns, button="col-12 col-md-auto"))
        return helper

    def filter_search(self, queryset, name, value):
        folded = fold(value.strip())
        if not folded:
            return queryset
        return queryset.filter(
            Q(commune__code=value.strip()) | Q(commune__search_name__contains=folded)
        )

    def filter_overdue(self, queryset, name, value):
        if value:
            return queryset.filter(submitted_at__lt=overdue_before())
        return queryset


class DeadlineFilter(_ScopedListFilter):
    """Narrow the deadlines board (communes) to a province (administrators), a district,
    a name or code, and who is late or extended. Selects stay under SELECT_LIMIT."""

    q = django_filters.CharFilter(
        label=_("Tìm xã (tên hoặc mã)"), method="filter_search", max_length=100
    )
    province = django_filters.ChoiceFilter(
        label=_("Tỉnh"), empty_label=_("Tất cả các tỉnh"), choices=(), field_name="province__code"
    )
    district = django_filters.ModelChoiceFilter(
        label=_("Huyện"),
        queryset=_visible_districts,
        empty_label=_("Tất cả các huyện"),
        to_field_name="code",
    )
    # Read by the view (late and extended are worked out in Python from the board).
    state = django_filters.ChoiceFilter(
        label=_("Tình trạng"),
        empty_label=_("Tất cả"),
        choices=[("late", _("Quá hạn")), ("extended", _("Được gia hạn"))],
        method="keep",
    )

    class Meta:
        model = Commune
        fields = ["q", "province", "district", "state"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        scope = scope_of(self.request.user) if self.request is not None else None
        if scope is not None and scope.sees_everything:
            self.filters["province"].extra["choices"] = _province_choices()
        else:
            del self.filters["province"]
        province = self.data.get("province", "") if "province" in self.filters else ""
        district = self.form.fields["district"]
        districts = district.queryset
        if province:
            districts = districts.filter(province__code=province)
        options = (
            []
            if scope is None or scope.role == Role.DISTRICT
            else list(districts[: SELECT_LIMIT + 1])
        )
        self.shown = {"q", "state"} | ({"province"} & set(self.filters))
        if 1 < len(options) <= SELECT_LIMIT:
            district.widget.choices = [("", district.empty_label)] + [
                (d.code, d.name) for d in options
            ]
            self.shown.add("district")
        else:
            district.widget = forms.HiddenInput()

    @property
    def helper(self):
        helper = FormHelper()
        helper.form_method = "get"
        helper.form_tag = False
        helper.disable_csrf = True
        helper.form_class = "row g-2 align-items-end"
        columns = {
            "q": "col-12 col-md-3",
            "province": "col-6 col-md-3",
            "district": "col-6 col-md-3",
            "state": "col-6 col-md-2",
        }
        helper.layout = Layout(
            Div(*self._row(columns, button="col-6 col-md-1"), css_class="row g-2 align-items-end")
        )
        return helper

    def filter_search(self, queryset, name, value):
        folded = fold(value.strip())
        if not folded:
            return queryset
        return queryset.filter(Q(code=value.strip()) | Q(search_name__contains=folded))

    def keep(self, queryset, name, value):
        return queryset
