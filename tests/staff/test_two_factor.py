"""The second factor: set up at first sign-in, asked for before any case page, each code used once."""

import datetime
import re

import pytest
import time_machine
from auditlog.models import LogEntry
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from families.models import Role
from staff import two_factor
from staff.models import SignIn
from tests.factories import PASSWORD, FamilyFactory, MembershipFactory, UserFactory
from tests.two_factor import app_device, code_at, code_for_key, current_code, enrol, verified_login

VERIFY = reverse("two_factor:verify")
SET_UP = reverse("two_factor:set_up")
MANAGE = reverse("two_factor:manage")
NEW_CODES = reverse("two_factor:new_recovery_codes")
STATUS = reverse("staff:session_status")
KEEP_ALIVE = reverse("staff:session_keep_alive")
SIGN_IN_AGAIN = reverse("staff:session_sign_in")
MOMENT = datetime.datetime(2026, 11, 30, 9, 0, 10, tzinfo=datetime.UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen():
    with time_machine.travel(MOMENT, tick=False) as traveller:
        yield traveller


@pytest.fixture
def worker(db):
    return MembershipFactory(role=Role.CASEWORKER, user__email="sam.jones@pace.example.org").user


@pytest.fixture
def family(worker):
    return FamilyFactory(team=worker.memberships.get().team, key_worker=worker)


def sign_in_with_password(client, user, next_url=""):
    data = {"username": user.email, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    response = client.post(reverse("login"), data)
    assert response.status_code == 302, "the password was refused"
    return response


def verify(client, code, next_url=""):
    return client.post(VERIFY, {"code": code, "next": next_url})


def errors(response):
    return [str(error) for error in response.context["form"].errors.get("code", [])]


# ------------------------------------------------------------------ required before any page


def test_someone_without_an_app_is_sent_to_set_one_up_before_a_family_page(client, worker, family):
    sign_in_with_password(client, worker)
    response = client.get(family.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"] == f"{SET_UP}?next=%2Ffamilies%2F{family.pk}%2F"


def test_someone_with_an_app_is_asked_for_a_code_before_a_family_page(client, worker, family):
    app_device(worker)
    sign_in_with_password(client, worker)
    response = client.get(family.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"].startswith(f"{VERIFY}?next=")


def test_before_the_code_the_page_offers_only_a_way_out(client, worker):
    app_device(worker)
    sign_in_with_password(client, worker)
    page = client.get(VERIFY).content.decode()
    assert 'aria-label="Main"' in page and "Sign out" in page
    for link in (reverse("families:list"), reverse("families:search"), reverse("staff:sign_ins")):
        assert f'href="{link}"' not in page and f'hx-post="{link}"' not in page


@pytest.mark.parametrize("name", ["home", "families:list", "families:create", "staff:sign_ins", "password_change"])
def test_every_page_waits_for_the_code(client, worker, name):
    app_device(worker)
    sign_in_with_password(client, worker)
    assert client.get(reverse(name))["Location"].startswith(VERIFY)


def test_the_admin_site_waits_for_the_code(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    app_device(admin)
    sign_in_with_password(client, admin)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)


@pytest.mark.parametrize("url", [reverse("password_reset"), reverse("password_reset_done"), "/health/"])
def test_sign_out_password_reset_and_health_do_not_wait_for_it(client, worker, url):
    sign_in_with_password(client, worker)
    assert client.get(url).status_code in (200, 503)


def test_signing_out_works_before_the_code(client, worker):
    sign_in_with_password(client, worker)
    client.post(reverse("logout"))
    assert SESSION_KEY not in client.session


def test_an_htmx_request_is_told_where_to_go_not_given_a_page(client, worker, family):
    app_device(worker)
    sign_in_with_password(client, worker)
    response = client.post(reverse("families:search"), {"q": "okaf"}, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == VERIFY
    assert response.content == b""


def test_the_session_endpoints_answer_in_json_as_for_someone_signed_out(client, worker):
    sign_in_with_password(client, worker)
    for response in (client.get(STATUS), client.post(KEEP_ALIVE)):
        assert response.status_code == 401
        assert response["Content-Type"] == "application/json"
        assert response.json()["signed_in"] is False
        assert response.json()["reason"] == "second_factor"


def test_a_json_request_gets_json(client, worker):
    app_device(worker)
    sign_in_with_password(client, worker)
    response = client.get(reverse("home"), headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.json()["url"] == f"{VERIFY}?next=%2F"


def test_a_signed_in_page_without_the_code_gives_the_session_script_nothing(client, worker):
    app_device(worker)
    sign_in_with_password(client, worker)
    page = client.get(VERIFY).content.decode()
    assert 'id="session-timer"' not in page
    assert 'id="session-sign-in"' not in page


# ------------------------------------------------------------------ setting up


def test_the_set_up_page_shows_a_qr_code_drawn_here_and_the_key_in_groups(client, worker):
    sign_in_with_password(client, worker)
    page = client.get(SET_UP)
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=worker)
    assert not device.confirmed
    svg = re.search(r"<svg [^>]*>.*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg
    assert f"<title>{two_factor.QR_CODE_TITLE}</title>" in svg
    assert "style=" not in svg
    key = page.context["key_in_groups"]
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{4})*", key)
    assert f'<code id="two-factor-key" class="fs-5 user-select-all">{key}</code>' in html
    # Fetching the phone and coming back shows the same key.
    assert client.get(SET_UP).context["key_in_groups"] == key
    assert TOTPDevice.objects.filter(user=worker).count() == 1


def test_a_wrong_code_does_not_confirm_the_app(client, worker, frozen):
    sign_in_with_password(client, worker)
    client.get(SET_UP)
    response = client.post(SET_UP, {"code": "000000"})
    assert response.status_code == 200
    assert errors(response) == [two_factor.WRONG_SET_UP_CODE]
    assert not TOTPDevice.objects.get(user=worker).confirmed
    assert not StaticDevice.objects.filter(user=worker).exists()
    assert client.get(reverse("home"))["Location"].startswith(SET_UP)


def test_confirming_shows_ten_recovery_codes_once_and_lets_the_person_in(client, worker, family):
    sign_in_with_password(client, worker)
    response = enrol(client, next_url=family.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    codes = response.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = set(StaticToken.objects.filter(device__user=worker).values_list("token", flat=True))
    assert {code.replace("-", "") for code in codes} == stored
    assert all(code in html for code in codes)
    assert "data-print" in html
    assert "only time these codes are shown" in html
    assert f'href="{family.get_absolute_url()}"' in html
    assert TOTPDevice.objects.get(user=worker).confirmed
    assert client.get(family.get_absolute_url()).status_code == 200
    # Shown once: the set-up page is not there to show them again.
    assert client.get(SET_UP)["Location"] == MANAGE
    assert LogEntry.objects.filter(object_id=worker.pk, additional_data__event="second factor set up").count() == 1


def test_someone_with_an_app_cannot_set_up_another_before_typing_its_code(client, worker):
    app_device(worker)
    sign_in_with_password(client, worker)
    assert client.get(SET_UP)["Location"] == VERIFY
    assert TOTPDevice.objects.filter(user=worker).count() == 1


# ------------------------------------------------------------------ typing the code


def test_the_right_code_lets_the_person_in_with_a_new_session_key(client, worker, family, frozen):
    device = app_device(worker)
    sign_in_with_password(client, worker)
    key_before = client.session.session_key
    response = verify(client, current_code(device), next_url=family.get_absolute_url())
    assert response["Location"] == family.get_absolute_url()
    assert client.session.session_key != key_before
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    # The sign-in row follows the new key, so "Your sign-ins" still lists this browser.
    assert SignIn.objects.filter(session_key=client.session.session_key, user=worker).exists()
    assert not Session.objects.filter(session_key=key_before).exists()
    assert client.get(family.get_absolute_url()).status_code == 200


def test_an_app_code_cannot_be_used_twice(worker, frozen):
    """ASVS 6.5.1: the same code, typed again in the same 30 seconds in another browser, is refused."""
    device = app_device(worker)
    code = current_code(device)
    first, second = Client(), Client()
    sign_in_with_password(first, worker)
    assert verify(first, code).status_code == 302
    sign_in_with_password(second, worker)
    frozen.shift(datetime.timedelta(seconds=5))
    response = verify(second, code)
    assert response.status_code == 200
    assert errors(response) == [two_factor.WRONG_CODE]
    assert second.get(reverse("home"))["Location"].startswith(VERIFY)


def test_the_next_code_works_after_one_was_used(worker, frozen):
    device = app_device(worker)
    first, second = Client(), Client()
    sign_in_with_password(first, worker)
    assert verify(first, current_code(device)).status_code == 302
    frozen.shift(datetime.timedelta(seconds=30))
    sign_in_with_password(second, worker)
    assert verify(second, current_code(device)).status_code == 302


def test_a_recovery_code_works_once(worker, frozen):
    app_device(worker)
    first, second = Client(), Client()
    sign_in_with_password(first, worker)
    codes = two_factor.recovery_codes_replace(user=worker)
    typed = two_factor.recovery_code_display(codes[0]).upper()  # as printed, in capitals
    response = verify(first, typed)
    assert response.status_code == 302
    assert first.get(reverse("home")).status_code == 200
    assert StaticToken.objects.filter(device__user=worker).count() == 9
    sign_in_with_password(second, worker)
    frozen.shift(datetime.timedelta(seconds=5))
    response = verify(second, typed)
    assert errors(response) == [two_factor.WRONG_CODE]


def test_wrong_codes_are_throttled_with_a_wait_in_plain_words(client, worker, frozen):
    device = app_device(worker)
    sign_in_with_password(client, worker)
    for _ in range(3):
        verify(client, "000000")
        frozen.shift(datetime.timedelta(seconds=5))
    # Three wrong codes: the next is not even checked for 4 seconds after the last.
    frozen.shift(datetime.timedelta(seconds=-4))
    response = verify(client, current_code(device))
    assert errors(response) == [two_factor.wait_message(3)]
    assert "wait 3 seconds, then try again" in response.content.decode()
    assert client.get(reverse("home"))["Location"].startswith(VERIFY)
    frozen.shift(datetime.timedelta(seconds=4))
    assert verify(client, current_code(device)).status_code == 302


def test_an_empty_box_is_asked_for(client, worker):
    app_device(worker)
    sign_in_with_password(client, worker)
    response = verify(client, "")
    assert response.status_code == 200
    assert response.context["form"].errors["code"]


@pytest.mark.parametrize("next_url", ["https://elsewhere.example/", "//elsewhere.example/", "javascript:alert(1)"])
def test_next_must_be_a_page_on_this_site(client, worker, frozen, next_url):
    device = app_device(worker)
    sign_in_with_password(client, worker)
    assert verify(client, current_code(device), next_url=next_url)["Location"] == reverse("home")


def test_the_sign_in_pages_next_is_carried_through_the_code(client, worker, family, frozen):
    device = app_device(worker)
    sign_in_with_password(client, worker, next_url=family.get_absolute_url())
    asked = client.get(family.get_absolute_url())
    page = client.get(asked["Location"])
    assert page.context["next_url"] == family.get_absolute_url()
    assert verify(client, current_code(device), next_url=page.context["next_url"])["Location"] == \
        family.get_absolute_url()


# ------------------------------------------------------------------ "Your second factor"


def test_your_second_factor_says_when_and_how_many_codes_are_left(worker, frozen):
    client = Client()
    verified_login(client, worker)
    two_factor.recovery_codes_replace(user=worker)
    StaticToken.objects.filter(device__user=worker).first().delete()
    page = client.get(MANAGE).content.decode()
    assert "Set up 30 Nov 2026" in page
    assert "9 of 10" in page
    assert MANAGE in client.get(reverse("staff:sign_ins")).content.decode()


def test_new_recovery_codes_need_a_current_code_and_replace_the_old(worker, frozen):
    client = Client()
    device = verified_login(client, worker)
    old = two_factor.recovery_codes_replace(user=worker)
    refused = client.post(NEW_CODES, {"code": "000000"})
    assert refused.status_code == 400
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(old)

    frozen.shift(datetime.timedelta(seconds=2))  # past the pause after a wrong code
    response = client.post(NEW_CODES, {"code": current_code(device)})
    assert response.status_code == 200
    new = {code.replace("-", "") for code in response.context["codes"]}
    assert set(StaticToken.objects.values_list("token", flat=True)) == new
    assert not new & set(old)
    assert LogEntry.objects.filter(object_id=worker.pk, additional_data__event="new recovery codes made").exists()


# ------------------------------------------------------------------ an administrator resets it


@pytest.fixture
def administrator(db):
    return MembershipFactory(role=Role.ADMINISTRATOR).user


def reset_url(person):
    return reverse("families:team_account_second_factor_reset", args=[person.pk])


def test_an_administrator_resets_a_second_factor_audited_and_signed_out(worker, administrator):
    worker_client = Client()
    verified_login(worker_client, worker)
    two_factor.recovery_codes_replace(user=worker)
    admin_client = Client()
    verified_login(admin_client, administrator)
    assert "Reset" in admin_client.get(reverse("families:team_account_sign_ins", args=[worker.pk])).content.decode()

    response = admin_client.post(reset_url(worker))

    assert response["Location"] == reverse("families:team_account_sign_ins", args=[worker.pk])
    assert not TOTPDevice.objects.filter(user=worker).exists()
    assert not StaticDevice.objects.filter(user=worker).exists()
    assert not SignIn.objects.filter(user=worker).exists()
    assert worker_client.get(reverse("home"))["Location"].startswith(reverse("login"))
    entry = LogEntry.objects.get(object_id=worker.pk, additional_data__event="second factor reset")
    assert entry.actor == administrator
    # At the next sign-in the person sets up an app again.
    sign_in_with_password(worker_client, worker)
    assert worker_client.get(reverse("home"))["Location"].startswith(SET_UP)


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.MANAGER, Role.PLO])
def test_only_administrators_may_reset(worker, role):
    device = app_device(worker)
    client = Client()
    verified_login(client, MembershipFactory(role=role).user)
    assert client.post(reset_url(worker)).status_code == 404
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert not LogEntry.objects.filter(additional_data__event="second factor reset").exists()


def test_reset_is_post_only(worker, administrator):
    client = Client()
    verified_login(client, administrator)
    app_device(worker)
    assert client.get(reset_url(worker)).status_code == 405
    assert TOTPDevice.objects.filter(user=worker).exists()


# ------------------------------------------------------------------ signing in again in the dialog


def sign_in_again(client, user, **data):
    return client.post(SIGN_IN_AGAIN, {"expected": user.email, "username": user.email, "password": PASSWORD, **data})


def test_the_sign_in_again_dialog_needs_the_code(worker, frozen):
    device = app_device(worker)
    client = Client()
    verified_login(client, worker)
    Session.objects.all().delete()

    without = sign_in_again(client, worker)
    assert without.status_code == 400
    assert without.json()["field"] == "code"
    assert SESSION_KEY not in client.session

    wrong = sign_in_again(client, worker, code="000000")
    assert wrong.status_code == 400
    assert wrong.json()["error"] == two_factor.WRONG_CODE
    assert SESSION_KEY not in client.session

    frozen.shift(datetime.timedelta(seconds=2))
    right = sign_in_again(client, worker, code=current_code(device))
    assert right.status_code == 200 and right.json()["signed_in"] is True
    assert client.get(reverse("home")).status_code == 200


def test_the_dialog_does_not_check_codes_for_a_wrong_password(worker, frozen):
    device = app_device(worker)
    response = sign_in_again(Client(), worker, password="not the password", code=current_code(device))
    assert response.status_code == 400
    assert response.json()["field"] == "password"
    device.refresh_from_db()
    assert device.last_t == -1  # the code was not spent


def test_the_dialog_refuses_someone_who_has_no_app_yet(worker):
    response = sign_in_again(Client(), worker, code="123456")
    assert response.status_code == 403
    assert response.json()["error"] == "You have not set up your second factor yet, so you cannot sign in again " \
        "here. Copy anything you need to keep from this page, then sign in on the sign-in page to set it up."


def test_a_dialog_code_cannot_be_used_again_on_the_page(worker, frozen):
    device = app_device(worker)
    code = current_code(device)
    assert sign_in_again(Client(), worker, code=code).status_code == 200
    client = Client()
    sign_in_with_password(client, worker)
    assert errors(verify(client, code)) == [two_factor.WRONG_CODE]


# ------------------------------------------------------------------ a password reset does not step around it


def test_after_a_password_reset_case_pages_still_need_the_code(client, worker, family, mailoutbox, frozen):
    app_device(worker)
    client.post(reverse("password_reset"), {"email": worker.email})
    link = re.search(r"https?://\S+", mailoutbox[0].body).group(0)
    form = client.get(re.sub(r"^https?://[^/]+", "", link))
    new_password = "a brand new passphrase 42"
    done = client.post(form["Location"], {"new_password1": new_password, "new_password2": new_password})
    assert done["Location"] == reverse("password_reset_complete")
    assert SESSION_KEY not in client.session

    assert client.post(reverse("login"), {"username": worker.email, "password": new_password}).status_code == 302
    assert client.get(family.get_absolute_url())["Location"].startswith(VERIFY)


# ------------------------------------------------------------------ the helpers' arithmetic


def test_the_key_shown_gives_the_same_codes_as_the_device(worker, frozen):
    device = app_device(worker)
    assert code_for_key(two_factor.key_in_groups(device)) == current_code(device)
    assert code_at(device, MOMENT.timestamp()) == current_code(device)
    assert code_at(device, MOMENT.timestamp() + 30) != current_code(device)
