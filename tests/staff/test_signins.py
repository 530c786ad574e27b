"""Your sign-ins: seeing where you are signed in and ending those sign-ins; an administrator ending anyone's."""

import datetime

import pytest
import time_machine
from auditlog.models import LogEntry
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from families.models import Role
from staff.models import SignIn
from staff.signins import browser_description, sweep_sign_ins
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.two_factor import verified_login

SIGN_INS = reverse("staff:sign_ins")
END_OTHERS = reverse("staff:end_other_sign_ins")
UTC = datetime.UTC
CHROME_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)


def signed_in_client(user):
    client = Client()
    verified_login(client, user)
    return client


def is_signed_in(client):
    return client.session.get(SESSION_KEY) is not None and client.get(reverse("home")).status_code == 200


def sign_in_of(client):
    return SignIn.objects.get(session_key=client.session.session_key)


def end(client, sign_in):
    return client.post(reverse("staff:end_sign_in", args=[sign_in.pk]))


@pytest.fixture
def user(db):
    return MembershipFactory(role=Role.CASEWORKER, user__full_name="Sam Jones").user


@pytest.fixture
def administrator(db):
    return MembershipFactory(role=Role.ADMINISTRATOR).user


def test_signing_in_records_the_browser_and_address_and_signing_out_forgets_it(user):
    client = Client(HTTP_USER_AGENT=CHROME_ON_WINDOWS, REMOTE_ADDR="203.0.113.7")
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    sign_in = sign_in_of(client)
    assert (sign_in.user, sign_in.browser, sign_in.client_address) == (user, "Chrome on Windows", "203.0.113.7")

    client.post(reverse("logout"))
    assert not SignIn.objects.filter(user=user).exists()


def test_the_list_shows_only_ones_own_sign_ins_and_marks_this_browser(user):
    here, elsewhere = signed_in_client(user), signed_in_client(user)
    someone_else = signed_in_client(UserFactory())
    page = here.get(SIGN_INS)
    assert page.status_code == 200
    shown = [sign_in.session_key for sign_in in page.context["sign_ins"]]
    assert sorted(shown) == sorted([here.session.session_key, elsewhere.session.session_key])
    assert someone_else.session.session_key not in shown
    assert page.content.decode().count("This browser</span>") == 1
    assert page.context["this_key"] == here.session.session_key


def test_the_users_name_in_the_navigation_links_to_their_sign_ins(user):
    page = signed_in_client(user).get(reverse("home")).content.decode()
    assert f'href="{SIGN_INS}"' in page
    assert "Sam Jones<span class=\"visually-hidden\">: your sign-ins</span>" in page


def test_ending_one_sign_in_signs_that_browser_out_at_once(user):
    here, elsewhere = signed_in_client(user), signed_in_client(user)
    response = end(here, sign_in_of(elsewhere))
    assert response.status_code == 302
    assert not is_signed_in(elsewhere)
    assert is_signed_in(here)
    assert list(SignIn.objects.filter(user=user).values_list("session_key", flat=True)) == [here.session.session_key]
    entry = LogEntry.objects.get(object_id=user.pk, additional_data__event="signed out of one sign-in")
    assert entry.actor == user


def test_ending_this_browsers_own_sign_in_signs_out(user):
    here = signed_in_client(user)
    response = end(here, sign_in_of(here))
    assert response.status_code == 302
    assert here.session.get(SESSION_KEY) is None
    assert not SignIn.objects.filter(user=user).exists()


def test_sign_out_everywhere_else_keeps_this_browser(user):
    here, phone, laptop = signed_in_client(user), signed_in_client(user), signed_in_client(user)
    colleague = signed_in_client(UserFactory())
    response = here.post(END_OTHERS, follow=True)
    assert "Signed out of 2 other sign-ins." in response.content.decode()
    assert not is_signed_in(phone)
    assert not is_signed_in(laptop)
    assert is_signed_in(here)
    assert is_signed_in(colleague)
    entry = LogEntry.objects.get(object_id=user.pk, additional_data__event="signed out everywhere else")
    assert (entry.actor, entry.additional_data["sign_ins_ended"]) == (user, 2)


def test_another_persons_sign_in_cannot_be_ended(user):
    here = signed_in_client(user)
    other = signed_in_client(UserFactory())
    assert end(here, sign_in_of(other)).status_code == 404
    assert is_signed_in(other)


def test_ending_needs_a_post(user):
    here, elsewhere = signed_in_client(user), signed_in_client(user)
    assert here.get(reverse("staff:end_sign_in", args=[sign_in_of(elsewhere).pk])).status_code == 405
    assert here.get(END_OTHERS).status_code == 405
    assert is_signed_in(elsewhere)


def test_an_administrator_signs_a_person_out_of_every_device_audited(user, administrator):
    phone, laptop = signed_in_client(user), signed_in_client(user)
    admin = signed_in_client(administrator)
    url = reverse("families:team_account_sign_ins", args=[user.pk])
    page = admin.get(url)
    assert page.status_code == 200
    assert len(page.context["sign_ins"]) == 2
    assert "Sign out of every device" in page.content.decode()

    response = admin.post(url, follow=True)
    assert "Sam Jones is signed out of 2 devices." in response.content.decode()
    assert not is_signed_in(phone)
    assert not is_signed_in(laptop)
    assert is_signed_in(admin)
    entry = LogEntry.objects.get(object_id=user.pk, additional_data__event="signed out of every device")
    assert (entry.actor, entry.action, entry.additional_data["sign_ins_ended"]) == (
        administrator,
        LogEntry.Action.UPDATE,
        2,
    )


def test_the_team_member_page_links_to_the_persons_sign_ins(user, administrator):
    membership = user.memberships.get()
    page = signed_in_client(administrator).get(
        reverse("families:team_membership_edit", args=[membership.team_id, membership.pk])
    )
    assert reverse("families:team_account_sign_ins", args=[user.pk]) in page.content.decode()


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.MANAGER, Role.PLO])
def test_only_administrators_may_see_or_end_someone_elses_sign_ins(user, role):
    phone = signed_in_client(user)
    url = reverse("families:team_account_sign_ins", args=[user.pk])
    for other in (signed_in_client(MembershipFactory(role=role).user), signed_in_client(user)):
        assert other.get(url).status_code == 404
        assert other.post(url).status_code == 404
    assert is_signed_in(phone)
    assert not LogEntry.objects.filter(additional_data__event="signed out of every device").exists()


def test_last_seen_is_written_at_most_once_a_minute(user):
    start = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        client = signed_in_client(user)
        traveller.shift(datetime.timedelta(seconds=59))
        client.get(reverse("home"))
        assert sign_in_of(client).last_seen_at == start

        traveller.shift(datetime.timedelta(seconds=1))
        client.get(reverse("home"))
        assert sign_in_of(client).last_seen_at == start + datetime.timedelta(minutes=1)

        traveller.shift(datetime.timedelta(seconds=30))
        client.get(reverse("home"))
        assert sign_in_of(client).last_seen_at == start + datetime.timedelta(minutes=1)


def test_a_session_without_a_row_is_given_one_when_seen(user):
    client = signed_in_client(user)
    SignIn.objects.all().delete()
    with time_machine.travel(datetime.timedelta(minutes=2)):
        client.get(reverse("home"))
    assert sign_in_of(client).user == user


def test_sessions_that_have_ended_are_not_listed_and_are_swept(user):
    here = signed_in_client(user)
    with time_machine.travel(datetime.timedelta(hours=1)):
        gone = signed_in_client(user)
    # Idle for an hour: the first session's row is left, its session has expired.
    with time_machine.travel(datetime.timedelta(hours=1, minutes=1)):
        assert [s.session_key for s in gone.get(SIGN_INS).context["sign_ins"]] == [gone.session.session_key]
        assert sweep_sign_ins() == 1
    assert not SignIn.objects.filter(session_key=here.session.session_key).exists()


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        (CHROME_ON_WINDOWS, "Chrome on Windows"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 Edg/131.0",
         "Edge on Windows"),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Mobile/15E148 "
         "Safari/604.1", "Safari on an iPhone"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on a Mac"),
        ("", ""),
        ("x" * 300, "x" * 120),
    ],
)
def test_browser_description(user_agent, expected):
    assert browser_description(user_agent) == expected
