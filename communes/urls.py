from django.urls import path

from communes import reorganization_views, views

CHECKLIST = "communes/<str:code>/checklist/<int:year>/"
EVIDENCE = CHECKLIST + "<str:criterion>/"
COMMUNE = {"level": "commune"}
DISTRICT = {"level": "district"}

urlpatterns = [
    # The checklist and its evidence
    path(CHECKLIST, views.checklist, name="checklist"),
    path(
        CHECKLIST + "carry-over/<int:source>/",
        views.evidence_carry_over,
        name="evidence_carry_over",
    ),
    path(EVIDENCE, views.evidence_detail, name="evidence_detail"),
    path(EVIDENCE + "submit/", views.evidence_submit, name="evidence_submit"),
    path(EVIDENCE + "reopen/", views.evidence_reopen, name="evidence_reopen"),
    path(EVIDENCE + "review/", views.evidence_review, name="evidence_review"),
    path("evidence-files/<int:pk>/", views.evidence_file, name="evidence_file"),
    path("evidence-files/<int:pk>/view/", views.evidence_file_view, name="evidence_file_view"),
    path(
        "evidence-files/<int:pk>/thumbnail/",
        views.evidence_file_thumbnail,
        name="evidence_file_thumbnail",
    ),
    path(
        "evidence-files/<int:pk>/delete/", views.evidence_file_delete, name="evidence_file_delete"
    ),
    path("reviews/", views.reviews, name="reviews"),
    path("deadlines/", views.deadlines, name="deadlines"),
    path(
        "communes/<str:code>/extensions/<int:year>/", views.deadline_extend, name="deadline_extend"
    ),
    # Notifications
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path(
        "accounts/notifications/",
        views.notification_preferences,
        name="notification_preferences",
    ),
    # Steering committees
    path("communes/<str:code>/committee/", views.committee, COMMUNE, name="commune_committee"),
    path(
        "communes/<str:code>/committee/edit/",
        views.committee_edit,
        COMMUNE,
        name="commune_committee_edit",
    ),
    path(
        "communes/<str:code>/committee/members/add/",
        views.member_edit,
        COMMUNE,
        name="commune_member_add",
    ),
    path(
        "communes/<str:code>/committee/members/<int:pk>/",
        views.member_edit,
        COMMUNE,
        name="commune_member_edit",
    ),
    path(
        "communes/<str:code>/committee/members/<int:pk>/delete/",
        views.member_delete,
        COMMUNE,
        name="commune_member_delete",
    ),
    path("districts/<str:code>/committee/", views.committee, DISTRICT, name="district_committee"),
    path(
        "districts/<str:code>/committee/edit/",
        views.committee_edit,
        DISTRICT,
        name="district_committee_edit",
    ),
    path(
        "districts/<str:code>/committee/members/add/",
        views.member_edit,
        DISTRICT,
        name="district_member_add",
    ),
    path(
        "districts/<str:code>/committee/members/<int:pk>/",
        views.member_edit,
        DISTRICT,
        name="district_member_edit",
    ),
    path(
        "districts/<str:code>/committee/members/<int:pk>/delete/",
        views.member_delete,
        DISTRICT,
        name="district_member_delete",
    ),
    # Good practices and facility investment (dashboards).
    path("practices/", views.practices, name="practices"),
    # (a practice's page and a district's investment are in targets.urls: they show the
    # dashboards' tables)
    # Administrators record a reorganization of units (linked from the admin).
    path(
        "reorganizations/new/",
        reorganization_views.reorganization_new,
        name="reorganization_new",
    ),
    path(
        "reorganizations/<int:pk>/",
        reorganization_views.reorganization_detail,
        name="reorganization_detail",
    ),
]
