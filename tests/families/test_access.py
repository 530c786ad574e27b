"""Every URL: anonymous visitors are sent to sign in; a family of another team is a 404."""

import pytest
from django.urls import reverse

from tests.factories import ConsentFactory, FollowUpFactory


def family_urls(cast):
    consent = ConsentFactory(family=cast.family, given_by=cast.carer)
    follow_up = FollowUpFactory(family=cast.family, owner=cast.key_worker)
    pk = cast.family.pk
    return [
        ("get", reverse("families:detail", args=[pk])),
        ("get", reverse("families:edit", args=[pk])),
        ("post", reverse("families:edit", args=[pk])),
        ("get", reverse("families:history", args=[pk])),
        ("get", reverse("families:transfer", args=[pk])),
        ("get", reverse("families:person_add", args=[pk, "carer"])),
        ("get", reverse("families:person_add", args=[pk, "child"])),
        ("get", reverse("families:person_edit", args=[pk, cast.carer.pk])),
        ("post", reverse("families:person_edit", args=[pk, cast.child.pk])),
        ("get", reverse("families:consent_add", args=[pk])),
        ("get", reverse("families:consent_withdraw", args=[pk, consent.pk])),
        ("get", reverse("families:contact_log", args=[pk])),
        ("post", reverse("families:contact_log", args=[pk])),
        ("get", reverse("families:follow_up_add", args=[pk])),
        ("post", reverse("families:follow_up_done", args=[pk, follow_up.pk])),
    ]


OTHER_URLS = [
    ("get", "home"),
    ("get", "families:list"),
    ("post", "families:search"),
    ("get", "families:create"),
    ("post", "families:postcode_lookup"),
    ("get", "password_change"),
]


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in_everywhere(cast, anonymous_client):
    urls = family_urls(cast) + [(method, reverse(name)) for method, name in OTHER_URLS]
    for method, url in urls:
        response = getattr(anonymous_client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


@pytest.mark.django_db
def test_outsider_gets_404_for_every_family_url(cast, outsider_client):
    for method, url in family_urls(cast):
        response = getattr(outsider_client, method)(url)
        assert response.status_code == 404, url


@pytest.mark.django_db
def test_outsider_changes_nothing_by_posting(cast, outsider_client):
    follow_up = FollowUpFactory(family=cast.family, owner=cast.key_worker)
    outsider_client.post(reverse("families:follow_up_done", args=[cast.family.pk, follow_up.pk]))
    follow_up.refresh_from_db()
    assert follow_up.done_at is None


@pytest.mark.django_db
def test_teammate_and_key_worker_can_open_the_family(cast):
    from tests.conftest import client_for

    for user in (cast.key_worker, cast.teammate, cast.manager):
        client = client_for(user)
        for method, url in family_urls(cast):
            if method == "get" and "transfer" not in url:
                assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_only_managers_may_move_a_family(cast, key_worker_client, manager_client):
    url = reverse("families:transfer", args=[cast.family.pk])
    assert key_worker_client.get(url).status_code == 404
    assert manager_client.get(url).status_code == 200


@pytest.mark.django_db
def test_outsider_search_and_lists_do_not_show_the_family(cast, outsider_client):
    response = outsider_client.post(reverse("families:search"), {"q": "Okafor"})
    assert cast.family.reference not in response.content.decode()
    response = outsider_client.get(reverse("families:list"))
    assert cast.family.reference not in response.content.decode()


@pytest.mark.django_db
def test_person_of_another_family_is_404_even_inside_a_visible_family(cast, key_worker_client):
    from tests.factories import PersonFactory

    stranger = PersonFactory()
    url = reverse("families:person_edit", args=[cast.family.pk, stranger.pk])
    assert key_worker_client.get(url).status_code == 404
