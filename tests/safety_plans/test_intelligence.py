"""The intelligence log: normalised keys, who may see it (only PLOs, managers and administrators of
the family's team), links between families' logs that never describe a family the viewer may not
see, the sheet for the police, and pinned query counts."""

import datetime
import re

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.errors import UserFixableError
from families.models import Role
from safety_plans import intelligence
from safety_plans.intelligence_views import LINKS_EXPORT, POLICE_SHEET_EXPORT
from safety_plans.models import IntelligenceEntry
from tests.conftest import client_for
from tests.factories import ChildFactory, FamilyFactory, MembershipFactory, TeamFactory
from tests.typed import shown_as_typed

SEEN = "2026-03-14T21:30"


def entry_in(family, user, **fields):
    """An entry written through the service, so its keys are derived as in real use."""
    fields.setdefault("kind", IntelligenceEntry.Kind.VEHICLE)
    fields.setdefault("observed_at", timezone.now() - datetime.timedelta(days=2))
    fields.setdefault("description", "A silver hatchback waiting outside school at home time.")
    fields.setdefault("source", "Seen by mum from the bus stop")
    return intelligence.intelligence_record(user=user, family=family, entry=IntelligenceEntry(**fields))


def form_data(**changes):
    data = {
        "kind": "vehicle",
        "observed_at": SEEN,
        "description": "Silver Audi parked by the chip shop, two men inside",
        "registration": "ab12 cde",
        "phone": "",
        "platform": "",
        "other_platform": "",
        "handle": "",
        "place": "Chip shop on Hall Road",
        "source": "Mum saw it on the way home",
    }
    data.update(changes)
    return data


@pytest.fixture
def plo(cast):
    # A fixed name, so that no made-up one can contain a name the sheet tests look for.
    return MembershipFactory(team=cast.family.team, role=Role.PLO, user__full_name="Sam Patel").user


@pytest.fixture
def plo_client(plo):
    return client_for(plo)


def log_url(family):
    return reverse("safety_plans:intelligence", args=[family.pk])


# ----------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize("written", ["ab12 cde", "AB12CDE", "Ab 12-CDE", " ab12.cde "])
def test_a_registration_written_any_way_has_one_key(written):
    assert intelligence.normalise_registration(written) == "AB12CDE"


@pytest.mark.parametrize("written", ["07700 900123", "+44 7700 900123", "447700900123", "0044 (0)7700 900123",
                                     "07700-900-123"])
def test_a_uk_phone_number_written_any_way_is_e164(written):
    assert intelligence.normalise_phone(written) == "+447700900123"


def test_numbers_abroad_and_landlines_are_e164():
    assert intelligence.normalise_phone("+33 6 12 34 56 78") == "+33612345678"
    assert intelligence.normalise_phone("020 7946 0018") == "+442079460018"


@pytest.mark.parametrize("written", ["07700 90012", "not known", "999", "+44 7700 900123 4567"])
def test_a_number_that_cannot_be_whole_is_refused_on_the_phone_field(written):
    with pytest.raises(UserFixableError) as refused:
        intelligence.normalise_phone(written)
    assert refused.value.field == "phone"
    assert "complete phone number" in refused.value.message


def test_a_handle_is_keyed_by_platform_and_lower_case_without_the_at():
    assert intelligence.normalise_handle("Snapchat", "@Big.Dave") == "snapchat:big.dave"
    assert intelligence.normalise_handle("snapchat", "big.dave") == "snapchat:big.dave"
    assert intelligence.normalise_handle("snap", " @BIG.DAVE ") == "snapchat:big.dave"
    assert intelligence.normalise_handle("Twitter", "@Big.Dave") == "x:big.dave"
    assert intelligence.normalise_handle("Kik Messenger", "Big.Dave") == "kikmessenger:big.dave"
    # The same name on another platform may be someone else.
    assert intelligence.normalise_handle("instagram", "@Big.Dave") != intelligence.normalise_handle(
        "snapchat", "@Big.Dave"
    )


def test_a_handle_without_a_platform_is_refused_on_the_platform_field():
    with pytest.raises(UserFixableError) as refused:
        intelligence.normalise_handle("", "@big.dave")
    assert refused.value.field == "platform"


@pytest.mark.django_db
def test_the_same_registration_written_three_ways_in_three_families_matches(cast, plo):
    other_plo = MembershipFactory(role=Role.PLO).user
    own = entry_in(cast.family, plo, registration="ab12 cde")
    entry_in(FamilyFactory(team=cast.family.team), plo, registration="AB12CDE")
    entry_in(FamilyFactory(team=other_plo.memberships.get().team), other_plo, registration="Ab 12-CDE")
    assert own.registration == "ab12 cde"  # kept as written
    matches = intelligence.matches_for([own], user=plo, family=cast.family)[own.pk]
    assert matches.total == 2
    assert (len(matches.visible), matches.hidden) == (1, 1)


# ----------------------------------------------------------------------------- who may see it


def intelligence_urls(cast, entry):
    pk = cast.family.pk
    return [
        reverse("safety_plans:intelligence", args=[pk]),
        reverse("safety_plans:intelligence_edit", args=[pk, entry.pk]),
        reverse("safety_plans:intelligence_police", args=[pk, entry.pk]),
        reverse("safety_plans:intelligence_print", args=[pk]),
    ]


def posts_for(cast, entry):
    return {
        reverse("safety_plans:intelligence", args=[cast.family.pk]): form_data(),
        reverse("safety_plans:intelligence_edit", args=[cast.family.pk, entry.pk]): form_data(
            description="Changed", version=entry.version
        ),
        reverse("safety_plans:intelligence_police", args=[cast.family.pk, entry.pk]): {
            "passed_to_police_on": timezone.localdate().isoformat(), "police_reference": "CAD 1234",
            "version": entry.version,
        },
        reverse("safety_plans:intelligence_print", args=[cast.family.pk]): {"entries": [entry.pk]},
    }


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["key_worker", "teammate", "outsider"])
def test_caseworkers_and_outsiders_get_404_everywhere_and_change_nothing(cast, plo, who):
    entry = entry_in(cast.family, plo, registration="AB12CDE")
    client = client_for(getattr(cast, who))
    exports_before = LogEntry.objects.filter(additional_data__what=POLICE_SHEET_EXPORT).count()
    for url in intelligence_urls(cast, entry):
        assert client.get(url).status_code == 404, url
    for url, data in posts_for(cast, entry).items():
        assert client.post(url, data).status_code == 404, url
    assert IntelligenceEntry.objects.count() == 1
    entry.refresh_from_db()
    assert (entry.description, entry.police_reference, entry.version) == (
        "A silver hatchback waiting outside school at home time.", "", 1
    )
    assert LogEntry.objects.filter(additional_data__what=POLICE_SHEET_EXPORT).count() == exports_before
    assert client.get(reverse("safety_plans:intelligence_links")).status_code == 404


@pytest.mark.django_db
def test_a_plo_of_another_team_gets_404(cast, plo):
    entry = entry_in(cast.family, plo)
    client = client_for(MembershipFactory(role=Role.PLO).user)
    for url in intelligence_urls(cast, entry):
        assert client.get(url).status_code == 404, url
    for url, data in posts_for(cast, entry).items():
        assert client.post(url, data).status_code == 404, url
    assert IntelligenceEntry.objects.count() == 1


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(cast, plo, anonymous_client):
    entry = entry_in(cast.family, plo)
    for url in intelligence_urls(cast, entry):
        response = anonymous_client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url


@pytest.mark.django_db
def test_plo_and_manager_of_the_team_open_every_page(cast, plo_client, manager_client, plo):
    entry = entry_in(cast.family, plo)
    for client in (plo_client, manager_client):
        for url in intelligence_urls(cast, entry):
            assert client.get(url).status_code == 200, url


# ----------------------------------------------------------------------------- recording


@pytest.mark.django_db
def test_a_plo_adds_an_entry_with_its_keys_and_the_view_is_audited(cast, plo, plo_client):
    response = plo_client.post(log_url(cast.family), form_data(
        kind="handle", registration="", phone="07700 900123", platform="snapchat", handle="@Big.Dave",
        child=cast.child.pk,
    ))
    assert response.status_code == 302
    entry = IntelligenceEntry.objects.get()
    assert (entry.family, entry.child, entry.recorded_by) == (cast.family, cast.child, plo)
    assert (entry.phone, entry.phone_key) == ("07700 900123", "+447700900123")
    assert (entry.platform, entry.handle, entry.handle_key) == ("snapchat", "@Big.Dave", "snapchat:big.dave")
    views_before = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, additional_data__family_id=cast.family.pk)
    count = views_before.count()
    page = plo_client.get(log_url(cast.family)).content.decode()
    assert "@Big.Dave on Snapchat" in page
    assert views_before.count() == count + 1


@pytest.mark.django_db
def test_another_platform_is_named_and_keyed(cast, plo_client):
    response = plo_client.post(log_url(cast.family), form_data(
        kind="handle", registration="", platform="other", other_platform="Kik", handle="@Big.Dave",
    ))
    assert response.status_code == 302
    entry = IntelligenceEntry.objects.get()
    assert (entry.platform, entry.handle_key) == ("Kik", "kik:big.dave")


@pytest.mark.django_db
def test_editing_an_entry_on_another_platform_shows_its_name(cast, plo, plo_client):
    entry = entry_in(cast.family, plo, kind="handle", platform="Kik", handle="@Big.Dave", registration="")
    page = plo_client.get(reverse("safety_plans:intelligence_edit", args=[cast.family.pk, entry.pk])).content.decode()
    assert typed_value_shown(field_block(page, "platform"), "other")
    assert typed_value_shown(field_block(page, "other_platform"), "Kik")


NEXT_MONTH = (timezone.localtime() + datetime.timedelta(days=31)).strftime("%Y-%m-%dT%H:%M")
ERROR_CASES = [
    ("phone", {"phone": "07700 9001"}, "complete phone number"),
    ("registration", {"registration": "--"}, "letters and numbers"),
    ("platform", {"handle": "@big.dave"}, "which platform"),
    ("other_platform", {"platform": "other", "handle": "@big.dave"}, "Name the platform"),
    ("observed_at", {"observed_at": "2099-01-01T10:00"}, "check the year"),
    ("observed_at", {"observed_at": NEXT_MONTH}, "cannot be in the future"),
    ("description", {"description": "<script>alert(1)</script>"}, "angle-bracket"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "changes", "message"), ERROR_CASES, ids=[case[0] for case in ERROR_CASES])
def test_bad_input_is_refused_next_to_the_field_and_kept(cast, plo_client, field, changes, message):
    data = form_data(**changes)
    response = plo_client.post(log_url(cast.family), data)
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert message in errors, response.context["form"].errors
    assert not IntelligenceEntry.objects.exists()
    page = response.content.decode()
    assert message in field_block(page, field)
    for name, typed in data.items():
        if typed and "<" not in typed:
            assert typed_value_shown(field_block(page, name), typed), name


def field_block(page, name):
    """The HTML of one field's block as crispy renders it: label, input, then its error messages."""
    start = page.index(f'id="div_id_{name}"')
    end = page.find('id="div_id_', start + 1)
    return page[start:end if end != -1 else None]


def typed_value_shown(block, typed):
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", typed):
        return shown_as_typed(block, typed)  # in the day, month, year and time boxes
    return (f'value="{typed}"' in block and ("<select" not in block or f'value="{typed}" selected' in block)) or (
        f"\n{typed}</textarea>" in block
    )


@pytest.mark.django_db
def test_an_edit_saved_by_someone_else_meanwhile_is_refused_and_kept(cast, plo, plo_client):
    entry = entry_in(cast.family, plo, registration="AB12CDE")
    url = reverse("safety_plans:intelligence_edit", args=[cast.family.pk, entry.pk])
    intelligence.intelligence_update(user=plo, entry=IntelligenceEntry.objects.get(pk=entry.pk), expected_version=1)
    response = plo_client.post(url, form_data(description="My correction", registration="XY99 ZZZ", version=1))
    assert response.status_code == 200
    assert "Someone else saved a change" in response.content.decode()
    assert "My correction" in response.content.decode()
    entry.refresh_from_db()
    assert (entry.description, entry.registration_key, entry.version) == (
        "A silver hatchback waiting outside school at home time.", "AB12CDE", 2
    )


@pytest.mark.django_db
def test_an_edit_recomputes_the_keys(cast, plo, plo_client):
    entry = entry_in(cast.family, plo, registration="AB12CDE")
    url = reverse("safety_plans:intelligence_edit", args=[cast.family.pk, entry.pk])
    response = plo_client.post(url, form_data(registration="xy99 zzz", version=entry.version))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.registration, entry.registration_key, entry.version) == ("xy99 zzz", "XY99ZZZ", 2)


@pytest.mark.django_db
def test_passed_to_the_police_is_recorded_and_cannot_be_before_it_was_seen(cast, plo, plo_client):
    entry = entry_in(cast.family, plo, observed_at=timezone.now() - datetime.timedelta(days=2))
    url = reverse("safety_plans:intelligence_police", args=[cast.family.pk, entry.pk])
    too_early = (timezone.localdate() - datetime.timedelta(days=10)).isoformat()
    response = plo_client.post(url, {"passed_to_police_on": too_early, "police_reference": "CAD 1234",
                                     "version": entry.version})
    assert response.status_code == 200
    assert "cannot have been passed to the police before" in " ".join(
        response.context["form"].errors["passed_to_police_on"]
    )
    assert "CAD 1234" in response.content.decode()
    today = timezone.localdate()
    response = plo_client.post(url, {"passed_to_police_on": today.isoformat(), "police_officer_or_unit": "PC 123 Khan",
                                     "police_reference": "CAD 1234", "outcome": "", "version": entry.version})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.passed_to_police_on, entry.police_officer_or_unit, entry.police_reference) == (
        today, "PC 123 Khan", "CAD 1234"
    )


# ----------------------------------------------------------------------------- links no agency made


@pytest.fixture
def other_teams_family():
    """A family in a team the cast's PLO is not in, with its own PLO."""
    other_plo = MembershipFactory(role=Role.PLO)
    family = FamilyFactory(team=other_plo.team, reference="F-777777")
    return family, other_plo.user


@pytest.mark.django_db
def test_a_match_in_another_teams_family_is_counted_never_shown(cast, plo, plo_client, other_teams_family):
    family, other_plo = other_teams_family
    entry_in(cast.family, plo, registration="ab12 cde", phone="07700 900123")
    entry_in(family, other_plo, registration="AB12-CDE", phone="+44 7700 900123")
    page = plo_client.get(log_url(cast.family)).content.decode()
    assert "Also reported by 1 other family" in page
    assert "a team you cannot see" in page
    assert "your manager can see this link" in page
    for secret in (family.reference, family.team.name, family.local_authority.name, str(family.pk) + "/intelligence"):
        assert secret not in page


@pytest.mark.django_db
def test_a_match_in_a_family_the_viewer_may_see_names_it_with_a_link(cast, plo, plo_client):
    neighbour = FamilyFactory(team=cast.family.team, reference="F-555555")
    entry_in(cast.family, plo, kind="handle", platform="snapchat", handle="@Big.Dave", registration="")
    entry_in(neighbour, plo, kind="handle", platform="Snapchat", handle="big.dave", registration="")
    page = plo_client.get(log_url(cast.family)).content.decode()
    assert "Also reported by 1 other family" in page
    assert f'href="{log_url(neighbour)}">F-555555</a>' in page
    assert "cannot see" not in page


@pytest.mark.django_db
def test_a_family_the_viewer_sees_only_as_a_caseworker_is_not_named(cast, plo, plo_client, other_teams_family):
    """Being able to open a family is not enough: naming it would tell a caseworker there of its intelligence."""
    family, other_plo = other_teams_family
    MembershipFactory(user=plo, team=family.team, role=Role.CASEWORKER)
    entry_in(cast.family, plo, registration="AB12CDE")
    entry_in(family, other_plo, registration="AB12CDE")
    page = plo_client.get(log_url(cast.family)).content.decode()
    assert "Also reported by 1 other family" in page
    assert family.reference not in page


@pytest.mark.django_db
def test_the_same_number_in_the_same_family_is_not_a_link(cast, plo, plo_client):
    entry_in(cast.family, plo, phone="07700 900123")
    entry_in(cast.family, plo, phone="+447700900123")
    assert "Also reported" not in plo_client.get(log_url(cast.family)).content.decode()


def grow_log(cast, plo, other_plo, other_family, start, count):
    neighbour = FamilyFactory(team=cast.family.team)
    for n in range(start, start + count):
        registration = f"AB{n:02d} CDE"
        handle = f"@runner{n}"
        entry_in(cast.family, plo, registration=registration, phone=f"07700 900{n:03d}", platform="snapchat",
                 handle=handle, child=cast.child)
        entry_in(neighbour, plo, registration=registration.replace(" ", ""))
        entry_in(other_family, other_plo, phone=f"+447700900{n:03d}", platform="Snapchat", handle=handle.upper())


def list_page_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), [query["sql"] for query in queries.captured_queries], response


@pytest.mark.django_db
def test_the_list_page_runs_the_same_queries_for_2_and_20_entries_with_matches(cast, plo, plo_client,
                                                                               other_teams_family):
    other_family, other_plo = other_teams_family
    grow_log(cast, plo, other_plo, other_family, 0, 2)
    small, _, response = list_page_queries(plo_client, log_url(cast.family))
    assert response.content.decode().count("Also reported by 2 other families") == 2
    grow_log(cast, plo, other_plo, other_family, 2, 18)
    large, sql, response = list_page_queries(plo_client, log_url(cast.family))
    assert response.content.decode().count("Also reported by 2 other families") == 20
    assert small == large, "\n".join(sql)
    # Reading and renewing the session (4, with its savepoint), user (1), second-factor device (1),
    # navigation (1), family and permission (2), managed teams (1), entries (1), matches (1), the record
    # of the view (1), the form's children (1).
    assert large == 14, "\n".join(sql)
    matching = [query for query in sql if "registration_key" in query and "IN (" in query]
    assert len(matching) == 1


@pytest.mark.django_db
def test_the_matching_query_uses_the_partial_indexes_on_postgresql(cast, plo, other_teams_family):
    from tests.conftest import require_postgresql

    require_postgresql("the partial indexes on the keys")
    other_family, other_plo = other_teams_family
    grow_log(cast, plo, other_plo, other_family, 0, 5)
    entries = list(intelligence.entries_of(cast.family))
    condition = intelligence._matching_keys(entries)
    queryset = IntelligenceEntry.objects.filter(condition).exclude(family_id=cast.family.pk)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    for index in ("intel_registration", "intel_phone", "intel_handle"):
        assert index in plan, plan


# ----------------------------------------------------------------------------- the managers' page


@pytest.mark.django_db
def test_managers_see_links_with_only_the_families_they_may_see(cast, plo, manager_client, other_teams_family):
    other_family, other_plo = other_teams_family
    neighbour = FamilyFactory(team=cast.family.team, reference="F-555555")
    entry_in(cast.family, plo, registration="ab12 cde", platform="snapchat", handle="@Big.Dave")
    entry_in(neighbour, plo, registration="AB12CDE")
    entry_in(other_family, other_plo, registration="AB 12 CDE", platform="Snapchat", handle="big.dave")
    # Reported twice, but both in a team this manager does not manage: not theirs to see.
    elsewhere = FamilyFactory(team=other_family.team)
    entry_in(other_family, other_plo, registration="ZZ99 ZZZ")
    entry_in(elsewhere, other_plo, registration="ZZ99ZZZ")

    with CaptureQueriesContext(connection) as queries:
        response = manager_client.get(reverse("safety_plans:intelligence_links"))
    assert response.status_code == 200
    page = response.content.decode()
    links = {(link.key_field, link.key): link for link in response.context["links"]}
    assert set(links) == {("registration_key", "AB12CDE"), ("handle_key", "snapchat:big.dave")}
    registration = links[("registration_key", "AB12CDE")]
    assert (registration.family_count, registration.hidden) == (3, 1)
    assert [family.reference for family in registration.families] == sorted([cast.family.reference, "F-555555"])
    assert "big.dave on Snapchat" in page
    assert "ZZ99ZZZ" not in page
    for secret in (other_family.reference, other_family.team.name, elsewhere.reference):
        assert secret not in page
    # Reading and renewing the session (4, with its savepoint), user (1), second-factor device (1), navigation (1),
    # managed teams (1),
    # keys (1), families shown (1), the record of the views (1).
    assert len(queries) == 11, "\n".join(query["sql"] for query in queries.captured_queries)
    audited = LogEntry.objects.filter(additional_data__what=LINKS_EXPORT)
    assert {entry.object_id for entry in audited} == {cast.family.pk, neighbour.pk}


# ----------------------------------------------------------------------------- the sheet for the police


@pytest.mark.django_db
def test_the_police_sheet_has_the_chosen_entries_only_and_no_carer_and_is_audited(cast, plo, plo_client):
    chosen = entry_in(cast.family, plo, description="Grey van, man with a neck tattoo", registration="AB12 CDE")
    also = entry_in(cast.family, plo, kind="phone", description="Calls Tyler late at night", phone="07700 900123",
                    registration="")
    left_out = entry_in(cast.family, plo, description="Blue moped outside the park", registration="XY99 ZZZ")
    sibling = ChildFactory(family=cast.family, first_name="Zephyrine", last_name="Okafor")
    url = reverse("safety_plans:intelligence_print", args=[cast.family.pk])

    response = plo_client.post(url, {"entries": [chosen.pk, also.pk], "children": [cast.child.pk]})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Grey van, man with a neck tattoo" in page and "AB12 CDE" in page
    assert "Calls Tyler late at night" in page and "+447700900123" in page
    assert left_out.description not in page and "XY99" not in page
    assert cast.family.reference in page
    assert "Tyler" in page and cast.child.date_of_birth.strftime("%-d %B %Y") in page
    assert sibling.first_name not in page
    for not_for_the_police in ("Joanne", "Okafor", cast.family.address.splitlines()[0], cast.family.postcode,
                               cast.family.team.name, cast.key_worker.full_name):
        assert not_for_the_police not in page, not_for_the_police
    export = LogEntry.objects.get(additional_data__what=POLICE_SHEET_EXPORT)
    assert (export.actor, export.object_id, export.additional_data["family_id"]) == (
        plo, cast.family.pk, cast.family.pk
    )


@pytest.mark.django_db
def test_the_police_sheet_names_no_child_unless_chosen_and_ignores_other_families_entries(cast, plo, plo_client):
    own = entry_in(cast.family, plo, description="Grey van by the shops")
    elsewhere = entry_in(FamilyFactory(team=cast.family.team), plo, description="Something in another family")
    url = reverse("safety_plans:intelligence_print", args=[cast.family.pk])
    response = plo_client.post(url, {"entries": [own.pk, elsewhere.pk]})
    # An entry of another family is not a choice on this family's sheet.
    assert response.status_code == 200 and "entries" in response.context["form"].errors
    assert not LogEntry.objects.filter(additional_data__what=POLICE_SHEET_EXPORT).exists()
    page = plo_client.post(url, {"entries": [own.pk]}).content.decode()
    assert "Grey van by the shops" in page
    assert "Tyler" not in page and "Something in another family" not in page


@pytest.mark.django_db
def test_a_sheet_needs_at_least_one_entry(cast, plo, plo_client):
    entry_in(cast.family, plo)
    response = plo_client.post(reverse("safety_plans:intelligence_print", args=[cast.family.pk]), {})
    assert "Choose at least one entry" in " ".join(response.context["form"].errors["entries"])
    assert not LogEntry.objects.filter(additional_data__what=POLICE_SHEET_EXPORT).exists()


# ----------------------------------------------------------------------------- for other pages


@pytest.mark.django_db
def test_plo_home_lists_entries_not_yet_passed_in_one_query(cast, plo, other_teams_family,
                                                            django_assert_num_queries):
    other_family, other_plo = other_teams_family
    waiting = entry_in(cast.family, plo)
    passed = entry_in(cast.family, plo, passed_to_police_on=timezone.localdate())
    entry_in(other_family, other_plo)
    closed = FamilyFactory(team=cast.family.team, status="closed", closure_reason="other",
                           closed_on=timezone.localdate())
    entry_in(closed, plo)
    with django_assert_num_queries(1):
        entries = intelligence.intelligence_for_plo_home(plo, limit=10)
        references = [entry.family.reference for entry in entries]
    assert [entry.pk for entry in entries] == [waiting.pk]
    assert references == [cast.family.reference]
    assert passed.pk not in [entry.pk for entry in entries]
    assert intelligence.intelligence_for_plo_home(cast.key_worker, limit=10) == []


@pytest.mark.django_db
def test_the_family_section_counts_for_plos_and_says_nothing_to_caseworkers(cast, plo):
    from django.template.loader import render_to_string

    entry_in(cast.family, plo)
    entry_in(cast.family, plo, passed_to_police_on=timezone.localdate())
    assert intelligence.intelligence_section(cast.family, cast.key_worker) is None
    section = intelligence.intelligence_section(cast.family, plo)
    assert (section.entries, section.not_passed) == (2, 1)
    html = render_to_string("safety_plans/_intelligence_family_section.html", {"section": section})
    assert re.search(r"2 entries,\s*<strong>1 not yet passed to the police</strong>", html)
    assert log_url(cast.family) in html
    assert render_to_string("safety_plans/_intelligence_family_section.html", {"section": None}).strip() == ""


@pytest.mark.django_db
def test_a_child_of_another_family_is_refused_by_the_service(cast, plo):
    stranger = ChildFactory(family=FamilyFactory(team=TeamFactory()))
    with pytest.raises(UserFixableError) as refused:
        entry_in(cast.family, plo, child=stranger)
    assert refused.value.field == "child"
    assert not IntelligenceEntry.objects.exists()
