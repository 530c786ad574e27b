"""One social worker recorded twice under slightly different spellings is one person: the directory
and the referral's social worker form suggest the one already there."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agencies.models import Agency, Professional
from agencies.selectors import similar_professionals
from tests.factories import ReferralFactory


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["Jo O'Neill", "jo oneill", "Ms J. O’Neill", "Joanne O'Neill", "Jo O'Neil",
                                   "  JO  O-NEILL "])
def test_spellings_of_the_same_person_are_suggested(jo, typed):
    assert similar_professionals(typed) == [jo]


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["Sam O'Neill", "Jo Smith", "Joe Oakley", "O'Neill", "", "Ms."])
def test_someone_else_is_not_suggested(jo, typed):
    assert similar_professionals(typed) == []


@pytest.mark.django_db
def test_a_record_under_the_surname_alone_is_suggested(trust):
    oneill = Professional.objects.create(agency=trust, full_name="O'Neill")
    assert similar_professionals("Jo O'Neill") == [oneill]


@pytest.mark.django_db
def test_those_in_the_agency_come_first_then_the_closest(jo, trust, birmingham):
    police = Agency.objects.create(name="West Midlands Police", kind=Agency.Kind.POLICE, local_authority=birmingham)
    officer = Professional.objects.create(agency=police, full_name="PC Joanne O'Neill")
    exact = Professional.objects.create(agency=police, full_name="Jo O'Neill")
    assert similar_professionals("Jo O'Neill") == [jo, exact, officer]
    assert similar_professionals("Jo O'Neill", agency=police) == [exact, officer, jo]


@pytest.mark.django_db
def test_one_query_that_reads_only_names_found_through_the_index(jo, trust):
    for n in range(30):
        Professional.objects.create(agency=trust, full_name=f"Alex Worker{n}")
    with CaptureQueriesContext(connection) as queries:
        assert similar_professionals("Ms J. O'Neill") == [jo]
    assert len(queries) == 1
    sql = queries.captured_queries[0]["sql"]
    # Exact names, and a prefix (which PostgreSQL answers from name_key's pattern index).
    assert "\"agencies_professional\".\"name_key\" = 'j oneill'" in sql
    assert "LIKE 'j%'" in sql


# ------------------------------------------------------------------ adding someone to the directory


@pytest.mark.django_db
def test_adding_someone_already_there_asks_first_and_keeps_what_was_typed(key_worker_client, trust, jo):
    url = reverse("agencies:professional_add", args=[trust.pk])
    typed = {"full_name": "Ms J. O’Neill", "role": "Senior practitioner", "email": "j.oneill@example.org"}
    response = key_worker_client.post(url, typed)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Did you mean Jo O&#x27;Neill, Social worker (Birmingham Children&#x27;s Trust)?" in page
    assert all(value in page for value in ("Ms J. O’Neill", "Senior practitioner", "j.oneill@example.org"))
    assert Professional.objects.count() == 1

    # "It is them": nothing is added, and their record is opened.
    response = key_worker_client.post(url, {**typed, "same_person": str(jo.pk)})
    assert response["Location"] == reverse("agencies:professional_edit", args=[trust.pk, jo.pk])
    assert Professional.objects.count() == 1

    # "Someone else": added.
    response = key_worker_client.post(url, {**typed, "same_person": "someone_else"})
    assert response["Location"] == reverse("agencies:detail", args=[trust.pk])
    assert Professional.objects.filter(full_name="Ms J. O’Neill", role="Senior practitioner").exists()


@pytest.mark.django_db
def test_adding_a_different_person_asks_nothing(key_worker_client, trust, jo):
    response = key_worker_client.post(reverse("agencies:professional_add", args=[trust.pk]), {"full_name": "Sam Okoro"})
    assert response.status_code == 302
    assert trust.professionals.count() == 2


# ------------------------------------------------------------------ a referral's social worker


@pytest.fixture
def referral(cast, birmingham):
    return ReferralFactory(family=cast.family, local_authority=birmingham, created_by=cast.key_worker)


def social_worker_url(cast, referral):
    return reverse("referrals:social_worker", args=[cast.family.pk, referral.pk])


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["Jo O'Neill", "jo oneill", "Ms J. O’Neill"])
def test_a_social_worker_is_linked_to_the_directory_keeping_the_name_typed(cast, key_worker_client, referral, jo,
                                                                           typed):
    url = social_worker_url(cast, referral)
    data = {"name": typed, "team": "Assessment team 3", "allocated_on": timezone.localdate().isoformat()}
    response = key_worker_client.post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Did you mean Jo O&#x27;Neill, Social worker (Birmingham Children&#x27;s Trust)?" in page
    assert "Assessment team 3" in page
    assert response.context["form"]["name"].value() == typed
    assert not referral.social_workers.exists()

    response = key_worker_client.post(url, {**data, "same_person": str(jo.pk)})
    assert response["Location"] == referral.get_absolute_url()
    allocation = referral.social_workers.get()
    assert (allocation.name, allocation.team, allocation.professional) == (typed, "Assessment team 3", jo)


@pytest.mark.django_db
def test_a_social_worker_who_is_someone_else_is_recorded_without_a_link(cast, key_worker_client, referral, jo):
    data = {"name": "Jo O'Neill", "team": "", "allocated_on": timezone.localdate().isoformat(),
            "same_person": "someone_else"}
    assert key_worker_client.post(social_worker_url(cast, referral), data).status_code == 302
    allocation = referral.social_workers.get()
    assert (allocation.name, allocation.professional) == ("Jo O'Neill", None)


@pytest.mark.django_db
def test_a_social_worker_not_in_the_directory_is_recorded_at_once(cast, key_worker_client, referral, jo):
    data = {"name": "Dana Kerr", "team": "", "allocated_on": timezone.localdate().isoformat()}
    assert key_worker_client.post(social_worker_url(cast, referral), data).status_code == 302
    assert referral.social_workers.get().professional is None
