import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Field, Layout, Row, Submit
from django import forms
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from surveys import conf
from surveys.kiosk import StampError, StampExpired, stamp_new, stamp_read
from surveys.models import COMMENT_MAX_LENGTH, Element
from surveys.questions import SCALE, SCALE_MAX, SCALE_MIN

DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


def _questions_by_element(questionnaire):
    """[(element value, label, [questions])] in the order of the SIPAS elements."""
    questions = list(questionnaire.questions.all())
    return [
        (value, label, [q for q in questions if q.element == value])
        for value, label in Element.choices
        if any(q.element == value for q in questions)
    ]


class SurveyEntryForm(forms.Form):
    """One paper form, typed in fast: the date stays, each answer is one digit.

    Typing a digit 1-5 moves to the next answer (static/js/survey_entry.js); Enter saves
    and opens the next blank form with the same date.
    """

    answered_on = forms.DateField(
        label=_("Ngày trả lời"),
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(
            format="%d/%m/%Y",
            attrs={"placeholder": "dd/mm/yyyy", "autocomplete": "off", "inputmode": "numeric"},
        ),
    )

    def __init__(self, *args, questionnaire, **kwargs):
        super().__init__(*args, **kwargs)
        self.questionnaire = questionnaire
        self.codes = []
        first = True
        groups = _questions_by_element(questionnaire)
        for _element, _label, questions in groups:
            for question in questions:
                attrs = {
                    "inputmode": "numeric",
                    "maxlength": "1",
                    "pattern": f"[{SCALE_MIN}-{SCALE_MAX}]",
                    "autocomplete": "off",
                    "class": "survey-digit text-center",
                    "data-digit": "",
                }
                if first and self.initial.get("answered_on"):
                    attrs["autofocus"] = True
                first = False
                self.fields[question.code] = forms.IntegerField(
                    label=format_html("<strong>{}</strong> {}", question.code, question.text),
                    min_value=SCALE_MIN,
                    max_value=SCALE_MAX,
                    required=question.element == Element.OVERALL,
                    widget=forms.TextInput(attrs=attrs),
                    error_messages={
                        "invalid": _("Nhập một số từ 1 đến 5."),
                        "min_value": _("Nhập một số từ 1 đến 5."),
                        "max_value": _("Nhập một số từ 1 đến 5."),
                        "required": _("Câu đánh giá chung là bắt buộc."),
                    },
                )
                self.codes.append(question.code)
        if not self.initial.get("answered_on"):
            self.fields["answered_on"].widget.attrs["autofocus"] = True

        self.helper = FormHelper()
        self.helper.form_id = "survey-entry-form"
        self.helper.attrs = {"data-survey-entry": ""}
        layout = [Row(Column(Field("answered_on"), css_class="col-sm-4 col-lg-3"))]
        for _element, label, questions in groups:
            layout.append(HTML(format_html('<h2 class="h6 mt-2 mb-1">{}</h2>', label)))
            layout.append(Row(*[Column(Field(q.code), css_class="col-md-6") for q in questions]))
        layout.append(
            Div(
                Submit("save", _("Lưu và nhập phiếu tiếp (Enter)"), css_class="btn-primary"),
                css_class="mt-3",
            )
        )
        self.helper.layout = Layout(*layout)

    def clean_answered_on(self):
        value = self.cleaned_data["answered_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("Ngày trả lời không được sau hôm nay."))
        if value < datetime.date(2000, 1, 1):
            raise forms.ValidationError(_("Ngày trả lời quá xa, hãy kiểm tra lại."))
        return value

    def answers(self) -> dict[str, int]:
        return {
            code: self.cleaned_data[code]
            for code in self.codes
            if self.cleaned_data.get(code) is not None
        }


class KioskForm(forms.Form):
    """The citizen's form at the desk: one tap per question, no personal data.

    ``website`` is a honeypot (hidden from people, filled by bots); ``stamp`` is signed
    and carries the one-time submission token and the time the form was shown.
    """

    website = forms.CharField(required=False, label=_("Để trống ô này"))
    stamp = forms.CharField(widget=forms.HiddenInput)
    comment = forms.CharField(
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        label=_("Góp ý thêm (không bắt buộc)"),
        help_text=_(
            "Chỉ Ủy ban xã và huyện đọc, không công khai. Xin đừng ghi tên, số điện thoại."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, questionnaire, link, queued=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.link = link
        self.queued = queued
        self.codes = []
        self.stamp_value = None
        if not self.is_bound:
            self.initial["stamp"] = stamp_new(link=link)
        choices = [(value, label) for value, label, _emoji in SCALE]
        layout = []
        for _element, _label, questions in _questions_by_element(questionnaire):
            for question in questions:
                self.fields[question.code] = forms.TypedChoiceField(
                    label=question.text,
                    choices=choices,
                    coerce=int,
                    widget=forms.RadioSelect,
                    error_messages={"required": _("Xin chọn một mức.")},
                )
                self.codes.append(question.code)
                layout.append(Field(question.code, template="surveys/_scale_field.html"))
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})
        self.helper = FormHelper()
        self.helper.form_id = "kiosk-form"
        self.helper.layout = Layout(
            *layout,
            Field("comment"),
            Div(Field("website"), css_class="kiosk-hp", aria_hidden="true"),
            Field("stamp"),
            Submit("send", _("Gửi đánh giá"), css_class="btn-primary btn-lg w-100 py-3 mt-2"),
        )

    @property
    def is_bot(self) -> bool:
        """Only a bot fills the field people cannot see."""
        return bool(self.data.get("website"))

    def clean_stamp(self):
        try:
            stamp = stamp_read(self.cleaned_data["stamp"], link=self.link, queued=self.queued)
        except StampExpired as exc:
            raise forms.ValidationError(
                _("Phiếu đã mở quá lâu. Xin kiểm tra lại câu trả lời và gửi lại."), code="renew"
            ) from exc
        except StampError as exc:
            raise forms.ValidationError(
                _("Phiếu không hợp lệ. Xin trả lời lại."), code="renew"
            ) from exc
        if stamp.age() < conf.kiosk_min_seconds():
            raise forms.ValidationError(
                _("Xin đọc kỹ từng câu hỏi rồi gửi lại sau vài giây."), code="too_fast"
            )
        return stamp

    def renew_stamp(self) -> None:
        """After a refusal: a fresh stamp when the old one cannot be used again.

        The answers given and the errors stay as they are, for the form shown again.
        """
        errors = self.errors.as_data().get("stamp", [])
        if any(e.code != "too_fast" for e in errors):
            self.data = self.data.copy()  # type: ignore[attr-defined]
            self.data["stamp"] = stamp_new(link=self.link)  # type: ignore[index]

    def answers(self) -> dict[str, int]:
        return {code: self.cleaned_data[code] for code in self.codes}


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp CSV hoặc Excel (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_id = "survey-import-form"
        self.helper.attrs = {"enctype": "multipart/form-data"}
        self.helper.layout = Layout(
            Field("file"),
            Submit("check", _("Kiểm tra tệp"), css_class="btn-primary"),
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size == 0:
            raise forms.ValidationError(_("Tệp rỗng."))
        if upload.size > conf.import_max_bytes():
            raise forms.ValidationError(
                _("Tệp quá lớn; tối đa %(max)s MB.") % {"max": conf.import_max_bytes() // 1048576}
            )
        return upload
