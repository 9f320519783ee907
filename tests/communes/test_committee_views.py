"""Steering committee pages: districts and communes keep their own committee up to date."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from communes.models import CommitteeMember, Level, MemberRole, SteeringCommittee


def assert_login_redirect(response):
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.fixture
def persona(request):
    def get(name):
        return None if name == "anonymous" else request.getfixturevalue(name)

    return get


@pytest.fixture
def commune_committee(doi_ngo):
    committee = SteeringCommittee.objects.create(
        level=Level.COMMUNE,
        commune=doi_ngo,
        decision_number="12/QĐ-UBND",
        established_on=datetime.date(2023, 1, 9),
    )
    CommitteeMember.objects.create(
        committee=committee,
        full_name="Nguyễn Văn An",
        position="Chủ tịch UBND thị trấn",
        organisation="UBND thị trấn Đồi Ngô",
        role=MemberRole.CHAIR,
        order=1,
    )
    return committee


@pytest.fixture
def district_committee(luc_nam):
    committee = SteeringCommittee.objects.create(
        level=Level.DISTRICT,
        district=luc_nam,
        decision_number="2752/QĐ-UBND",
        established_on=datetime.date(2022, 10, 6),
    )
    CommitteeMember.objects.create(
        committee=committee,
        full_name="Thân Văn Hùng",
        position="Chủ tịch UBND huyện",
        organisation="UBND huyện Lục Nam",
        role=MemberRole.CHAIR,
        order=1,
    )
    return committee


def member_data(**overrides):
    data = {
        "full_name": "Trần Thị Lan",
        "position": "Công chức Văn phòng – Thống kê",
        "organisation": "UBND thị trấn Đồi Ngô",
        "role": MemberRole.MEMBER,
        "order": 5,
    }
    return data | overrides


# --- Who may do what ---------------------------------------------------------------------------

COMMUNE_PAGE = reverse("commune_committee", args=["7444"])
COMMUNE_EDIT = reverse("commune_committee_edit", args=["7444"])
COMMUNE_ADD = reverse("commune_member_add", args=["7444"])
DISTRICT_PAGE = reverse("district_committee", args=["218"])
DISTRICT_EDIT = reverse("district_committee_edit", args=["218"])
DISTRICT_ADD = reverse("district_member_add", args=["218"])


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin_user", 200),
        ("province_official", 200),
        ("district_official", 200),
        ("commune_staff", 200),
        ("other_district_official", 403),
        ("leloi_staff", 403),
    ],
)
def test_a_communes_committee_is_readable_in_scope(
    client_for, persona, commune_committee, who, status
):
    response = client_for(persona(who)).get(COMMUNE_PAGE)
    assert response.status_code == status
    if status == 200:
        assert "Nguyễn Văn An" in response.content.decode()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin_user", 200),
        ("province_official", 200),
        ("district_official", 200),
        ("other_district_official", 403),
        ("commune_staff", 403),
    ],
)
def test_a_districts_committee_is_readable_by_the_district_and_the_province(
    client_for, persona, district_committee, who, status
):
    assert client_for(persona(who)).get(DISTRICT_PAGE).status_code == status


@pytest.mark.parametrize(
    ("url", "who", "status"),
    [
        (COMMUNE_EDIT, "commune_staff", 200),
        (COMMUNE_EDIT, "admin_user", 200),
        (COMMUNE_EDIT, "district_official", 403),
        (COMMUNE_EDIT, "province_official", 403),
        (COMMUNE_EDIT, "leloi_staff", 403),
        (COMMUNE_ADD, "commune_staff", 200),
        (COMMUNE_ADD, "district_official", 403),
        (COMMUNE_ADD, "leloi_staff", 403),
        (DISTRICT_EDIT, "district_official", 200),
        (DISTRICT_EDIT, "admin_user", 200),
        (DISTRICT_EDIT, "other_district_official", 403),
        (DISTRICT_EDIT, "province_official", 403),
        (DISTRICT_EDIT, "commune_staff", 403),
        (DISTRICT_ADD, "district_official", 200),
        (DISTRICT_ADD, "province_official", 403),
        (DISTRICT_ADD, "other_district_official", 403),
    ],
)
def test_only_the_units_own_users_edit_its_committee(
    client_for, persona, commune_committee, district_committee, url, who, status
):
    assert client_for(persona(who)).get(url).status_code == status


@pytest.mark.parametrize(
    "url",
    [COMMUNE_PAGE, COMMUNE_EDIT, COMMUNE_ADD, DISTRICT_PAGE, DISTRICT_EDIT, DISTRICT_ADD],
)
def test_anonymous_visitors_are_sent_to_login(client, db, url):
    assert_login_redirect(client.get(url))


def test_unknown_units_are_not_found(client_for, admin_user):
    client = client_for(admin_user)
    assert client.get(reverse("commune_committee", args=["99999"])).status_code == 404
    assert client.get(reverse("district_committee", args=["999"])).status_code == 404


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", COMMUNE_PAGE),
        ("post", DISTRICT_PAGE),
        ("put", COMMUNE_EDIT),
        ("delete", DISTRICT_ADD),
    ],
)
def test_wrong_methods_are_refused(client_for, admin_user, method, url):
    assert getattr(client_for(admin_user), method)(url).status_code == 405


def test_deleting_a_member_takes_a_post(client_for, commune_staff, commune_committee):
    member = commune_committee.members.get()
    url = reverse("commune_member_delete", args=["7444", member.pk])
    assert client_for(commune_staff).get(url).status_code == 405


@pytest.mark.parametrize(
    ("who", "status"),
    [("district_official", 403), ("province_official", 403), ("leloi_staff", 403)],
)
def test_others_cannot_delete_a_communes_member(
    client_for, persona, commune_committee, who, status
):
    member = commune_committee.members.get()
    url = reverse("commune_member_delete", args=["7444", member.pk])
    assert client_for(persona(who)).post(url).status_code == status
    assert CommitteeMember.objects.filter(pk=member.pk).exists()


# --- Keeping the committee up to date -----------------------------------------------------------


def test_a_commune_sets_up_its_committee_and_launch_date(
    client_for, commune_staff, doi_ngo, recompute
):
    client = client_for(commune_staff)
    page = client.get(COMMUNE_PAGE).content.decode()
    assert "Chưa có Ban Chỉ đạo" in page and "Nhập quyết định thành lập" in page
    response = client.post(
        COMMUNE_EDIT,
        {
            "decision_number": "15/QĐ-UBND",
            "established_on": "2023-01-09",
            "note": "",
            "model_launched_on": "2023-02-15",
        },
        follow=True,
    )
    assert "Đã lưu thông tin Ban Chỉ đạo." in response.content.decode()
    committee = SteeringCommittee.objects.get(commune=doi_ngo)
    assert (committee.level, committee.decision_number) == (Level.COMMUNE, "15/QĐ-UBND")
    doi_ngo.refresh_from_db()
    assert doi_ngo.model_launched_on == datetime.date(2023, 2, 15)
    assert "15/02/2023" in response.content.decode()
    recompute.committee_hook.assert_called_with(commune_id=doi_ngo.pk, year=None)


def test_editing_updates_the_committee_in_force_rather_than_adding_one(
    client_for, commune_staff, commune_committee, recompute
):
    client_for(commune_staff).post(
        COMMUNE_EDIT,
        {"decision_number": "20/QĐ-UBND", "established_on": "09/01/2023", "model_launched_on": ""},
    )
    commune_committee.refresh_from_db()
    assert commune_committee.decision_number == "20/QĐ-UBND"
    assert SteeringCommittee.objects.filter(commune=commune_committee.commune).count() == 1
    commune_committee.commune.refresh_from_db()
    assert commune_committee.commune.model_launched_on is None


def test_dates_in_the_future_are_refused(client_for, commune_staff, doi_ngo, recompute):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client_for(commune_staff).post(
        COMMUNE_EDIT,
        {"decision_number": "1/QĐ-UBND", "established_on": tomorrow, "model_launched_on": tomorrow},
    )
    assert response.status_code == 400
    assert "chưa đến; hãy nhập ngày đã diễn ra" in response.content.decode()
    assert not SteeringCommittee.objects.filter(commune=doi_ngo).exists()


def test_the_district_form_has_no_launch_date(client_for, district_official, district_committee):
    response = client_for(district_official).get(DISTRICT_EDIT)
    assert "model_launched_on" not in response.content.decode()


def test_members_are_added_edited_and_removed(client_for, commune_staff, commune_committee):
    client = client_for(commune_staff)
    assert client.get(COMMUNE_ADD).context["form"].initial["order"] == 2
    client.post(COMMUNE_ADD, member_data())
    lan = commune_committee.members.get(full_name="Trần Thị Lan")
    edit_url = reverse("commune_member_edit", args=["7444", lan.pk])
    client.post(
        edit_url, member_data(role=MemberRole.DEPUTY, position="Phó Chủ tịch UBND thị trấn")
    )
    lan.refresh_from_db()
    assert (lan.role, lan.position) == (MemberRole.DEPUTY, "Phó Chủ tịch UBND thị trấn")
    response = client.post(reverse("commune_member_delete", args=["7444", lan.pk]), follow=True)
    assert "Đã xóa Trần Thị Lan khỏi Ban Chỉ đạo." in response.content.decode()
    assert not commune_committee.members.filter(pk=lan.pk).exists()


def test_a_committee_has_one_chair(client_for, commune_staff, commune_committee):
    response = client_for(commune_staff).post(COMMUNE_ADD, member_data(role=MemberRole.CHAIR))
    assert response.status_code == 400
    assert "Ban đã có Trưởng ban (Nguyễn Văn An)" in response.content.decode()


def test_members_wait_for_the_committee_decision(client_for, commune_staff, doi_ngo):
    response = client_for(commune_staff).get(COMMUNE_ADD)
    assert response.status_code == 302 and response["Location"] == COMMUNE_EDIT


def test_a_member_of_another_units_committee_is_not_found(
    client_for, commune_staff, commune_committee, district_committee
):
    district_member = district_committee.members.get()
    url = reverse("commune_member_edit", args=["7444", district_member.pk])
    assert client_for(commune_staff).get(url).status_code == 404


def test_the_district_keeps_its_members(client_for, district_official, district_committee):
    client = client_for(district_official)
    client.post(DISTRICT_ADD, member_data(organisation="Phòng Nội vụ huyện Lục Nam"))
    page = client.get(DISTRICT_PAGE).content.decode()
    assert "Trần Thị Lan" in page and "Thành viên (2)" in page


def test_the_committee_page_lists_members_without_a_query_each(
    client_for, district_official, district_committee, django_assert_max_num_queries
):
    CommitteeMember.objects.bulk_create(
        CommitteeMember(
            committee=district_committee,
            full_name=f"Thành viên {i}",
            position="Trưởng phòng",
            organisation="UBND huyện Lục Nam",
            order=i + 2,
        )
        for i in range(12)
    )
    client = client_for(district_official)
    # Session, user, scope, the district and its visibility, the committee and its members,
    # the navigation's counts: guards against a query per member.
    with django_assert_max_num_queries(9):
        assert client.get(DISTRICT_PAGE).status_code == 200


def test_dates_are_shown_and_typed_day_first(client_for, commune_staff, commune_committee):
    page = client_for(commune_staff).get(COMMUNE_EDIT).content.decode()
    assert 'value="09/01/2023"' in page and 'placeholder="dd/mm/yyyy"' in page


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("district_official", 302),
        ("admin_user", 302),
        ("other_district_official", 403),
        ("province_official", 403),
        ("commune_staff", 403),
    ],
)
def test_only_the_districts_officials_edit_and_remove_its_members(
    client_for, persona, district_committee, who, status
):
    member = district_committee.members.get()
    client = client_for(persona(who))
    edit = client.post(
        reverse("district_member_edit", args=["218", member.pk]),
        member_data(full_name="Thân Văn Hưng", role=MemberRole.CHAIR),
    )
    assert edit.status_code == status
    member.refresh_from_db()
    assert (member.full_name == "Thân Văn Hưng") == (status == 302)
    remove = client.post(reverse("district_member_delete", args=["218", member.pk]))
    assert remove.status_code == status
    assert CommitteeMember.objects.filter(pk=member.pk).exists() == (status != 302)


@pytest.mark.parametrize("level, code", [("commune", "7444"), ("district", "218")])
def test_member_pages_send_anonymous_visitors_to_login_and_refuse_wrong_methods(
    client, client_for, admin_user, commune_committee, district_committee, level, code
):
    committee = commune_committee if level == "commune" else district_committee
    pk = committee.members.get().pk
    edit = reverse(f"{level}_member_edit", args=[code, pk])
    delete = reverse(f"{level}_member_delete", args=[code, pk])
    assert_login_redirect(client.get(edit))
    assert_login_redirect(client.post(delete))
    admin = client_for(admin_user)
    assert admin.delete(edit).status_code == 405
    assert admin.get(delete).status_code == 405
