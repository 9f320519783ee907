"""Forms of the communes app."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communes.models import Commune, PracticeAdoption


class PracticeAdoptionForm(forms.ModelForm):
    """A commune records that it adopted a good practice: when, and how it does it."""

    commune = forms.ModelChoiceField(
        label=_("Xã, phường, thị trấn"), queryset=Commune.objects.none(), empty_label=None
    )

    class Meta:
        model = PracticeAdoption
        fields = ["commune", "adopted_on", "note"]
        widgets = {
            "adopted_on": forms.DateInput(attrs={"placeholder": "dd/mm/yyyy"}),
            "note": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"note": _("Cách đơn vị triển khai, kết quả bước đầu (không bắt buộc).")}

    def __init__(self, *args, communes, action=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = communes.select_related("district").order_by("name")
        self.fields["adopted_on"].input_formats = ["%d/%m/%Y", "%Y-%m-%d"]
        self.helper = FormHelper()
        if action:
            self.helper.form_action = action
        self.helper.add_input(Submit("submit", _("Ghi nhận áp dụng")))

    def clean_adopted_on(self):
        adopted_on = self.cleaned_data["adopted_on"]
        if adopted_on > timezone.localdate():
            raise forms.ValidationError(_("Ngày áp dụng không thể ở tương lai."))
        return adopted_on
