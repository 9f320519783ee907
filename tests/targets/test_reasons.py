"""Reasons are shown to people in words, in Vietnamese and in English."""

import pytest
from django.utils import translation

from targets import reasons, rules

EXAMPLES = {
    "no_committee": {"year": 2024},
    "not_launched": {"year": 2024},
    "evidence_missing": {"criterion": "TC-01"},
    "evidence_awaiting_review": {"criterion": "TC-01"},
    "evidence_rejected": {"criterion": "TC-01"},
    "value_missing": {"criterion": "TC-05"},
    "below_threshold": {"criterion": "TC-05", "value": 92.5, "threshold": 95},
    "too_few_responses": {"responses": 12, "minimum": 30},
    "satisfaction_below": {"rate": 82.5, "threshold": 85},
    "score_pending": {"score": 10, "pass_score": 18},
    "score_below": {"score": 10, "pass_score": 18},
}

WORDS = [
    ("vi", "below_threshold", "Tiêu chí TC-05: đạt 92,5, chưa đạt ngưỡng 95."),
    ("en", "below_threshold", "Criterion TC-05: 92.5, short of the threshold of 95."),
    ("vi", "satisfaction_below", "Tỷ lệ người dân hài lòng 82,5%, thấp hơn ngưỡng 85%."),
    ("en", "satisfaction_below", "82.5% of citizens satisfied, below the threshold of 85%."),
    ("vi", "no_committee", "Chưa thành lập Ban Chỉ đạo cấp xã (tính đến 31/12/2024)."),
    ("en", "no_committee", "No commune steering committee set up by 31/12/2024."),
    ("en", "too_few_responses", "Only 12 survey responses this year; at least 30 are needed."),
]


def test_every_reason_code_has_an_example():
    assert set(EXAMPLES) == set(rules.LEADS_TO)


@pytest.mark.parametrize("code", sorted(EXAMPLES))
def test_every_reason_reads_differently_in_vietnamese_and_english(code):
    reason = {"code": code, "params": EXAMPLES[code]}
    with translation.override("vi"):
        vietnamese = reasons.message(reason)
    with translation.override("en"):
        english = reasons.message(reason)
    assert vietnamese != code and english != code
    assert vietnamese != english
    for value in EXAMPLES[code].values():
        if isinstance(value, str):
            assert value in vietnamese and value in english


@pytest.mark.parametrize("language, code, words", WORDS)
def test_reasons_name_the_criterion_and_the_figures(language, code, words):
    with translation.override(language):
        assert reasons.message({"code": code, "params": EXAMPLES[code]}) == words


def test_a_criterion_is_named_with_its_title_when_known():
    with translation.override("vi"):
        described = reasons.describe(
            [{"code": "evidence_missing", "params": {"criterion": "TC-01"}}],
            titles={"TC-01": "Băng rôn"},
        )
    assert described == [
        {"code": "evidence_missing", "message": "Tiêu chí TC-01 (Băng rôn): chưa gửi minh chứng."}
    ]


def test_one_response_is_singular_in_english():
    reason = {"code": "too_few_responses", "params": {"responses": 1, "minimum": 30}}
    with translation.override("en"):
        assert reasons.message(reason) == (
            "Only 1 survey response this year; at least 30 are needed."
        )
