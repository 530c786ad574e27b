"""An anonymised family is a tombstone for the figures, not a record: its own team cannot open,
list, find or change it, whatever page they try."""

import pytest
from django.urls import reverse
from django.utils import timezone

from families.models import Family
from tests.conftest import client_for
from tests.factories import ContactFactory, FamilyFactory, MembershipFactory


@pytest.fixture
def anonymised(db):
    family = FamilyFactory(status=Family.Status.CLOSED, closure_reason=Family.ClosureReason.SUPPORT_COMPLETE,
                           closed_on=timezone.localdate())
    call = ContactFactory(family=family)
    Family.objects.filter(pk=family.pk).update(reference="ANON-7Q2XK4M", anonymised_at=timezone.now())
    family.refresh_from_db()
    return family, call


@pytest.mark.django_db
def test_its_own_team_gets_404_on_every_page_of_it(anonymised):
    family, call = anonymised
    worker = MembershipFactory(team=family.team).user
    client = client_for(worker)
    for url in (
        reverse("families:detail", args=[family.pk]),
        reverse("families:edit", args=[family.pk]),
        reverse("families:timeline", args=[family.pk]),
        reverse("families:contact_log", args=[family.pk]),
        reverse("families:call_detail", args=[family.pk, call.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("families:contact_log", args=[family.pk]), {"summary": "x"}).status_code == 404
    assert not family.contacts.exclude(pk=call.pk).exists()


@pytest.mark.django_db
def test_it_is_not_listed_or_found(anonymised):
    family, _ = anonymised
    kept = FamilyFactory(team=family.team)
    client = client_for(MembershipFactory(team=family.team).user)
    listed = client.get(reverse("families:list"), {"status": "closed"}).content.decode()
    assert "ANON-7Q2XK4M" not in listed
    everything = client.get(reverse("families:list"), {"status": ""}).content.decode()
    assert kept.reference in everything and "ANON-7Q2XK4M" not in everything
    # (The page repeats what was typed: the family's address must not be on it.)
    found = client.post(reverse("families:search"), {"q": "ANON-7Q2XK4M"}).content.decode()
    assert reverse("families:detail", args=[family.pk]) not in found
    assert reverse("families:detail", args=[kept.pk]) in client.post(
        reverse("families:search"), {"q": kept.reference}).content.decode()
