"""After a refused save the page says so first: an error summary linking to each field, and a title
that starts with "Error:"."""

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_a_refused_save_has_a_summary_that_links_to_each_field(cast, key_worker_client):
    url = reverse("families:follow_up_add", args=[cast.family.pk])
    response = key_worker_client.post(url, {"description": "", "owner": cast.key_worker.pk, "due_on_day": "31",
                                            "due_on_month": "2", "due_on_year": "2030"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Error: Add a follow-up" in page
    summary = page[page.index("data-error-summary"):page.index("</div>", page.index("data-error-summary"))]
    assert 'tabindex="-1"' in page[page.index('class="error-summary'):page.index("data-error-summary")]
    assert '<a class="alert-link" href="#id_description">Enter the follow-up.</a>' in summary
    # A date is several boxes: its link goes to the first, the day.
    assert 'href="#id_due_on_0">The date must be a real date: there is no 31/2/2030.</a>' in summary
    assert 'id="id_due_on_0"' in page


@pytest.mark.django_db
def test_a_page_without_errors_has_neither(cast, key_worker_client):
    page = key_worker_client.get(reverse("families:follow_up_add", args=[cast.family.pk])).content.decode()
    assert "<title>Add a follow-up" in page
    assert "data-error-summary" not in page


@pytest.mark.django_db
def test_an_optional_part_left_empty_is_not_checked_into_the_summary(cast, key_worker_client):
    """The call form's follow-up is optional: a refused call does not list the empty follow-up's fields."""
    response = key_worker_client.post(reverse("families:contact_log", args=[cast.family.pk]), {
        "contact-summary": "", "contact-channel": "phone", "contact-duration_minutes": "5",
        "contact-occurred_at": "2026-11-30T10:00",
    })
    page = response.content.decode()
    summary = page[page.index("data-error-summary"):page.index("</div>", page.index("data-error-summary"))]
    assert "Enter what was discussed." in summary
    assert "follow-up" not in summary.lower()
