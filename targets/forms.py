"""Forms of the targets app: recognition decisions."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from communes.forms import DateInput

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


def _helper(label, action=None, css_class="btn-primary") -> FormHelper:
    helper = FormHelper()
    if action:
        helper.form_action = action
    helper.add_input(Submit("save", label, css_class=css_class))
    return helper


class DecisionForm(forms.Form):
    """A draft decision's number, date, signer and signed scan."""

    number = forms.CharField(label=_("Số quyết định"), max_length=50, required=False)
    signed_on = forms.DateField(
        label=_("Ngày ký"), widget=DateInput(), input_formats=DATE_FORMATS, required=False
    )
    signer = forms.CharField(label=_("Người ký (chức vụ, họ tên)"), max_length=200, required=False)
    scan = forms.FileField(
        label=_("Bản quét quyết định đã ký (PDF hoặc ảnh)"),
        required=False,
    )

    def __init__(self, *args, action=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Lưu"), action)


class DecisionCommuneForm(forms.Form):
    """Name one more commune in a draft (a commune not meeting the criteria needs why)."""

    code = forms.CharField(label=_("Mã xã"), max_length=10)
    reason = forms.CharField(
        label=_("Lý do (bắt buộc với xã chưa đạt tiêu chí)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, action=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Thêm xã"), action, "btn-outline-primary")


class WithdrawForm(forms.Form):
    """Withdraw the recognition of some of an issued decision's communes."""

    communes = forms.TypedMultipleChoiceField(
        label=_("Xã bị thu hồi công nhận"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(
        label=_("Lý do thu hồi"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, entries=(), action=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["communes"].choices = [(e.commune_id, e.commune.name) for e in entries]
        self.helper = _helper(_("Lập dự thảo quyết định thu hồi"), action, "btn-outline-danger")
