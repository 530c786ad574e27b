from django.urls import path

from families import call_views, dormant_views, timeline_views, views

app_name = "families"
urlpatterns = [
    path("families/", views.family_list, name="list"),
    path("families/search/", views.family_search, name="search"),
    path("families/new/", views.family_create, name="create"),
    path("families/postcode/", views.postcode_lookup, name="postcode_lookup"),
    path("families/<int:pk>/", views.family_detail, name="detail"),
    path("families/<int:pk>/edit/", views.family_edit, name="edit"),
    path("families/<int:pk>/history/", views.family_history, name="history"),
    path("families/<int:pk>/timeline/", timeline_views.family_timeline, name="timeline"),
    path("families/<int:pk>/transfer/", views.family_transfer, name="transfer"),
    path("families/<int:pk>/people/new/<str:kind>/", views.person_add, name="person_add"),
    path("families/<int:pk>/people/<int:person_pk>/edit/", views.person_edit, name="person_edit"),
    path("families/<int:pk>/consents/new/", views.consent_add, name="consent_add"),
    path("families/<int:pk>/consents/<int:consent_pk>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("families/<int:pk>/calls/new/", call_views.contact_log, name="contact_log"),
    path("families/<int:pk>/calls/<int:contact_pk>/", call_views.call_detail, name="call_detail"),
    path("families/<int:pk>/calls/<int:contact_pk>/amend/", call_views.call_amend, name="call_amend"),
    path("families/<int:pk>/calls/<int:contact_pk>/move/", call_views.call_move, name="call_move"),
    path("families/<int:pk>/calls/<int:contact_pk>/strike/", call_views.call_strike, name="call_strike"),
    path("families/<int:pk>/calls/<int:contact_pk>/reinstate/", call_views.call_reinstate, name="call_reinstate"),
    path("families/<int:pk>/calls/<int:contact_pk>/challenges/new/", call_views.challenge_new, name="challenge_new"),
    path(
        "families/<int:pk>/calls/<int:contact_pk>/challenges/<int:challenge_pk>/outcome/",
        call_views.challenge_outcome,
        name="challenge_outcome",
    ),
    path("families/<int:pk>/follow-ups/new/", call_views.follow_up_add, name="follow_up_add"),
    path("families/<int:pk>/follow-ups/<int:follow_up_pk>/done/", call_views.follow_up_done, name="follow_up_done"),
    path(
        "families/<int:pk>/follow-ups/<int:follow_up_pk>/reopen/", call_views.follow_up_reopen, name="follow_up_reopen"
    ),
    # Administrators only.
    path("teams/", views.team_list, name="teams"),
    path("teams/new/", views.team_create, name="team_create"),
    path("teams/last-sign-ins/", dormant_views.last_sign_ins, name="team_last_sign_ins"),
    path("teams/accounts/<int:user_pk>/sign-ins/", dormant_views.account_sign_ins, name="team_account_sign_ins"),
    path("teams/accounts/<int:user_pk>/second-factor/reset/", dormant_views.account_second_factor_reset,
         name="team_account_second_factor_reset"),
    path("teams/<int:pk>/", views.team_members, name="team_members"),
    path("teams/<int:pk>/edit/", views.team_edit, name="team_edit"),
    path("teams/<int:pk>/accounts/new/", views.team_account_create, name="team_account_create"),
    path("teams/<int:pk>/members/<int:membership_pk>/", views.team_membership_edit, name="team_membership_edit"),
    path(
        "teams/<int:pk>/members/<int:membership_pk>/remove/",
        views.team_membership_remove,
        name="team_membership_remove",
    ),
]
