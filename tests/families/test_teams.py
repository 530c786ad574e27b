"""The administrators' pages for teams, memberships and accounts."""

from html import unescape

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from families import services
from families.models import Family, FollowUp, Membership, Role, Team
from staff.models import User
from tests.conftest import client_for
from tests.factories import FamilyFactory, FollowUpFactory, LocalAuthorityFactory, MembershipFactory, TeamFactory

STRONG_PASSWORD = "a long and unusual temporary phrase"


@pytest.fixture
def administrator(db):
    return MembershipFactory(role=Role.ADMINISTRATOR, team=TeamFactory(name="Head office")).user


@pytest.fixture
def admin_client(administrator):
    return client_for(administrator)


@pytest.fixture
def team(db):
    return TeamFactory(name="North liaison")


def team_urls(team, membership):
    return [
        reverse("families:teams"),
        reverse("families:team_create"),
        reverse("families:team_members", args=[team.pk]),
        reverse("families:team_edit", args=[team.pk]),
        reverse("families:team_account_create", args=[team.pk]),
        reverse("families:team_membership_edit", args=[team.pk, membership.pk]),
        reverse("families:team_membership_remove", args=[team.pk, membership.pk]),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_everyone_but_administrators_gets_404(cast, method):
    membership = Membership.objects.get(user=cast.teammate)
    team = membership.team
    for user in (cast.key_worker, cast.manager, cast.outsider):
        client = client_for(user)
        for url in team_urls(team, membership):
            assert getattr(client, method)(url).status_code == 404, (user, url)
    assert Membership.objects.filter(pk=membership.pk, role=Role.CASEWORKER).exists()
    assert Team.objects.get(pk=team.pk).name == team.name


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(team):
    membership = MembershipFactory(team=team)
    client = client_for(None)
    for url in team_urls(team, membership):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_a_deactivated_administrator_gets_404(administrator, admin_client):
    administrator.is_active = False
    administrator.save()
    assert client_for(administrator).get(reverse("families:teams")).status_code in (302, 404)


@pytest.mark.django_db
def test_navigation_links_to_teams_for_administrators_only(cast, admin_client):
    assert reverse("families:teams") in admin_client.get(reverse("home")).content.decode()
    assert reverse("families:teams") not in client_for(cast.manager).get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_team_list_shows_kind_authority_and_members_in_constant_queries(admin_client, django_assert_num_queries, team):
    MembershipFactory.create_batch(3, team=team)
    national = TeamFactory(name="National line", kind=Team.Kind.NATIONAL, local_authority=None)
    with django_assert_num_queries(9) as captured:
        response = admin_client.get(reverse("families:teams"))
    page = response.content.decode()
    assert "North liaison" in page and "National line" in page
    assert team.local_authority.name in page
    assert "Parent liaison team" in page and "National support team" in page
    assert response.context["teams"].get(pk=team.pk).members == 3
    assert response.context["teams"].get(pk=national.pk).members == 0
    TeamFactory.create_batch(5)
    with django_assert_num_queries(len(captured)):
        admin_client.get(reverse("families:teams"))


@pytest.mark.django_db
def test_a_parent_liaison_team_needs_a_local_authority(admin_client):
    response = admin_client.post(
        reverse("families:team_create"), {"name": "South liaison", "kind": Team.Kind.PARENT_LIAISON}
    )
    assert response.status_code == 200
    assert "works in one local authority" in str(response.context["form"].errors["local_authority"])
    assert 'value="South liaison"' in response.content.decode()
    assert not Team.objects.filter(name="South liaison").exists()


@pytest.mark.django_db
def test_administrator_creates_a_team_and_it_is_audited(admin_client, administrator):
    authority = LocalAuthorityFactory()
    response = admin_client.post(
        reverse("families:team_create"),
        {"name": "South liaison", "kind": Team.Kind.PARENT_LIAISON, "local_authority": authority.pk},
    )
    team = Team.objects.get(name="South liaison")
    assert response["Location"] == reverse("families:team_members", args=[team.pk])
    entry = LogEntry.objects.get_for_object(team).get(action=LogEntry.Action.CREATE)
    assert entry.actor == administrator


@pytest.mark.django_db
def test_a_stale_team_edit_is_refused(admin_client, team):
    url = reverse("families:team_edit", args=[team.pk])
    data = {"kind": team.kind, "local_authority": team.local_authority_id, "version": team.version}
    assert admin_client.post(url, {**data, "name": "North team"}).status_code == 302
    response = admin_client.post(url, {**data, "name": "North liaison officers"})
    assert response.status_code == 200
    assert "Someone else saved a change" in response.content.decode()
    assert Team.objects.get(pk=team.pk).name == "North team"


@pytest.mark.django_db
def test_add_an_existing_account_to_a_team(admin_client, team):
    member = MembershipFactory(role=Role.CASEWORKER).user
    url = reverse("families:team_members", args=[team.pk])
    response = admin_client.post(url, {"email": member.email.upper(), "role": Role.PLO})
    assert response.status_code == 302
    membership = Membership.objects.get(team=team, user=member)
    assert membership.role == Role.PLO
    assert LogEntry.objects.get_for_object(membership).filter(action=LogEntry.Action.CREATE).exists()

    again = admin_client.post(url, {"email": member.email, "role": Role.MANAGER})
    assert "already in the North liaison" in str(again.context["form"].errors["email"])


@pytest.mark.django_db
def test_adding_an_unknown_address_says_so_and_keeps_it(admin_client, team):
    response = admin_client.post(
        reverse("families:team_members", args=[team.pk]), {"email": "nobody@pace.example.org", "role": Role.PLO}
    )
    assert "Nobody has an account" in str(response.context["form"].errors["email"])
    assert 'value="nobody@pace.example.org"' in response.content.decode()


@pytest.mark.django_db
def test_change_a_role(admin_client, team):
    membership = MembershipFactory(team=team, role=Role.CASEWORKER)
    response = admin_client.post(
        reverse("families:team_membership_edit", args=[team.pk, membership.pk]), {"role": Role.MANAGER}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.MANAGER


@pytest.mark.django_db
def test_the_last_administrator_cannot_step_down_or_be_removed(admin_client, administrator):
    membership = administrator.memberships.get()
    team_pk = membership.team_id
    response = admin_client.post(
        reverse("families:team_membership_edit", args=[team_pk, membership.pk]), {"role": Role.MANAGER}
    )
    assert "only administrator left" in str(response.context["form"].errors["role"])
    response = admin_client.post(reverse("families:team_membership_remove", args=[team_pk, membership.pk]))
    assert response.status_code == 200
    assert "only administrator left" in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk, role=Role.ADMINISTRATOR).exists()


@pytest.mark.django_db
def test_an_administrator_may_leave_once_there_is_another(admin_client, administrator):
    MembershipFactory(role=Role.ADMINISTRATOR)
    membership = administrator.memberships.get()
    response = admin_client.post(
        reverse("families:team_membership_remove", args=[membership.team_id, membership.pk])
    )
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()


@pytest.mark.django_db
def test_removing_someone_clears_their_key_work_and_passes_on_their_follow_ups(admin_client, team):
    leaving = MembershipFactory(team=team, role=Role.CASEWORKER)
    manager = MembershipFactory(team=team, role=Role.MANAGER).user
    colleague = MembershipFactory(team=team, role=Role.CASEWORKER).user
    theirs = FamilyFactory.create_batch(2, team=team, key_worker=leaving.user)
    colleagues_family = FamilyFactory(team=team, key_worker=colleague)
    # Key worker of a family of another team they stay in: that is left alone.
    elsewhere = FamilyFactory(key_worker=leaving.user)
    MembershipFactory(team=elsewhere.team, user=leaving.user)
    to_manager = FollowUpFactory(family=theirs[0], owner=leaving.user)
    to_colleague = FollowUpFactory(family=colleagues_family, owner=leaving.user)
    done = FollowUpFactory(family=theirs[1], owner=leaving.user, done_at="2026-11-30T10:00Z", done_by=leaving.user)
    kept = FollowUpFactory(family=elsewhere, owner=leaving.user)

    confirm = admin_client.get(reverse("families:team_membership_remove", args=[team.pk, leaving.pk]))
    assert "key worker of 2 families" in confirm.content.decode()
    response = admin_client.post(
        reverse("families:team_membership_remove", args=[team.pk, leaving.pk]), follow=True
    )
    page = unescape(response.content.decode())
    assert "2 families no longer have a key worker" in page
    assert f"1 open follow-up passed to {manager}" in page
    assert f"1 open follow-up passed to {colleague}" in page

    assert not Membership.objects.filter(pk=leaving.pk).exists()
    assert Family.objects.filter(pk__in=[f.pk for f in theirs], key_worker__isnull=True).count() == 2
    assert Family.objects.get(pk=elsewhere.pk).key_worker == leaving.user
    owners = dict(FollowUp.objects.values_list("pk", "owner"))
    assert owners[to_manager.pk] == manager.pk
    assert owners[to_colleague.pk] == colleague.pk
    assert owners[done.pk] == leaving.user.pk
    assert owners[kept.pk] == leaving.user.pk
    family_change = LogEntry.objects.get_for_object(theirs[0]).get(action=LogEntry.Action.UPDATE)
    assert "key_worker" in family_change.changes_dict


@pytest.mark.django_db
def test_removal_is_refused_when_nobody_could_take_over_follow_ups(admin_client, team):
    leaving = MembershipFactory(team=team, role=Role.CASEWORKER)
    family = FamilyFactory(team=team, key_worker=leaving.user)
    FollowUpFactory(family=family, owner=leaving.user)
    response = admin_client.post(reverse("families:team_membership_remove", args=[team.pk, leaving.pk]))
    assert response.status_code == 200
    assert "Nobody else in the North liaison could take over" in response.content.decode()
    assert Membership.objects.filter(pk=leaving.pk).exists()
    assert Family.objects.get(pk=family.pk).key_worker == leaving.user


@pytest.mark.django_db
def test_create_an_account_in_a_team(admin_client, team):
    url = reverse("families:team_account_create", args=[team.pk])
    data = {"email": "Priya.Shah@pace.example.org", "full_name": "Priya Shah", "role": Role.PLO}
    weak = admin_client.post(url, {**data, "password1": "password", "password2": "password"})
    assert weak.status_code == 200
    assert weak.context["form"].errors["password1"]
    assert 'value="Priya Shah"' in weak.content.decode()
    assert not User.objects.filter(email__iexact=data["email"]).exists()

    mismatched = admin_client.post(url, {**data, "password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD + "!"})
    assert mismatched.context["form"].errors["password2"]

    response = admin_client.post(url, {**data, "password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD})
    assert response.status_code == 302
    account = User.objects.get(email="priya.shah@pace.example.org")
    assert account.check_password(STRONG_PASSWORD)
    assert Membership.objects.get(user=account).team == team
    assert LogEntry.objects.get_for_object(account).filter(action=LogEntry.Action.CREATE).exists()

    again = admin_client.post(url, {**data, "password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD})
    assert "already an account" in str(again.context["form"].errors["email"])


@pytest.mark.django_db
def test_services_refuse_a_liaison_team_without_authority(administrator):
    from core.errors import UserFixableError

    with pytest.raises(UserFixableError) as refused:
        services.team_create(user=administrator, team=Team(name="X", kind=Team.Kind.PARENT_LIAISON))
    assert refused.value.field == "local_authority"
