"""Recording a parent's ratings and putting them right: the rules every check-in keeps, the pages
(messages next to the field, what was typed kept), other teams refused, every read and change
audited, and the ratings on the family page and its timeline."""

import datetime
import re
from html import unescape

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from core.errors import EditConflict, UserFixableError
from outcomes import services
from outcomes.measures import MEASURES
from outcomes.models import CheckIn
from tests.factories import ChildFactory, MembershipFactory, PersonFactory
from tests.outcomes.conftest import record
from tests.outcomes.factories import CheckInFactory

pytestmark = pytest.mark.django_db

D = datetime.date


def text_of(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def new_url(family):
    return reverse("outcomes:check_in_new", args=[family.pk])


def edit_url(check_in):
    return reverse("outcomes:check_in_edit", args=[check_in.family_id, check_in.pk])


def list_url(family):
    return reverse("outcomes:check_in_list", args=[family.pk])


ASKED_ON = D(2026, 11, 20)


def form_data(parent=None, *, asked_on=ASKED_ON, **scores):
    data = {"asked_on_day": asked_on.day, "asked_on_month": asked_on.month, "asked_on_year": asked_on.year,
            "occasion": "review"}
    if parent is not None:
        data["parent"] = parent.pk
    for measure in MEASURES:
        data[measure.field] = scores.get(measure.field, "")
    return data


def errors_of(response, name):
    return list(response.context["form"].errors.get(name, []))


# --------------------------------------------------------------- the rules


def test_a_parents_first_ratings_are_at_first_contact_whatever_is_asked_for(cast, family):
    first = record(cast, family, asked_on=D(2026, 3, 2), occasion=CheckIn.Occasion.REVIEW)
    later = record(cast, family, asked_on=D(2026, 6, 2))
    assert (first.occasion, later.occasion) == (CheckIn.Occasion.FIRST, CheckIn.Occasion.REVIEW)
    assert later.recorded_by == cast.key_worker
    assert later.questions_version == 1
    # Another parent's first ratings are their own first.
    dad = PersonFactory(family=family)
    assert record(cast, family, asked_on=D(2026, 6, 2), parent=dad).occasion == CheckIn.Occasion.FIRST


def test_at_least_one_answer(cast, family):
    with pytest.raises(UserFixableError, match="at least one question") as refused:
        record(cast, family, asked_on=D(2026, 3, 2), confidence=None, understanding=None, wellbeing=None)
    assert refused.value.field == "confidence"
    # One answer will do, even the optional one alone.
    assert record(cast, family, asked_on=D(2026, 3, 2), csc_support=1).csc_support == 1


@pytest.mark.parametrize(("asked_on", "message"), [
    (D(2026, 12, 1), "cannot be in the future"),
    (D(2026, 1, 4), "The family was added on Monday 5 January 2026"),
])
def test_the_date_asked_is_between_the_family_being_added_and_today(cast, family, asked_on, message):
    with pytest.raises(UserFixableError, match=message) as refused:
        record(cast, family, asked_on=asked_on)
    assert refused.value.field == "asked_on"
    assert not CheckIn.objects.exists()


def test_today_and_the_day_the_family_was_added_are_allowed(cast, family):
    record(cast, family, asked_on=D(2026, 1, 5))
    record(cast, family, asked_on=D(2026, 11, 30))
    assert CheckIn.objects.count() == 2


def test_the_ratings_are_a_parent_of_this_familys(cast, family):
    other_family_parent = PersonFactory()
    for parent in (cast.child, other_family_parent):
        with pytest.raises(UserFixableError, match="parent or carer in this family") as refused:
            record(cast, family, asked_on=D(2026, 3, 2), parent=parent)
        assert refused.value.field == "parent"
    assert not CheckIn.objects.exists()


def test_later_ratings_cannot_be_dated_before_the_first(cast, family):
    record(cast, family, asked_on=D(2026, 5, 4))
    with pytest.raises(UserFixableError, match="first ratings were asked on Monday 4 May 2026"):
        record(cast, family, asked_on=D(2026, 5, 3))


def test_recording_is_in_the_audit_trail_with_the_family(cast, family):
    check_in = record(cast, family, asked_on=D(2026, 3, 2))
    entry = LogEntry.objects.get(content_type=ContentType.objects.get_for_model(CheckIn), object_pk=str(check_in.pk),
                                 action=LogEntry.Action.CREATE)
    assert entry.actor == cast.key_worker
    assert entry.additional_data["family_id"] == family.pk


# --------------------------------------------------------------- putting ratings right


def amend(cast, check_in, expected_version=None, **changes):
    edited = CheckIn.objects.get(pk=check_in.pk)
    for name, value in changes.items():
        setattr(edited, name, value)
    with set_actor(cast.key_worker):
        return services.check_in_amend(user=cast.key_worker, check_in=edited,
                                       expected_version=expected_version or check_in.version)


def test_an_amendment_is_version_checked_and_audited(cast, family):
    check_in = record(cast, family, asked_on=D(2026, 3, 2))
    amended = amend(cast, check_in, confidence=4)
    assert amended.version == 2
    change = LogEntry.objects.filter(action=LogEntry.Action.UPDATE, object_pk=str(check_in.pk)).get()
    assert change.changes["confidence"] == ["2", "4"]
    assert change.additional_data["family_id"] == family.pk
    # Someone saving from the page as it was before that change is told, and nothing is saved.
    with pytest.raises(EditConflict):
        amend(cast, check_in, expected_version=1, wellbeing=5)
    assert CheckIn.objects.get(pk=check_in.pk).wellbeing == 2


def test_an_amendment_that_changes_nothing_is_refused(cast, family):
    check_in = record(cast, family, asked_on=D(2026, 3, 2))
    with pytest.raises(UserFixableError, match="Nothing has been changed"):
        amend(cast, check_in)


def test_the_first_ratings_stay_the_earliest(cast, family):
    first = record(cast, family, asked_on=D(2026, 3, 2))
    later = record(cast, family, asked_on=D(2026, 6, 2))
    with pytest.raises(UserFixableError, match="the first ratings must be the earliest"):
        amend(cast, first, asked_on=D(2026, 7, 1))
    with pytest.raises(UserFixableError, match="first ratings were asked on"):
        amend(cast, later, asked_on=D(2026, 3, 1))
    # Nor does a first become a later one.
    assert amend(cast, first, occasion=CheckIn.Occasion.CLOSURE, wellbeing=4).occasion == CheckIn.Occasion.FIRST


# --------------------------------------------------------------- the pages


def test_the_page_asks_the_questions_word_for_word(cast, family, key_worker_client):
    response = key_worker_client.get(new_url(family) + f"?parent={cast.carer.pk}")
    assert response.status_code == 200
    text = text_of(response)
    for measure in MEASURES:
        assert measure.question in text
        for point in measure.points:
            assert point in text
    html = response.content.decode()
    # "Not asked" is chosen until another answer is.
    assert re.search(r'<input type="radio"[^>]*name="confidence" value=""[^>]*checked', html)
    assert re.search(rf'<input type="radio"[^>]*name="parent" value="{cast.carer.pk}"[^>]*checked', html)
    # Only the family's parents or carers are offered.
    assert not re.search(rf'name="parent" value="{cast.child.pk}"', html)
    assert LogEntry.objects.filter(action=LogEntry.Action.ACCESS, object_pk=str(family.pk),
                                   actor=cast.key_worker).exists()


def test_ratings_recorded_on_their_own(cast, family, key_worker_client):
    response = key_worker_client.post(new_url(family), form_data(cast.carer, confidence=2, wellbeing=3))
    assert response.status_code == 302
    check_in = CheckIn.objects.get()
    assert (check_in.parent, check_in.asked_on, check_in.occasion) == (cast.carer, D(2026, 11, 20),
                                                                       CheckIn.Occasion.FIRST)
    assert check_in.scores() == {"confidence": 2, "understanding": None, "wellbeing": 3, "csc_support": None}
    assert check_in.contact is None
    page = key_worker_client.get(family.get_absolute_url())
    assert "Ratings recorded for" in text_of(page)


def test_a_refused_date_is_shown_next_to_it_with_the_answers_kept(cast, family, key_worker_client):
    response = key_worker_client.post(new_url(family), form_data(cast.carer, asked_on=D(2025, 12, 1), confidence=4))
    assert response.status_code == 200
    assert errors_of(response, "asked_on") == [
        "The family was added on Monday 5 January 2026: the date asked cannot be before that."]
    html = response.content.decode()
    assert re.search(r'<input type="radio"[^>]*name="confidence" value="4"[^>]*checked', html)
    assert 'value="2025"' in html
    assert not CheckIn.objects.exists()


def test_no_answer_is_shown_next_to_the_first_question(cast, family, key_worker_client):
    response = key_worker_client.post(new_url(family), form_data(cast.carer))
    assert errors_of(response, "confidence") == [services.NO_ANSWER]
    assert 'id="id_confidence_error"' in response.content.decode()
    assert not CheckIn.objects.exists()


def test_an_answer_off_the_scale_is_refused_next_to_it(cast, family, key_worker_client):
    response = key_worker_client.post(new_url(family), form_data(cast.carer, confidence=3, wellbeing=6))
    assert errors_of(response, "wellbeing") == ["Choose one of the answers shown, from 1 to 5, or “Not asked”."]
    assert not CheckIn.objects.exists()


def test_a_child_cannot_be_chosen(cast, family, key_worker_client):
    response = key_worker_client.post(new_url(family), form_data(cast.child, confidence=3))
    assert errors_of(response, "parent") == ["Choose one of this family's parents or carers."]


def test_changing_ratings_on_their_page(cast, family, key_worker_client):
    check_in = record(cast, family, asked_on=D(2026, 3, 2))
    response = key_worker_client.get(edit_url(check_in))
    html = response.content.decode()
    assert re.search(r'<input type="radio"[^>]*name="confidence" value="2"[^>]*checked', html)
    data = form_data(asked_on=D(2026, 3, 2), confidence=3, understanding=3, wellbeing=2)
    data["version"] = check_in.version
    assert key_worker_client.post(edit_url(check_in), data).status_code == 302
    assert CheckIn.objects.get().confidence == 3
    # The same page sent again (the old version) is refused with the other person's change kept.
    response = key_worker_client.post(edit_url(check_in), {**data, "confidence": 5})
    assert "Someone else saved a change" in text_of(response)
    assert CheckIn.objects.get().confidence == 3


def test_ratings_are_found_only_through_their_family(cast, family, key_worker_client):
    other = CheckInFactory(asked_on=D(2026, 3, 2))
    response = key_worker_client.get(reverse("outcomes:check_in_edit", args=[family.pk, other.pk]))
    assert response.status_code == 404


def test_other_teams_get_404_everywhere_and_change_nothing(cast, family, outsider_client):
    check_in = record(cast, family, asked_on=D(2026, 3, 2))
    urls = [new_url(family), list_url(family), edit_url(check_in)]
    reads_before = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count()
    for url in urls:
        for method in ("get", "post", "put"):
            data = {**form_data(cast.carer, confidence=5), "version": 1} if method == "post" else None
            response = getattr(outsider_client, method)(url, data)
            assert response.status_code == 404, (method, url)
    assert list(CheckIn.objects.values_list("confidence", flat=True)) == [2]
    reads = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).order_by("pk")[reads_before:]
    assert {(entry.additional_data["read"], entry.actor) for entry in reads} == {("refused", cast.outsider)}
    assert len(reads) == len(urls) * 3


def test_the_list_shows_every_parents_ratings_and_records_the_read(cast, family, key_worker_client):
    first = record(cast, family, asked_on=D(2026, 3, 2))
    later = record(cast, family, asked_on=D(2026, 6, 2), confidence=4)
    response = key_worker_client.get(list_url(family))
    text = text_of(response)
    assert "2 March 2026" in text and "2 June 2026" in text
    assert "Next ratings due by 2 September 2026 (overdue)" in text
    listed = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, additional_data__read="list",
                                     content_type=ContentType.objects.get_for_model(CheckIn))
    assert {entry.object_pk for entry in listed} == {str(first.pk), str(later.pk)}


# --------------------------------------------------------------- the family page and its timeline


def test_the_family_page_shows_first_and_latest_ratings_and_when_the_next_are_due(cast, family, key_worker_client):
    record(cast, family, asked_on=D(2026, 3, 2), confidence=2, understanding=3, wellbeing=2)
    record(cast, family, asked_on=D(2026, 9, 14), confidence=4, understanding=3, wellbeing=1)
    text = text_of(key_worker_client.get(family.get_absolute_url()))
    section = text[text.index("Parent's ratings"):]
    assert "First asked 2 March 2026, latest 14 September 2026 (a later check-in)." in section
    assert "Next ratings due by 14 December 2026." in section
    assert "Confidence to keep their child safe 2 4 2 higher" in section
    assert "Understanding of exploitation 3 3 the same" in section
    assert "Wellbeing 2 1 1 lower" in section
    assert "Support from children's social care" not in section.split("Record ratings")[0]


def test_a_family_without_ratings_says_so(cast, family, key_worker_client):
    text = text_of(key_worker_client.get(family.get_absolute_url()))
    assert "No ratings recorded yet." in text


def test_ratings_on_the_timeline_beside_the_answers_before(cast, family, key_worker_client):
    record(cast, family, asked_on=D(2026, 3, 2), confidence=2, understanding=3, wellbeing=2)
    record(cast, family, asked_on=D(2026, 9, 14), confidence=4, understanding=None, wellbeing=3, csc_support=1)
    text = text_of(key_worker_client.get(reverse("families:timeline", args=[family.pk])))
    assert "Ratings recorded: confidence 2 → 4, wellbeing 2 → 3, support from children's social care 1" in text
    assert "Ratings recorded: confidence 2, understanding 3, wellbeing 2" in text
    assert "Joanne Okafor, at first contact." in text


def test_a_family_without_parents_is_told(cast, key_worker_client):
    family = ChildFactory().family
    MembershipFactory(team=family.team, user=cast.key_worker)
    text = text_of(key_worker_client.get(new_url(family)))
    assert "No parent or carer is recorded in this family yet" in text
