"""Forms of the communes app: evidence, reviews, steering committees, good practices."""

from decimal import Decimal

from crispy_forms.bootstrap import FormActions, StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communes import uploads
from communes.filters import SELECT_LIMIT
from communes.models import (
    CommitteeMember,
    Commune,
    CriterionKind,
    MemberRole,
    NotificationPreference,
    PracticeAdoption,
    SteeringCommittee,
)
from communes.services.reorganizations import (
    KINDS,
    PROVINCE_KINDS,
    Change,
    ProvinceChange,
    UnitChange,
)
from friendlygov.dates import past_date_problem

MAX_FILES_PER_EVIDENCE = 20
# Each file is read into memory to be checked: bound what one request may hold.
MAX_FILES_PER_UPLOAD = 10
MAX_BYTES_PER_UPLOAD = 25 * 1024 * 1024


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe); cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class DateInput(forms.DateInput):
    """A day typed as dd/mm/yyyy, as the province writes dates.

    Not the browser's date picker: it shows mm/dd/yyyy on an English-language browser,
    and 01/09 read the wrong way round is a wrong decision date.
    """

    def __init__(self, **kwargs):
        attrs = {"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"}
        super().__init__(format="%d/%m/%Y", attrs=attrs, **kwargs)


class EvidenceForm(forms.Form):
    """What commune staff enter for one criterion: a note, a measured value, files."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    value = forms.DecimalField(
        label=_("Giá trị đo được"),
        required=False,
        localize=True,
        max_digits=9,
        decimal_places=2,
        min_value=Decimal("0"),
    )
    note = forms.CharField(
        label=_("Ghi chú"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Mô tả ngắn minh chứng: ở đâu, khi nào, số liệu lấy từ đâu."),
    )
    files = MultipleFileField(  # type: ignore[assignment]
        label=_("Thêm tệp minh chứng"),
        required=False,
        widget=MultipleFileInput(
            attrs={
                "accept": "image/jpeg,image/png,image/webp,.pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx"
            }
        ),
    )

    def __init__(self, *args, criterion, files_count: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.criterion = criterion
        self.files_count = files_count
        self.fields["files"].help_text = _(
            "Ảnh (JPEG, PNG, WebP), PDF, Word, Excel, PowerPoint; mỗi tệp tối đa %(limit)s. "
            "Có thể chọn nhiều tệp một lần."
        ) % {"limit": filesizeformat(uploads.max_upload_bytes())}
        if criterion.kind == CriterionKind.MEASURED:
            value = self.fields["value"]
            value.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})
            if criterion.unit:
                value.label = _("Giá trị đo được (%(unit)s)") % {"unit": criterion.unit}
            if criterion.threshold is not None:
                value.help_text = _("Đạt khi từ %(threshold)s%(unit)s trở lên.") % {
                    "threshold": _number(criterion.threshold),
                    "unit": criterion.unit,
                }
        else:
            del self.fields["value"]
        self.helper = FormHelper()
        self.helper.attrs = {"enctype": "multipart/form-data"}
        fields = ["version"] + (["value"] if "value" in self.fields else []) + ["note", "files"]
        self.helper.layout = Layout(
            *[Field(name) for name in fields],
            FormActions(
                StrictButton(
                    _("Lưu nháp"),
                    type="submit",
                    name="action",
                    value="save",
                    css_class="btn-outline-primary",
                ),
                StrictButton(
                    _("Lưu và gửi duyệt"),
                    type="submit",
                    name="action",
                    value="submit",
                    css_class="btn-primary",
                ),
                css_class="d-flex flex-wrap gap-2",
            ),
        )

    def clean_value(self):
        value = self.cleaned_data.get("value")
        if value is not None and self.criterion.is_percentage and value > 100:
            raise ValidationError(_("Tỷ lệ phần trăm không thể lớn hơn 100."))
        return value

    def clean_files(self):
        uploaded = self.cleaned_data.get("files") or []
        if len(uploaded) > MAX_FILES_PER_UPLOAD:
            raise ValidationError(
                _("Mỗi lần chọn tối đa %(max)s tệp; hãy lưu rồi thêm tiếp.")
                % {"max": MAX_FILES_PER_UPLOAD}
            )
        if sum(upload.size for upload in uploaded) > MAX_BYTES_PER_UPLOAD:
            raise ValidationError(
                _("Các tệp chọn một lần nặng tối đa %(max)s; hãy lưu rồi thêm tiếp.")
                % {"max": filesizeformat(MAX_BYTES_PER_UPLOAD)}
            )
        if self.files_count + len(uploaded) > MAX_FILES_PER_EVIDENCE:
            raise ValidationError(
                _("Mỗi tiêu chí có tối đa %(max)s tệp; hãy xóa bớt tệp cũ hoặc gộp lại.")
                % {"max": MAX_FILES_PER_EVIDENCE}
            )
        checked, errors = [], []
        for upload in uploaded:
            try:
                checked.append(uploads.check_upload(upload))
            except ValidationError as error:
                errors.extend(error.messages)
        if errors:
            errors.append(_("Chưa lưu tệp nào; hãy chọn lại các tệp hợp lệ."))
            raise ValidationError(errors)
        return checked


class ReviewForm(forms.Form):
    """A district official's decision on submitted evidence."""

    APPROVE, RETURN = "approve", "return"

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    decision = forms.ChoiceField(choices=[(APPROVE, _("Duyệt")), (RETURN, _("Trả lại"))])
    note = forms.CharField(
        label=_("Ý kiến của người duyệt"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Bắt buộc khi trả lại: ghi rõ xã cần bổ sung, sửa gì."),
    )

    def __init__(self, *args, action=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        if action:
            self.helper.form_action = action
        self.helper.layout = Layout(
            Field("version"),
            Field("note"),
            FormActions(
                StrictButton(
                    _("Duyệt"),
                    type="submit",
                    name="decision",
                    value=self.APPROVE,
                    css_class="btn-success",
                ),
                StrictButton(
                    _("Trả lại cho xã"),
                    type="submit",
                    name="decision",
                    value=self.RETURN,
                    css_class="btn-outline-danger",
                ),
                css_class="d-flex flex-wrap gap-2",
            ),
        )

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.RETURN and not (data.get("note") or "").strip():
            self.add_error("note", _("Khi trả lại, hãy ghi rõ xã cần bổ sung, sửa gì."))
        return data


class VersionForm(forms.Form):
    """The version a one-button form (submit, reopen, delete a file) was shown at."""

    version = forms.IntegerField(min_value=0)


class CommitteeForm(forms.ModelForm):
    """The committee's decision; for a commune, also the day it launched the model."""

    model_launched_on = forms.DateField(
        label=_("Ngày ra mắt mô hình"),
        required=False,
        widget=DateInput(),
        help_text=_("Để trống nếu xã chưa tổ chức ra mắt mô hình."),
    )

    class Meta:
        model = SteeringCommittee
        fields = ["decision_number", "established_on", "note"]
        widgets = {
            "established_on": DateInput(),
            "note": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {"decision_number": _("Ví dụ: 125/QĐ-UBND")}

    def __init__(self, *args, with_launch: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_launch:
            del self.fields["model_launched_on"]
        limit_length(self.fields["note"])
        self.helper = FormHelper()
        self.helper.add_input(_submit(_("Lưu")))

    def clean_established_on(self):
        return _not_in_future(self.cleaned_data["established_on"])

    def clean_model_launched_on(self):
        launched = self.cleaned_data.get("model_launched_on")
        return _not_in_future(launched) if launched else None


class MemberForm(forms.ModelForm):
    class Meta:
        model = CommitteeMember
        fields = ["full_name", "position", "organisation", "role", "order"]
        help_texts = {
            "position": _("Ví dụ: Chủ tịch UBND xã"),
            "organisation": _("Ví dụ: UBND xã"),
            "order": _("Thứ tự trong danh sách (nhỏ đứng trước)."),
        }

    def __init__(self, *args, committee: SteeringCommittee, **kwargs):
        super().__init__(*args, **kwargs)
        self.committee = committee
        self.helper = FormHelper()
        self.helper.add_input(_submit(_("Lưu")))

    def clean_role(self):
        role = self.cleaned_data["role"]
        if role == MemberRole.CHAIR:
            chair = (
                self.committee.members.filter(role=MemberRole.CHAIR)
                .exclude(pk=self.instance.pk)
                .first()
            )
            if chair is not None:
                raise ValidationError(
                    _("Ban đã có Trưởng ban (%(name)s); hãy đổi vai trò người đó trước.")
                    % {"name": chair.full_name}
                )
        return role


NOTE_MAX_LENGTH = 4000


def limit_length(field, limit: int = NOTE_MAX_LENGTH) -> None:
    """Bound a free-text field: the browser stops typing at ``limit`` (maxlength) and the
    server refuses more with a message, keeping the text, instead of a bare 400."""
    field.max_length = limit
    field.validators.append(MaxLengthValidator(limit))
    field.widget.attrs["maxlength"] = str(limit)


def _submit(label):
    return Submit("save", label)


def _not_in_future(day):
    """A day that happened within the programme's era (friendlygov.dates)."""
    problem = past_date_problem(day) if day else None
    if problem:
        raise ValidationError(problem[:1].upper() + problem[1:] + ".")
    return day


def _number(value: Decimal) -> str:
    from communes.templatetags.checklist import num

    return num(value)


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
        communes = communes.select_related("district").order_by("name")
        field = self.fields["commune"]
        if communes[: SELECT_LIMIT + 1].count() > SELECT_LIMIT:
            # An administrator's 10,598 communes: typed by code, not picked from a list.
            field.queryset = communes.in_force(on=timezone.localdate())
            field.to_field_name = "code"
            field.widget = forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 10})
            field.label = _("Mã xã, phường, thị trấn")
            field.help_text = _("Mã của đơn vị đang có hiệu lực, ví dụ 7444.")
            self.initial.pop("commune", None)
        else:
            field.queryset = communes
        self.fields["adopted_on"].input_formats = ["%d/%m/%Y", "%Y-%m-%d"]
        limit_length(self.fields["note"])
        self.helper = FormHelper()
        if action:
            self.helper.form_action = action
        self.helper.add_input(Submit("submit", _("Ghi nhận áp dụng")))

    def clean_adopted_on(self):
        return _not_in_future(self.cleaned_data["adopted_on"])


class ExtensionForm(forms.Form):
    """A reviewer's extension of a commune's submission deadline."""

    until = forms.DateField(
        label=_("Gia hạn đến ngày"), widget=DateInput(), input_formats=["%d/%m/%Y", "%Y-%m-%d"]
    )
    note = forms.CharField(
        label=_("Lý do gia hạn"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, action=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        if action:
            self.helper.form_action = action
        self.helper.add_input(Submit("grant", _("Gia hạn")))


class NotificationPreferenceForm(forms.ModelForm):
    """Which notifications a user also receives by e-mail (the portal shows them all)."""

    class Meta:
        model = NotificationPreference
        fields = ["email_submitted", "email_reviewed", "email_status", "email_digest", "language"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Lưu")))


# --- Reorganizations (administrators) ------------------------------------------------------


class ReorganizationForm(forms.Form):
    """The resolution and date of a reorganization; its units come in ``UnitChangeForm``s."""

    resolution = forms.CharField(
        label=_("Nghị quyết"),
        max_length=160,
        help_text=_("Ví dụ: 388/NQ-UBTVQH16"),
    )
    effective_on = forms.DateField(
        label=_("Ngày có hiệu lực"),
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        help_text=_(
            "dd/mm/yyyy, không sau hôm nay: ghi nhận khi đợt sắp xếp đã có hiệu lực. "
            "Các đơn vị bị giải thể hết hiệu lực từ ngày hôm trước."
        ),
    )
    note = forms.CharField(
        label=_("Ghi chú"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    # The province's own change, if any (it keeps its code and its row).
    province_code = forms.CharField(
        label=_("Mã tỉnh"),
        max_length=10,
        required=False,
        help_text=_("Chỉ khi tỉnh, thành phố đổi tên hoặc đổi loại"),
    )
    province_name = forms.CharField(label=_("Tên mới của tỉnh"), max_length=120, required=False)
    province_kind = forms.ChoiceField(label=_("Loại mới của tỉnh"), required=False, choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province_kind"].choices = [("", "—"), *[(k, k) for k in PROVINCE_KINDS]]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean(self):
        data = super().clean()
        names = ["province_code", "province_name", "province_kind"]
        if any((data.get(name) or "").strip() for name in names):
            for name in names:
                if not (data.get(name) or "").strip():
                    self.add_error(name, _("Cần cả mã tỉnh, tên mới và loại mới."))
        return data

    def province_change(self) -> ProvinceChange | None:
        data = self.cleaned_data
        if not data.get("province_code"):
            return None
        return ProvinceChange(
            code=data["province_code"].strip(),
            name=data["province_name"].strip(),
            kind=data["province_kind"],
        )


class UnitChangeForm(forms.Form):
    """One unit in force from the effective date and the units of the day before it
    comes from. A row left empty is ignored."""

    change = forms.ChoiceField(label=_("Hình thức"), choices=[])
    predecessors = forms.CharField(
        label=_("Mã các đơn vị trước"),
        max_length=200,
        help_text=_("Cách nhau bởi dấu phẩy"),
    )
    code = forms.CharField(label=_("Mã đơn vị mới"), max_length=10)
    name = forms.CharField(label=_("Tên đơn vị mới"), max_length=120)
    kind = forms.ChoiceField(label=_("Loại"), choices=[])
    district = forms.CharField(
        label=_("Mã huyện"),
        max_length=10,
        required=False,
        help_text=_("Để trống khi không có cấp huyện"),
    )
    takes_desk = forms.BooleanField(label=_("Nhận bộ phận một cửa"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["change"].choices = [("", "—"), *Change.CHOICES]
        self.fields["kind"].choices = [("", "—"), *[(kind, kind) for kind in KINDS]]
        for name, field in self.fields.items():
            field.widget.attrs["class"] = {
                "change": "form-select form-select-sm",
                "kind": "form-select form-select-sm",
                "takes_desk": "form-check-input",
            }.get(name, "form-control form-control-sm")
            field.widget.attrs["aria-label"] = field.label

    def clean_predecessors(self):
        codes = [c for c in self.cleaned_data["predecessors"].replace(";", ",").split(",")]
        codes = [c.strip() for c in codes if c.strip()]
        if not codes or not all(c.isdigit() for c in codes):
            raise ValidationError(_("Nhập các mã số, cách nhau bởi dấu phẩy."))
        return tuple(dict.fromkeys(codes))

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not code.isdigit():
            raise ValidationError(_("Mã đơn vị là một số."))
        return code

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean_district(self):
        return self.cleaned_data["district"].strip()

    def unit_change(self):
        data = self.cleaned_data
        return UnitChange(
            change=data["change"],
            predecessors=data["predecessors"],
            code=data["code"],
            name=data["name"],
            kind=data["kind"],
            district=data["district"],
            takes_desk=data["takes_desk"],
        )


UnitChangeFormSet = forms.formset_factory(UnitChangeForm, extra=6, max_num=200)
