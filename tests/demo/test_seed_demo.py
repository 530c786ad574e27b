"""The demo data command: safe to run, complete, consistent and idempotent."""

from io import StringIO

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from demo.management.commands.seed_demo import DEMO_USERS, SIGN_IN_URL
from families.models import Consent, Contact, Family, FollowUp, Membership, Person, Relationship, Role, Team
from families.postcodes import local_authority_for_postcode
from staff.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_settings(settings):
    settings.DEBUG = True
    # The real hasher is deliberately slow; the command's own speed is checked by running it for real.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts():
    models = (User, Team, Membership, Family, Person, Relationship, Consent, Contact, FollowUp, LogEntry)
    return {model.__name__: model.objects.count() for model in models}


def test_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    before = counts()
    with pytest.raises(CommandError, match="DEBUG"):
        seed()
    assert counts() == before
    assert not User.objects.exists()
    assert not Family.objects.exists()


def test_force_runs_without_debug(settings):
    settings.DEBUG = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    seed("--force", "--families", "3")
    assert Family.objects.count() == 3


def test_full_demo_data_set(demo_settings):
    """One full run (seeding takes a couple of seconds), checked part by part."""
    output = seed()
    check_teams_and_sign_ins(output)
    check_families_are_complete()
    check_demo_caseworker_has_work_today()
    check_local_authority_matches_postcode()
    check_the_plos_work()
    check_data_protection()
    check_ratings_over_time()
    check_second_run_changes_nothing()


def check_ratings_over_time():
    """Parents rated at their first call and again later, mostly better, some not; a few asked about
    children's social care; each audited, and some parents overdue to be asked again."""
    from deadlines.models import Deadline, OverdueFlag
    from outcomes.deadline_kinds import CHECK_IN
    from outcomes.models import CheckIn

    first = CheckIn.objects.filter(occasion=CheckIn.Occasion.FIRST).select_related("contact")
    assert first.count() > Family.objects.count() / 2
    # The first ratings were asked at the parent's first call.
    for check_in in first:
        earlier = Contact.objects.filter(spoke_with=check_in.parent, occurred_at__lt=check_in.contact.occurred_at)
        assert not earlier.exists()
    later = CheckIn.objects.exclude(occasion=CheckIn.Occasion.FIRST)
    assert later.filter(occasion=CheckIn.Occasion.REVIEW).exists()
    assert later.filter(occasion=CheckIn.Occasion.CLOSURE).exists()
    changes = [
        check_in.confidence - first.get(parent=check_in.parent).confidence
        for check_in in later if check_in.confidence is not None and first.get(parent=check_in.parent).confidence
    ]
    assert sum(change > 0 for change in changes) > len(changes) / 2
    assert any(change <= 0 for change in changes)
    assert CheckIn.objects.filter(csc_support__isnull=False).exists()
    assert not CheckIn.objects.filter(asked_on__gt=timezone.localdate()).exists()
    audited = LogEntry.objects.filter(content_type__model="checkin", action=LogEntry.Action.CREATE)
    assert audited.count() == CheckIn.objects.count()
    clocks = Deadline.objects.filter(kind=CHECK_IN)
    assert clocks.filter(met_at__isnull=True, cancelled_at__isnull=True).exists()
    assert OverdueFlag.objects.filter(deadline__kind=CHECK_IN, resolved_at__isnull=True).exists()


def check_data_protection():
    """The retention dry run has families to show (and one kept by a legal hold), and a subject
    access request waits for its reply."""
    from data_protection.models import SubjectAccessRequest
    from data_protection.retention import dry_run

    result = dry_run()
    assert (result.families, result.held) == (2, 1)
    assert SubjectAccessRequest.objects.filter(state=SubjectAccessRequest.State.OPEN).exists()
    from data_protection.models import Breach
    from deadlines.models import Deadline

    assert Breach.objects.filter(decision=Breach.Decision.UNDECIDED).count() == 1
    assert Breach.objects.filter(decision=Breach.Decision.NOT_REPORTABLE, actions__isnull=False).exists()
    assert Deadline.objects.filter(kind="data_protection:breach_report", family__isnull=True,
                                   met_at__isnull=True).count() == 1


def check_the_plos_work():
    """Every part of the PLO's workspace has something in it: plans with several versions, a child
    missing now and one back without an interview, and intelligence matching across two families."""
    from django.db.models import Count

    from deadlines.models import Deadline
    from safety_plans.models import IntelligenceEntry, MissingEpisode, SafetyPlan

    plans = SafetyPlan.objects.annotate(versions_count=Count("versions"))
    assert plans.count() >= 2 and all(plan.versions_count >= 3 for plan in plans)
    assert MissingEpisode.objects.filter(returned_at__isnull=True).exists()
    assert Deadline.objects.filter(kind="missing:return_home_interview", met_at__isnull=True).exists()
    assert Deadline.objects.filter(kind="plan:commitment", met_at__isnull=True).exists()
    shared = IntelligenceEntry.objects.exclude(registration_key="").values("registration_key").annotate(
        families=Count("family", distinct=True)).filter(families__gte=2)
    assert shared.exists()
    from meetings.models import MeetingAction

    states = set(MeetingAction.objects.values_list("status", flat=True))
    assert states == {"open", "done", "dropped"}
    assert MeetingAction.objects.filter(chases__isnull=False).exists()
    assert Deadline.objects.filter(kind="meeting:action", met_at__isnull=True, cancelled_at__isnull=True).exists()


def check_teams_and_sign_ins(output):
    assert User.objects.count() >= 4
    national = Team.objects.get(name="National support team")
    assert national.kind == Team.Kind.NATIONAL and national.local_authority is None
    liaison = Team.objects.filter(kind=Team.Kind.PARENT_LIAISON)
    assert set(liaison.values_list("local_authority__code", flat=True)) == {"E08000025", "E08000035", "E10000017"}

    def roles(email):
        return set(Membership.objects.filter(user__email=email).values_list("team__name", "role"))

    assert roles("caseworker@pace.example") == {("National support team", Role.CASEWORKER)}
    assert roles("plo@pace.example") == {("Birmingham parent liaison team", Role.PLO)}
    assert roles("manager@pace.example") == {
        ("National support team", Role.MANAGER),
        ("Birmingham parent liaison team", Role.MANAGER),
    }
    assert roles("admin@pace.example") == {(team.name, Role.ADMINISTRATOR) for team in Team.objects.all()}
    admin = User.objects.get(email="admin@pace.example")
    assert admin.is_staff and admin.is_superuser
    assert Membership.objects.filter(team=national, role=Role.CASEWORKER).count() >= 3

    for demo in DEMO_USERS:
        user = User.objects.get(email=demo.email)
        assert user.check_password(demo.password)
        validate_password(demo.password, user)  # at least 12 characters, not common, not like the e-mail
        assert demo.email in output and demo.password in output
    assert SIGN_IN_URL == "http://127.0.0.1:8000/"
    assert SIGN_IN_URL in output


def check_families_are_complete():
    families = Family.objects.prefetch_related("people", "contacts", "consents")
    assert families.count() >= 50
    for family in families:
        assert family.reference and family.reference.startswith("F-")
        kinds = [person.kind for person in family.people.all()]
        assert Person.Kind.CARER in kinds and Person.Kind.CHILD in kinds
        assert set(kinds) <= {Person.Kind.CARER, Person.Kind.CHILD}
        assert family.contacts.all(), family.reference
        assert any(consent.kind == Consent.Kind.STORE for consent in family.consents.all())
        if family.key_worker_id:
            assert Membership.objects.filter(user_id=family.key_worker_id, team_id=family.team_id).exists()
    today = timezone.localdate()
    # Children of the families closed long ago (for the retention dry run) are grown up.
    for child in Person.objects.filter(kind=Person.Kind.CHILD):
        assert 11 <= child.age_on(today) <= 17 or child.family.closed_on < today.replace(year=today.year - 7)
        assert 1 <= child.exploitation_types.count() <= 2
        assert child.risk_level
    # Every child is linked to every carer of the family through a relationship.
    for family in families:
        for child in family.people.filter(kind=Person.Kind.CHILD):
            assert child.relationships_as_child.exists()

    assert Family.objects.filter(team__kind=Team.Kind.NATIONAL).count() > Family.objects.count() / 2
    assert Family.objects.filter(team__kind=Team.Kind.PARENT_LIAISON).exists()
    closed = Family.objects.filter(status=Family.Status.CLOSED)
    assert closed.exists()
    assert all(family.closure_reason and family.closed_on for family in closed)
    assert Family.objects.filter(people__kind=Person.Kind.CARER).count() > Family.objects.count()  # second carers
    assert Contact.objects.filter(handle_with_care=True).exists()
    assert not Contact.objects.filter(occurred_at__gt=timezone.now()).exists()
    assert not Contact.objects.filter(support_given__isnull=True).exists()
    assert FollowUp.objects.filter(done_at__isnull=False).exists()
    assert FollowUp.objects.filter(done_at__isnull=True, due_on__gt=today).exists()
    # Everything is attributed to the worker who did it.
    assert LogEntry.objects.exists()
    assert not LogEntry.objects.filter(actor__isnull=True).exists()


def check_demo_caseworker_has_work_today():
    caseworker = User.objects.get(email="caseworker@pace.example")
    today = timezone.localdate()
    open_follow_ups = FollowUp.objects.filter(owner=caseworker, done_at__isnull=True)
    assert open_follow_ups.filter(due_on=today).exists()
    assert open_follow_ups.filter(due_on__lt=today).exists()
    assert Family.objects.filter(key_worker=caseworker, status=Family.Status.OPEN).count() >= 3
    assert Contact.objects.filter(worker=caseworker, occurred_at__gte=timezone.now() - timezone.timedelta(days=7))


def check_local_authority_matches_postcode():
    for family in Family.objects.select_related("local_authority"):
        assert family.local_authority is not None
        assert family.local_authority == local_authority_for_postcode(family.postcode), family.postcode


def check_second_run_changes_nothing():
    before = counts()
    output = seed()
    assert counts() == before
    assert "Demo data already present" in output
    assert "caseworker@pace.example" in output and SIGN_IN_URL in output


def test_small_run(demo_settings):
    output = seed("--families", "5")
    assert Family.objects.count() == 5
    assert "caseworker@pace.example" in output
    caseworker = User.objects.get(email="caseworker@pace.example")
    today = timezone.localdate()
    assert FollowUp.objects.filter(owner=caseworker, done_at__isnull=True, due_on__lte=today).exists()
