"""The directory of agencies and professionals: shared by every team, hidden from anyone in none."""

import pytest
from django.urls import reverse

from agencies.models import Agency, Professional
from families.models import LocalAuthority
from staff.models import User
from tests.conftest import client_for
from tests.factories import UserFactory


@pytest.fixture
def nobody(db) -> User:
    """Signed in, but in no team."""
    return UserFactory()


def directory_pages(agency, professional):
    return [
        reverse("agencies:list"),
        reverse("agencies:create"),
        reverse("agencies:detail", args=[agency.pk]),
        reverse("agencies:edit", args=[agency.pk]),
        reverse("agencies:professional_add", args=[agency.pk]),
        reverse("agencies:professional_edit", args=[agency.pk, professional.pk]),
    ]


@pytest.mark.django_db
def test_anyone_in_a_team_reads_every_page_and_a_member_of_another_team_too(cast, trust, jo):
    for user in (cast.key_worker, cast.outsider):
        client = client_for(user)
        for url in directory_pages(trust, jo):
            assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_someone_in_no_team_is_told_nothing(nobody, trust, jo):
    client = client_for(nobody)
    for url in directory_pages(trust, jo):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("agencies:edit", args=[trust.pk]), {
        "name": "Renamed", "kind": "csc", "local_authority": trust.local_authority_id, "version": 1,
    }).status_code == 404
    assert client.post(reverse("agencies:professional_add", args=[trust.pk]), {"full_name": "Sam Patel"}
                       ).status_code == 404
    trust.refresh_from_db()
    assert trust.name == "Birmingham Children's Trust"
    assert trust.professionals.count() == 1


@pytest.mark.django_db
def test_signed_out_visitors_are_sent_to_sign_in(anonymous_client, trust):
    response = anonymous_client.get(reverse("agencies:detail", args=[trust.pk]))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.django_db
def test_a_professional_of_another_agency_is_404(key_worker_client, trust, jo, birmingham):
    police = Agency.objects.create(name="West Midlands Police", kind=Agency.Kind.POLICE, local_authority=birmingham)
    assert key_worker_client.get(reverse("agencies:professional_edit", args=[police.pk, jo.pk])).status_code == 404


@pytest.mark.django_db
def test_the_list_filters_by_authority_and_kind(key_worker_client, trust, birmingham):
    leeds = LocalAuthority.objects.get(code="E08000035")
    Agency.objects.create(name="Leeds Children's Services", kind=Agency.Kind.CSC, local_authority=leeds)
    Agency.objects.create(name="West Midlands Police", kind=Agency.Kind.POLICE, local_authority=birmingham)
    Agency.objects.create(name="Missing People", kind=Agency.Kind.VOLUNTARY)

    def names(**params):
        page = key_worker_client.get(reverse("agencies:list"), params).context["page"]
        return [agency.name for agency in page]

    assert names() == ["Birmingham Children's Trust", "West Midlands Police", "Leeds Children's Services",
                       "Missing People"]
    assert names(local_authority=birmingham.pk) == ["Birmingham Children's Trust", "West Midlands Police"]
    assert names(local_authority=birmingham.pk, kind="police") == ["West Midlands Police"]
    assert names(kind="csc") == ["Birmingham Children's Trust", "Leeds Children's Services"]
    assert names(local_authority="national") == ["Missing People"]


@pytest.mark.django_db
def test_the_list_costs_the_same_whatever_the_directory_size(key_worker_client, birmingham,
                                                             django_assert_num_queries):
    """Reading and renewing the session (1 + 3 with its savepoint), the user (1), the second factor's
    device (1), the navigation bar (1),
    whether they are in a team (1), the authorities for the filter (1), and the count and the page of
    agencies with their numbers of people (2)."""

    def add(count):
        start = Agency.objects.count()
        for n in range(start, start + count):
            agency = Agency.objects.create(name=f"School {n}", kind=Agency.Kind.SCHOOL, local_authority=birmingham)
            Professional.objects.create(agency=agency, full_name=f"Teacher {n}")

    add(2)
    with django_assert_num_queries(PINNED_LIST_QUERIES):
        key_worker_client.get(reverse("agencies:list"))
    add(30)
    with django_assert_num_queries(PINNED_LIST_QUERIES):
        response = key_worker_client.get(reverse("agencies:list"))
    assert len(response.context["page"]) == 32


PINNED_LIST_QUERIES = 11


@pytest.mark.django_db
def test_adding_an_agency(key_worker_client, birmingham):
    response = key_worker_client.post(reverse("agencies:create"), {
        "name": "  Birmingham Youth Justice Service ", "kind": "youth_justice", "local_authority": birmingham.pk,
    })
    agency = Agency.objects.get()
    assert response["Location"] == reverse("agencies:detail", args=[agency.pk])
    assert (agency.name, agency.local_authority) == ("Birmingham Youth Justice Service", birmingham)


@pytest.mark.django_db
def test_a_second_agency_of_the_same_name_in_the_same_authority_is_refused_next_to_the_name(
    key_worker_client, trust, birmingham
):
    response = key_worker_client.post(reverse("agencies:create"), {
        "name": "birmingham children's trust", "kind": "csc", "local_authority": birmingham.pk,
    })
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [
        "There is already an agency called “birmingham children's trust” in Birmingham."
    ]
    assert Agency.objects.count() == 1
    # The same name elsewhere, or nationally, is another agency.
    key_worker_client.post(reverse("agencies:create"), {"name": trust.name, "kind": "csc"})
    assert Agency.objects.filter(name=trust.name, local_authority__isnull=True).exists()


@pytest.mark.django_db
def test_editing_an_agency_checks_nobody_saved_it_meanwhile(key_worker_client, trust):
    url = reverse("agencies:edit", args=[trust.pk])
    data = {"name": "Birmingham Children's Trust (Assessment)", "kind": "csc",
            "local_authority": trust.local_authority_id, "version": trust.version}
    assert key_worker_client.post(url, data).status_code == 302
    trust.refresh_from_db()
    assert (trust.name, trust.version) == ("Birmingham Children's Trust (Assessment)", 2)
    stale = key_worker_client.post(url, {**data, "name": "Older edit", "version": 1})
    assert stale.status_code == 200
    assert "Someone else saved a change" in stale.content.decode()
    trust.refresh_from_db()
    assert trust.name == "Birmingham Children's Trust (Assessment)"


@pytest.mark.django_db
def test_adding_and_editing_a_professional(key_worker_client, trust):
    response = key_worker_client.post(reverse("agencies:professional_add", args=[trust.pk]), {
        "full_name": "Sam Patel", "role": "Team manager", "email": "sam.patel@example.org", "phone": "0121 000 0000",
    })
    assert response["Location"] == reverse("agencies:detail", args=[trust.pk])
    sam = Professional.objects.get()
    assert (sam.agency, sam.name_key, sam.version) == (trust, "sam patel", 1)
    detail = key_worker_client.get(reverse("agencies:detail", args=[trust.pk])).content.decode()
    assert "Sam Patel" in detail and "Team manager" in detail

    url = reverse("agencies:professional_edit", args=[trust.pk, sam.pk])
    data = {"full_name": "Samir Patel", "role": "Team manager", "email": "", "phone": "", "version": 1}
    assert key_worker_client.post(url, data).status_code == 302
    sam.refresh_from_db()
    assert (sam.full_name, sam.name_key, sam.version) == ("Samir Patel", "samir patel", 2)
    stale = key_worker_client.post(url, {**data, "full_name": "Sam P", "version": 1})
    assert "Someone else saved a change" in stale.content.decode()


@pytest.mark.django_db
def test_the_navigation_bar_links_to_the_directory(key_worker_client):
    assert reverse("agencies:list") in key_worker_client.get(reverse("home")).content.decode()
