"""The admin's history pages (django-simple-history), safe against any address.

simple-history looks an object up by the raw id of the address: /admin/…/²/history/
raised ValueError (a 500). Here an id that is not one is a 404, as in Django's own views.
Admins import ``SimpleHistoryAdmin`` from here.
"""

from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
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
