"""The evidence workflow: draft, submit, approve or return, reopen; conflicts are explained."""

import threading
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection

from communes import services, uploads
from communes.models import Criterion, Evidence, EvidenceFile, EvidenceState, EvidenceTransition
from communes.selectors import changes_since_approval
from tests.communes.conftest import YEAR, pdf_bytes, upload
from tests.conftest import skip_or_fail


def checked(name="anh.png", data=None):
    return uploads.check_upload(upload(name, data))


def save(commune, criterion, by, *, version=0, note="", value=None, files=(), submit=False):
    return services.evidence_save(
        commune=commune,
        criterion=criterion,
        year=YEAR,
        by=by,
        version=version,
        note=note,
        value=value,
        files=list(files),
        submit=submit,
    )


@pytest.fixture
def submitted(doi_ngo, evidence_criterion, commune_staff, recompute):
    """Đồi Ngô's banner evidence, with a photo, sent for review."""
    return save(doi_ngo, evidence_criterion, commune_staff, files=[checked()], submit=True).evidence


def test_saving_creates_a_draft_with_its_files_and_logs_who_created_it(
    doi_ngo, evidence_criterion, commune_staff, recompute
):
    result = save(doi_ngo, evidence_criterion, commune_staff, note=" Ảnh cổng ", files=[checked()])
    evidence = result.evidence
    assert (evidence.state, evidence.note, evidence.version) == (EvidenceState.DRAFT, "Ảnh cổng", 1)
    assert evidence.files.get().original_name == "anh.png"
    assert list(evidence.transitions.values_list("from_state", "to_state", "by")) == [
        ("", EvidenceState.DRAFT, commune_staff.pk)
    ]
    assert not result.submitted


def test_submitting_locks_the_evidence_records_who_and_when_and_queues_a_recompute(
    doi_ngo, evidence_criterion, commune_staff, recompute, django_capture_on_commit_callbacks
):
    result = save(doi_ngo, evidence_criterion, commune_staff, files=[checked()], submit=True)
    evidence = result.evidence
    assert result.submitted and evidence.state == EvidenceState.SUBMITTED
    assert evidence.submitted_by == commune_staff and evidence.submitted_at is not None
    assert not evidence.is_editable
    recompute.assert_called_with(commune_id=doi_ngo.pk, year=YEAR)


def test_an_evidence_criterion_cannot_be_submitted_without_a_file_and_the_draft_is_kept(
    doi_ngo, evidence_criterion, commune_staff, recompute
):
    result = save(doi_ngo, evidence_criterion, commune_staff, note="Sẽ bổ sung ảnh", submit=True)
    assert not result.submitted
    assert result.missing == ["cần ít nhất một tệp minh chứng"]
    evidence = Evidence.objects.get(pk=result.evidence.pk)
    assert (evidence.state, evidence.note) == (EvidenceState.DRAFT, "Sẽ bổ sung ảnh")


def test_a_measured_criterion_cannot_be_submitted_without_its_value(
    doi_ngo, measured_criterion, commune_staff, recompute
):
    result = save(doi_ngo, measured_criterion, commune_staff, files=[checked()], submit=True)
    assert result.missing == ["cần nhập giá trị đo được"]
    with pytest.raises(services.EvidenceIncomplete):
        services.evidence_submit(
            evidence_id=result.evidence.pk, by=commune_staff, version=result.evidence.version
        )
    done = save(
        doi_ngo,
        measured_criterion,
        commune_staff,
        version=result.evidence.version,
        value=Decimal("96.5"),
        submit=True,
    )
    assert done.submitted and done.evidence.value == Decimal("96.5")


def test_survey_criteria_take_no_evidence(doi_ngo, survey_criterion, commune_staff):
    with pytest.raises(ValueError, match="surveys"):
        save(doi_ngo, survey_criterion, commune_staff, note="x")


def test_a_double_submit_is_told_it_was_already_sent_and_logs_one_submission(
    submitted, commune_staff
):
    with pytest.raises(services.EvidenceConflict) as conflict:
        services.evidence_submit(evidence_id=submitted.pk, by=commune_staff, version=1)
    assert "đã được" in conflict.value.message and "gửi duyệt" in conflict.value.message
    assert submitted.transitions.filter(to_state=EvidenceState.SUBMITTED).count() == 1


def test_a_stale_form_is_refused_and_says_who_changed_the_evidence(
    doi_ngo, evidence_criterion, commune_staff, make_user, recompute
):
    colleague = make_user("commune", "7444", first_name="Hoa", last_name="Nguyễn Thị")
    first = save(doi_ngo, evidence_criterion, commune_staff, note="bản 1").evidence
    save(doi_ngo, evidence_criterion, colleague, version=first.version, note="bản của Hoa")
    with pytest.raises(services.EvidenceConflict) as conflict:
        save(doi_ngo, evidence_criterion, commune_staff, version=first.version, note="bản 2")
    assert "Nguyễn Thị Hoa" in conflict.value.message
    assert Evidence.objects.get(pk=first.pk).note == "bản của Hoa"


def test_files_of_a_refused_save_are_not_left_in_storage(
    doi_ngo, evidence_criterion, commune_staff, recompute
):
    first = save(doi_ngo, evidence_criterion, commune_staff).evidence
    save(doi_ngo, evidence_criterion, commune_staff, version=first.version, note="mới")
    before = _stored_files(doi_ngo)
    with pytest.raises(services.EvidenceConflict):
        save(doi_ngo, evidence_criterion, commune_staff, version=first.version, files=[checked()])
    assert _stored_files(doi_ngo) == before


def _stored_files(commune):
    folder = f"evidence/{commune.code}/{YEAR}"
    return set(default_storage.listdir(folder)[1]) if default_storage.exists(folder) else set()


def test_approving_keeps_what_was_approved_and_queues_a_recompute(
    submitted, district_official, recompute
):
    recompute.reset_mock()
    evidence = services.evidence_approve(
        evidence_id=submitted.pk, by=district_official, version=submitted.version, note="Đạt"
    )
    assert evidence.state == EvidenceState.APPROVED
    assert (evidence.reviewed_by, evidence.review_comment) == (district_official, "Đạt")
    assert evidence.approved_snapshot["files"] == [
        {"id": evidence.files.get().pk, "name": "anh.png"}
    ]
    assert evidence.transitions.last().note == "Đạt"
    recompute.assert_called_once_with(commune_id=submitted.commune_id, year=YEAR)


def test_returning_needs_a_note_and_makes_the_evidence_editable_again(
    submitted, district_official, commune_staff, recompute
):
    with pytest.raises(ValueError):
        services.evidence_return(
            evidence_id=submitted.pk, by=district_official, version=submitted.version, note=" "
        )
    returned = services.evidence_return(
        evidence_id=submitted.pk, by=district_official, version=submitted.version, note="Ảnh mờ"
    )
    assert returned.state == EvidenceState.REJECTED and returned.is_editable
    assert returned.review_comment == "Ảnh mờ"
    fixed = save(
        submitted.commune,
        submitted.criterion,
        commune_staff,
        version=returned.version,
        files=[checked("anh-ro.png")],
    ).evidence
    assert fixed.state == EvidenceState.DRAFT
    assert fixed.review_comment == "Ảnh mờ"  # still shown while it is being corrected


def test_two_reviewers_at_once_leave_one_result_and_the_second_is_told(
    submitted, district_official, make_user, recompute
):
    colleague = make_user("district", "218", first_name="Nam", last_name="Lê Văn")
    version = submitted.version  # both opened the page at this version
    services.evidence_approve(evidence_id=submitted.pk, by=colleague, version=version)
    with pytest.raises(services.EvidenceConflict) as conflict:
        services.evidence_return(
            evidence_id=submitted.pk, by=district_official, version=version, note="Thiếu ảnh"
        )
    assert "Lê Văn Nam" in conflict.value.message and "duyệt" in conflict.value.message
    evidence = Evidence.objects.get(pk=submitted.pk)
    assert (evidence.state, evidence.reviewed_by) == (EvidenceState.APPROVED, colleague)
    assert evidence.transitions.filter(to_state=EvidenceState.REJECTED).count() == 0


def test_reopening_approved_evidence_shows_what_changed_since_the_approval(
    submitted, district_official, commune_staff, recompute
):
    approved = services.evidence_approve(
        evidence_id=submitted.pk, by=district_official, version=submitted.version
    )
    assert changes_since_approval(approved) is None
    reopened = services.evidence_reopen(
        evidence_id=approved.pk, by=commune_staff, version=approved.version
    )
    assert reopened.state == EvidenceState.DRAFT
    old_file = reopened.files.get()
    services.evidence_file_delete(file_id=old_file.pk, by=commune_staff, version=reopened.version)
    reopened.refresh_from_db()
    updated = save(
        reopened.commune,
        reopened.criterion,
        commune_staff,
        version=reopened.version,
        note="Ảnh mới năm 2025",
        files=[checked("anh-moi.png")],
    ).evidence
    changes = changes_since_approval(updated)
    assert changes.note_changed and changes.old_note == ""
    assert (changes.added, changes.removed) == (["anh-moi.png"], ["anh.png"])
    assert not changes.value_changed


def test_reopening_evidence_approved_before_snapshots_existed_takes_one_then(
    submitted, district_official, commune_staff, recompute
):
    approved = services.evidence_approve(
        evidence_id=submitted.pk, by=district_official, version=submitted.version
    )
    Evidence.objects.filter(pk=approved.pk).update(approved_snapshot=None)
    reopened = services.evidence_reopen(
        evidence_id=approved.pk, by=commune_staff, version=approved.version
    )
    assert reopened.approved_snapshot["files"][0]["name"] == "anh.png"


def test_only_approved_evidence_can_be_reopened(submitted, commune_staff):
    with pytest.raises(services.EvidenceConflict):
        services.evidence_reopen(
            evidence_id=submitted.pk, by=commune_staff, version=submitted.version
        )


def test_files_cannot_be_removed_while_the_evidence_is_submitted(submitted, commune_staff):
    with pytest.raises(services.EvidenceConflict):
        services.evidence_file_delete(
            file_id=submitted.files.get().pk, by=commune_staff, version=submitted.version
        )
    assert submitted.files.count() == 1


def test_a_removed_file_leaves_storage_unless_another_row_still_uses_it(
    doi_ngo, evidence_criterion, commune_staff, recompute, django_capture_on_commit_callbacks
):
    evidence = save(
        doi_ngo, evidence_criterion, commune_staff, files=[checked(), checked("b.pdf", pdf_bytes())]
    ).evidence
    photo, pdf = evidence.files.order_by("pk")
    EvidenceFile.objects.create(  # a demo row sharing the stored PDF
        evidence=evidence,
        file=pdf.file.name,
        original_name="chung.pdf",
        content_type="application/pdf",
        size=pdf.size,
    )
    with django_capture_on_commit_callbacks(execute=True):
        evidence = services.evidence_file_delete(
            file_id=photo.pk, by=commune_staff, version=evidence.version
        )
    assert not default_storage.exists(photo.file.name)
    assert not default_storage.exists(photo.thumbnail.name)
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_file_delete(file_id=pdf.pk, by=commune_staff, version=evidence.version)
    assert default_storage.exists(pdf.file.name)


def test_recompute_waits_for_the_commit(
    doi_ngo, evidence_criterion, commune_staff, django_capture_on_commit_callbacks
):
    from unittest import mock

    with mock.patch("targets.tasks.recompute_commune.delay") as delay:
        with django_capture_on_commit_callbacks() as callbacks:
            save(doi_ngo, evidence_criterion, commune_staff, files=[checked()], submit=True)
        delay.assert_not_called()
        for callback in callbacks:
            callback()
    delay.assert_called_with(doi_ngo.pk, YEAR)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_concurrent_reviews_on_postgresql_serialise_on_the_row_lock(
    real_units, make_user, recompute
):
    """Two reviewers' transactions at the same moment: one wins, the other is told."""
    if not settings.IS_POSTGRES:
        skip_or_fail("row locks need PostgreSQL; CI's PostgreSQL leg runs this")
    from communes.models import Commune
    from tests.communes.conftest import EVIDENCE_CODE

    # A transactional test may start from a flushed database, without the default criteria.
    criterion, _ = Criterion.objects.get_or_create(
        code=EVIDENCE_CODE,
        defaults={"group": "facilities", "title": "Băng rôn", "kind": "evidence"},
    )
    staff = make_user("commune", "7444")
    reviewers = [make_user("district", "218"), make_user("district", "218")]
    evidence = Evidence.objects.create(
        commune=Commune.objects.get(code="7444"),
        criterion=criterion,
        year=YEAR,
        state=EvidenceState.SUBMITTED,
        submitted_by=staff,
        version=3,
    )
    barrier = threading.Barrier(2)
    outcomes = []

    def review(reviewer, approve):
        try:
            barrier.wait()
            if approve:
                services.evidence_approve(evidence_id=evidence.pk, by=reviewer, version=3)
            else:
                services.evidence_return(
                    evidence_id=evidence.pk, by=reviewer, version=3, note="Thiếu"
                )
            outcomes.append("done")
        except services.EvidenceConflict as conflict:
            outcomes.append(conflict.message)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=review, args=(reviewers[0], True)),
        threading.Thread(target=review, args=(reviewers[1], False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o == "done" for o in outcomes) == [False, True]
    evidence.refresh_from_db()
    assert evidence.version == 4
    assert EvidenceTransition.objects.filter(evidence=evidence).count() == 1
