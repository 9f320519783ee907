"""The admin, safe against any address.

- simple-history looks an object up by the raw id of the address: /admin/…/²/history/
  raised ValueError (a 500). Here an id that is not one is a 404, as in Django's own
  views. Admins import ``SimpleHistoryAdmin`` from here.
- Django's add pages take initial values from the query (?commune=7), and its
  autocomplete widgets draw the value sent back with a refused form: a value that is not
  one for its field (?commune=², commune=²) raised ValueError while the form was drawn.
  Such a value is now left out, for every ModelAdmin and autocomplete field
  (``harden_admin``, called once at start).
"""

from django.contrib.admin import ModelAdmin
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteMixin
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin as _SimpleHistoryAdmin


def _valid_id(field, raw) -> None:
    try:
        field.to_python(unquote(raw))
    except (ValidationError, ValueError, TypeError, OverflowError) as exc:
        raise Http404 from exc


class SimpleHistoryAdmin(_SimpleHistoryAdmin):
    def history_view(self, request, object_id, extra_context=None):
        _valid_id(self.model._meta.pk, object_id)
        return super().history_view(request, object_id, extra_context=extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        _valid_id(self.model._meta.pk, object_id)
        history = getattr(self.model, self.model._meta.simple_history_manager_attribute)
        _valid_id(history.model._meta.pk, version_id)
        return super().history_form_view(
            request, object_id, version_id, extra_context=extra_context
        )


def _initial_without_bad_values(get_initial):
    def get_changeform_initial_data(self, request):
        initial = get_initial(self, request)
        for name, value in list(initial.items()):
            try:
                field = self.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            field = field.target_field if field.is_relation else field
            try:
                for item in value if isinstance(value, list) else [value]:
                    field.to_python(item)
            except (ValidationError, ValueError, TypeError, OverflowError):
                del initial[name]
        return initial

    return get_changeform_initial_data


def _optgroups_without_bad_values(optgroups):
    def checked_optgroups(self, name, value, attr=None):
        target = self.field.target_field
        kept = []
        for item in value:
            try:
                target.to_python(item)
            except (ValidationError, ValueError, TypeError, OverflowError):
                continue
            kept.append(item)
        return optgroups(self, name, kept, attr)

    return checked_optgroups


def harden_admin() -> None:
    # Django's classes are patched in place (once): every admin, ours and the libraries',
    # inherits the checks.
    if not getattr(ModelAdmin, "_initial_checked", False):
        ModelAdmin.get_changeform_initial_data = _initial_without_bad_values(  # type: ignore[method-assign]
            ModelAdmin.get_changeform_initial_data
        )
        AutocompleteMixin.optgroups = _optgroups_without_bad_values(  # type: ignore[method-assign]
            AutocompleteMixin.optgroups
        )
        setattr(ModelAdmin, "_initial_checked", True)  # noqa: B010
