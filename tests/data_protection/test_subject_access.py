"""Subject access requests: the reply's clock through the deadline engine (a calendar month, three
once extended with a reason), the administrators' pages, and the review screen that gathers what is
held about one person from their family's record only, with what the reply withholds."""

import datetime
from html import unescape

import pytest
import time_machine
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from core.errors import UserFixableError
from core.working_days import LONDON, end_of_local_day
from data_protection import deadline_kinds, selectors, services
from data_protection.models import SubjectAccessRequest, SubjectAccessWithholding
from deadlines import kinds
from deadlines.models import Deadline, OverdueFlag
from deadlines.services import raise_overdue_flags
from families.models import Contact, Role
from tests.conftest import client_for
from tests.factories import ConsentFactory, ContactFactory, FamilyFactory, MembershipFactory, PersonFactory

AskedBy = SubjectAccessRequest.AskedBy
Reason = SubjectAccessWithholding.Reason


@pytest.fixture
def administrator(db):
    return MembershipFactory(role=Role.ADMINISTRATOR).user


@pytest.fixture
def admin_client(administrator):
    return client_for(administrator)


def london(*parts):
    return datetime.datetime(*parts, tzinfo=LONDON)


def record(user, person, *, received_on=None, **overrides):
    values = {
        "asked_by": AskedBy.THEMSELF, "asked_by_name": "",
        "identity_check": SubjectAccessRequest.IdentityCheck.KNOWN_CONTACT,
        "identity_details": "Rang her back on the mobile number we hold; she gave her date of birth.",
        "received_on": received_on or timezone.localdate(),
    }
    return services.subject_access_record(user=user, family=person.family, person=person, **{**values, **overrides})


def the_deadline(request):
    return Deadline.objects.get(subject_type=ContentType.objects.get_for_model(request), subject_id=request.pk)


def open_deadline(request):
    return Deadline.objects.get(subject_type=ContentType.objects.get_for_model(request), subject_id=request.pk,
                                met_at__isnull=True, cancelled_at__isnull=True)


# ------------------------------------------------------------------------------------- the clock


@pytest.mark.django_db
def test_the_reply_is_due_one_calendar_month_from_receipt(cast, administrator):
    with time_machine.travel(london(2027, 3, 12, 10, 0), tick=False):
        request = record(administrator, cast.carer, received_on=datetime.date(2027, 3, 10))
    deadline = the_deadline(request)
    assert (deadline.kind, deadline.label, deadline.allowance) == (
        "data_protection:subject_access", "Reply to a subject access request", "1 calendar month")
    assert deadline.due_at == end_of_local_day(datetime.date(2027, 4, 10))
    assert deadline.family == cast.family
    assert selectors.subject_access_row(request).due_on == datetime.date(2027, 4, 10)


@pytest.mark.django_db
@pytest.mark.parametrize(("received_on", "last_day"), [
    (datetime.date(2027, 1, 31), datetime.date(2027, 2, 28)),
    (datetime.date(2028, 1, 31), datetime.date(2028, 2, 29)),
])
def test_a_month_from_31_january_ends_on_the_last_day_of_february(cast, administrator, received_on, last_day):
    with time_machine.travel(london(received_on.year, 2, 1, 9, 0), tick=False):
        request = record(administrator, cast.carer, received_on=received_on)
    assert the_deadline(request).due_at == end_of_local_day(last_day)
    in_words = f"{last_day:%A} {last_day.day} February {last_day.year}"
    assert selectors.subject_access_row(request).due_in_words == in_words


@pytest.mark.django_db
def test_an_extension_needs_a_reason_and_makes_it_three_months_once(cast, administrator):
    with time_machine.travel(london(2027, 3, 20, 10, 0), tick=False):
        request = record(administrator, cast.carer, received_on=datetime.date(2027, 3, 10))
        with pytest.raises(UserFixableError, match="Say why more time is needed") as refused:
            services.subject_access_extend(user=administrator, request=request, reason="  ",
                                           expected_version=request.version)
        assert refused.value.field == "reason"
        assert open_deadline(request).allowance == "1 calendar month"
        services.subject_access_extend(user=administrator, request=request, reason="Ten years of calls to review.",
                                       expected_version=request.version)
        with pytest.raises(UserFixableError, match="extended once"):
            services.subject_access_extend(user=administrator, request=request, reason="Again.",
                                           expected_version=request.version)
    request.refresh_from_db()
    assert (request.extended_by, request.extension_reason) == (administrator, "Ten years of calls to review.")
    deadline = open_deadline(request)
    assert (deadline.allowance, deadline.due_at) == ("3 calendar months", end_of_local_day(datetime.date(2027, 6, 10)))
    # The one-month clock it replaced is cancelled, not left running beside it.
    assert Deadline.objects.filter(subject_id=request.pk, kind=deadline_kinds.SUBJECT_ACCESS,
                                   cancelled_at__isnull=False).count() == 1


@pytest.mark.django_db
def test_an_extension_is_decided_within_the_first_month(cast, administrator):
    with time_machine.travel(london(2027, 4, 11, 0, 0), tick=False):
        request = record(administrator, cast.carer, received_on=datetime.date(2027, 3, 10))
        with pytest.raises(UserFixableError, match="due by the end of Saturday 10 April 2027"):
            services.subject_access_extend(user=administrator, request=request, reason="Complex.",
                                           expected_version=request.version)
    assert open_deadline(request).allowance == "1 calendar month"


@pytest.mark.django_db
def test_a_late_reply_is_flagged_once_through_the_engine_and_listed_in_the_queue(cast, administrator):
    request = record(administrator, cast.carer, received_on=timezone.localdate() - datetime.timedelta(days=40))
    assert raise_overdue_flags().flagged == 1
    assert raise_overdue_flags(now=timezone.now() + datetime.timedelta(minutes=5)).flagged == 0
    flag = OverdueFlag.objects.get()
    assert flag.deadline.subject_id == request.pk
    page = unescape(client_for(cast.manager).get(reverse("deadlines:queue")).content.decode())
    assert "Reply to a subject access request" in page
    assert reverse("data_protection:subject_access", args=[request.pk]) in page
    assert kinds.links_for([flag.deadline]) == {flag.deadline_id: f"/data-protection/subject-access/{request.pk}/"}
    assert kinds.get(deadline_kinds.SUBJECT_ACCESS).tells == {
        kinds.Audience.TEAM_MANAGERS, kinds.Audience.KEY_WORKER, kinds.Audience.ADMINISTRATORS}
    assert selectors.subject_access_row(request).late


@pytest.mark.django_db
def test_completing_the_request_meets_its_clock_and_resolves_its_flag(cast, administrator):
    request = record(administrator, cast.carer, received_on=timezone.localdate() - datetime.timedelta(days=40))
    raise_overdue_flags()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    services.subject_access_complete(user=administrator, request=request, completed_on=yesterday,
                                     expected_version=request.version)
    deadline = the_deadline(request)
    assert deadline.met_at == end_of_local_day(yesterday)
    assert OverdueFlag.objects.get().resolved_at is not None
    request.refresh_from_db()
    assert (request.state, request.completed_by) == (SubjectAccessRequest.State.COMPLETED, administrator)
    assert not selectors.subject_access_row(request).late
    with pytest.raises(UserFixableError, match="was completed on"):
        services.subject_access_extend(user=administrator, request=request, reason="Late.",
                                       expected_version=request.version)


@pytest.mark.django_db
def test_a_request_is_received_not_in_the_future_and_names_who_asked_for_someone(cast, administrator):
    with pytest.raises(UserFixableError, match="cannot be in the future"):
        record(administrator, cast.carer, received_on=timezone.localdate() + datetime.timedelta(days=1))
    with pytest.raises(UserFixableError, match="Enter the name") as refused:
        record(administrator, cast.child, asked_by=AskedBy.SOLICITOR, asked_by_name=" ")
    assert refused.value.field == "asked_by_name"
    with pytest.raises(UserFixableError, match="one of the family's people"):
        services.subject_access_record(
            user=administrator, family=cast.family, person=PersonFactory(), asked_by=AskedBy.THEMSELF,
            asked_by_name="", identity_check="document", identity_details="Passport seen.",
            received_on=timezone.localdate())
    assert not SubjectAccessRequest.objects.exists()
    request = record(administrator, cast.child, asked_by=AskedBy.PARENT, asked_by_name="Joanne Okafor")
    assert request.who_asked == "Joanne Okafor (a parent or carer, for a child)"


# ------------------------------------------------------------------------------------- the pages


def page_urls(request, family):
    return [
        reverse("data_protection:subject_access_list"),
        reverse("data_protection:subject_access_find_family"),
        reverse("data_protection:subject_access_record", args=[family.pk]),
        reverse("data_protection:subject_access", args=[request.pk]),
        reverse("data_protection:subject_access_extend", args=[request.pk]),
        reverse("data_protection:subject_access_complete", args=[request.pk]),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_everyone_but_administrators_gets_404_and_nothing_changes(cast, administrator, method):
    request = record(administrator, cast.carer)
    before = LogEntry.objects.count()
    for user in (cast.key_worker, cast.teammate, cast.manager, cast.outsider):
        client = client_for(user)
        for url in page_urls(request, cast.family):
            response = getattr(client, method)(url, {"reason": "x", "version": request.version})
            assert response.status_code == 404, (user, url)
    request.refresh_from_db()
    assert (request.version, request.extended_at, request.state) == (1, None, SubjectAccessRequest.State.OPEN)
    assert LogEntry.objects.count() == before


def date_parts(name, day):
    return {f"{name}_day": day.day, f"{name}_month": day.month, f"{name}_year": day.year}


@pytest.mark.django_db
def test_an_administrator_records_a_request_choosing_the_family_then_the_person(cast, admin_client, administrator):
    response = admin_client.get(reverse("data_protection:subject_access_find_family"),
                                {"family_reference": cast.family.reference.lower().replace("-", "")})
    assert response.url == reverse("data_protection:subject_access_record", args=[cast.family.pk])
    page = admin_client.get(response.url).content.decode()
    assert "Tyler Okafor (child)" in page and "Joanne Okafor (parent or carer)" in page
    received = timezone.localdate() - datetime.timedelta(days=2)
    response = admin_client.post(response.url, {
        "person": cast.child.pk, "asked_by": AskedBy.PARENT, "asked_by_name": "Joanne Okafor",
        "identity_check": "known_contact", "identity_details": "Rang back on the number we hold.",
        **date_parts("received_on", received),
    })
    request = SubjectAccessRequest.objects.get()
    assert response.url == reverse("data_protection:subject_access", args=[request.pk])
    assert (request.person, request.recorded_by, request.received_on) == (cast.child, administrator, received)
    listed = unescape(admin_client.get(reverse("data_protection:subject_access_list")).content.decode())
    assert f"Due by the end of {selectors.subject_access_row(request).due_in_words}" in listed


@pytest.mark.django_db
def test_the_list_says_late_in_words_and_puts_open_requests_first(cast, admin_client, administrator):
    done = record(administrator, cast.carer, received_on=timezone.localdate() - datetime.timedelta(days=50))
    services.subject_access_complete(user=administrator, request=done, completed_on=timezone.localdate(),
                                     expected_version=done.version)
    late = record(administrator, cast.child, received_on=timezone.localdate() - datetime.timedelta(days=40))
    assert [row.request for row in selectors.subject_access_rows()] == [late, done]
    page = unescape(strip_tags(admin_client.get(reverse("data_protection:subject_access_list")).content.decode()))
    assert f"Late: was due by the end of {selectors.subject_access_row(late).due_in_words}" in page
    assert page.index(str(late)) < page.index(str(done))


# ------------------------------------------------------------------------------------- the review


@pytest.mark.django_db
def test_another_familys_data_is_never_gathered(cast, administrator):
    ContactFactory(family=cast.family, spoke_with=cast.carer, summary="Joanne told us about the weekend.")
    other_family = FamilyFactory()
    namesake = PersonFactory(family=other_family, first_name="Joanne", last_name="Okafor")
    ContactFactory(family=other_family, spoke_with=namesake, summary="Joanne Okafor rang about her son.")
    ConsentFactory(family=other_family, given_by=namesake)
    request = record(administrator, cast.carer)
    items = selectors.gather(request)
    assert [item.kind for item in items] == ["Their own record", "Call"]
    assert all(getattr(item.record, "family_id", None) == cast.family.pk for item in items)
    assert not any("rang about her son" in item.summary for item in items)


@pytest.mark.django_db
def test_a_withheld_item_is_marked_withheld_with_its_reason(cast, admin_client, administrator):
    call = ContactFactory(family=cast.family, spoke_with=cast.carer, summary="Her neighbour's worries about Dee.")
    request = record(administrator, cast.carer)
    call_item = next(item for item in selectors.gather(request) if item.record == call)
    url = reverse("data_protection:subject_access", args=[request.pk])
    refused = admin_client.post(url, {"version": request.version, f"reason_{call_item.key}": Reason.OTHER_PEOPLE})
    assert "Say why this item is withheld." in refused.content.decode()
    assert not SubjectAccessWithholding.objects.exists()
    response = admin_client.post(url, {"version": request.version, f"reason_{call_item.key}": Reason.OTHER_PEOPLE,
                                       f"details_{call_item.key}": "The neighbour spoke to us in confidence."})
    assert response.status_code == 302
    withholding = SubjectAccessWithholding.objects.get()
    assert (withholding.item_id, withholding.reason, withholding.withheld_by) == (
        call.pk, Reason.OTHER_PEOPLE, administrator)
    by_record = {item.record: item for item in selectors.gather(request)}
    assert by_record[call].withheld_reason == "Other people's information"
    assert by_record[cast.carer].withheld_reason is None
    page = unescape(strip_tags(admin_client.get(url).content.decode()))
    assert "Withheld: Other people's information" in page
    # An edit made from a page opened before this save is refused, not silently mixed in.
    stale = admin_client.post(url, {"version": request.version, f"reason_{call_item.key}": ""})
    assert "Someone else saved a change" in unescape(stale.content.decode())
    assert SubjectAccessWithholding.objects.count() == 1


@pytest.mark.django_db
def test_the_review_screen_records_a_read_of_every_item_for_the_family(cast, admin_client, administrator):
    call = ContactFactory(family=cast.family, spoke_with=cast.carer)
    request = record(administrator, cast.carer)
    admin_client.get(reverse("data_protection:subject_access", args=[request.pk]))
    reads = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, actor=administrator)
    read = {(entry.content_type.model_class(), int(entry.object_pk)) for entry in reads}
    assert {(Contact, call.pk), (type(cast.carer), cast.carer.pk), (SubjectAccessRequest, request.pk)} <= read
    assert all(entry.additional_data["family_id"] == cast.family.pk for entry in reads)


def review_queries(client, request):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("data_protection:subject_access", args=[request.pk]))
    assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_the_review_screen_costs_the_same_for_2_items_as_for_20(cast, admin_client, administrator):
    request = record(administrator, cast.carer)
    ContactFactory(family=cast.family, spoke_with=cast.carer)
    review_queries(admin_client, request)  # content types and the session warmed
    few = review_queries(admin_client, request)
    assert len(selectors.gather(request)) == 2
    for _ in range(9):
        ContactFactory(family=cast.family, spoke_with=cast.carer)
        ConsentFactory(family=cast.family, given_by=cast.carer)
    first_call = Contact.objects.filter(family=cast.family).first()
    services.subject_access_withholdings_save(
        user=administrator, request=request, expected_version=request.version,
        decisions={f"{ContentType.objects.get_for_model(Contact).pk}-{first_call.pk}":
                   (Reason.SERIOUS_HARM, "Would put the child at risk.")})
    assert len(selectors.gather(request)) == 20
    assert review_queries(admin_client, request) == few
