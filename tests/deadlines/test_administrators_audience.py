"""Those who administer the service as an audience of the deadline engine: told of the flags of the
kinds that say so, whether or not the promise is a family's, each flag counted once per person in the
same digest as their other flags; nobody else told of a promise that is no family's; the e-mail
still sent while such a flag is open, in words that are true of it."""

import datetime

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from deadlines import kinds, outbox, selectors, services
from deadlines.models import Notification, OverdueFlag
from families.models import Role
from staff.models import User
from tests.factories import DeadlineFactory, MembershipFactory

NOW = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.UTC)
NO_FAMILYS = "test:no_familys"
EVERYONES = "test:everyones"


@pytest.fixture
def audiences():
    """A kind that is no family's, told to administrators only (as a data breach is), and a family's
    kind told to its people and to administrators (as a subject access request is)."""
    kinds.register(
        kinds.DeadlineKind(code=NO_FAMILYS, label="Something for the service", group="Tests",
                           tells=frozenset({kinds.Audience.ADMINISTRATORS}),
                           overview_url_name="deadlines:notifications", overview_name="the test page"),
        kinds.DeadlineKind(code=EVERYONES, label="Something for everyone", group="Tests",
                           tells=frozenset(kinds.Audience)),
    )
    yield
    kinds.unregister(NO_FAMILYS)
    kinds.unregister(EVERYONES)


@pytest.fixture
def administrator(db):
    return MembershipFactory(role=Role.ADMINISTRATOR).user


def due(family=None, **fields):
    subject = family or User.objects.first()
    return DeadlineFactory(**{
        "family": family, "subject_type": ContentType.objects.get_for_model(subject), "subject_id": subject.pk,
        "due_at": NOW - datetime.timedelta(hours=1), "escalate_at": NOW + datetime.timedelta(days=3), **fields,
    })


def digests(user, channel=Notification.Channel.IN_APP):
    return list(Notification.objects.filter(recipient=user, channel=channel).values_list("event", "flag_count"))


@pytest.mark.django_db
def test_a_promise_of_no_family_is_flagged_and_told_to_administrators_only(cast, audiences, administrator):
    deadline = due(kind=NO_FAMILYS)
    run = services.raise_overdue_flags(now=NOW)

    flag = OverdueFlag.objects.get(deadline=deadline)
    assert run.flagged == 1 and flag.family_id is None
    assert digests(administrator) == [("raised", 1)]
    assert digests(administrator, Notification.Channel.EMAIL) == [("raised", 1)]
    # The managers, key workers and everyone else hear nothing of it.
    for person in (cast.manager, cast.key_worker, cast.teammate, cast.outsider):
        assert digests(person) == []
    assert Notification.objects.exclude(recipient=administrator).count() == 0


@pytest.mark.django_db
def test_a_manager_who_is_not_an_administrator_is_not_told_of_it_nor_sees_it_in_the_queue(
        cast, audiences, administrator, manager_client):
    due(kind=NO_FAMILYS)
    due(cast.family, kind="referral:decision")
    services.raise_overdue_flags(now=NOW)
    assert digests(cast.manager) == [("raised", 1)]  # the family's deadline only
    family_flag = OverdueFlag.objects.get(family=cast.family)

    response = manager_client.get(reverse("deadlines:queue"))
    assert [row.flag.pk for row in response.context["rows"]] == [family_flag.pk]
    assert list(selectors.flags_to_acknowledge([cast.family.team_id])) == [family_flag]
    assert selectors.digest_family_references(
        Notification.objects.get(recipient=administrator, channel="email"), limit=20) == []


@pytest.mark.django_db
def test_an_administrator_hears_of_each_flag_once_in_one_digest_with_their_other_flags(cast, audiences):
    # An administrator of the family's team: a manager of it too (families.permissions.MANAGING_ROLES),
    # and key worker of a second family there.
    administrator = MembershipFactory(team=cast.family.team, role=Role.ADMINISTRATOR).user
    second = type(cast.family).objects.create(team=cast.family.team, key_worker=administrator)
    due(kind=NO_FAMILYS)  # as administrator
    due(cast.family, kind=EVERYONES)  # as administrator, as a manager of the team
    due(second, kind=EVERYONES)  # as administrator, as manager and as key worker
    due(cast.family, kind="referral:decision")  # as a manager of the team
    services.raise_overdue_flags(now=NOW)

    assert digests(administrator) == [("raised", 4)]
    assert digests(administrator, Notification.Channel.EMAIL) == [("raised", 4)]
    assert digests(cast.manager) == [("raised", 3)]  # the team's three
    assert digests(cast.key_worker) == [("raised", 2)]  # cast.family's two


@pytest.mark.django_db
def test_an_administrator_of_another_team_hears_of_a_familys_flag_of_a_kind_that_says_so(cast, audiences,
                                                                                         administrator):
    due(cast.family, kind=EVERYONES)
    due(cast.family, kind="referral:decision")
    services.raise_overdue_flags(now=NOW)
    assert digests(administrator) == [("raised", 1)]
    assert digests(cast.manager) == [("raised", 2)]


@pytest.mark.django_db
def test_deactivated_administrators_are_not_told(cast, audiences, administrator):
    User.objects.filter(pk=administrator.pk).update(is_active=False)
    due(kind=NO_FAMILYS)
    services.raise_overdue_flags(now=NOW)
    assert Notification.objects.count() == 0


@pytest.mark.django_db
def test_escalation_of_a_promise_of_no_family_is_told_to_administrators(cast, audiences, administrator):
    due(kind=NO_FAMILYS, escalate_at=NOW + datetime.timedelta(hours=1))
    services.raise_overdue_flags(now=NOW)
    later = NOW + datetime.timedelta(hours=2)
    run = services.raise_overdue_flags(now=later)
    assert run.escalated == 1
    assert digests(administrator) == [("escalated", 1), ("raised", 1)]


@pytest.mark.django_db
def test_the_email_still_matters_while_the_flag_is_open_and_not_after(cast, audiences, administrator):
    deadline = due(kind=NO_FAMILYS)
    services.raise_overdue_flags(now=NOW)

    def matters():
        return Notification.objects.filter(recipient=administrator, channel="email").annotate(
            matters=outbox.still_matters()).get().matters

    assert matters() is True
    services.deadline_meet(deadline, at=NOW, now=NOW)
    assert matters() is False


@pytest.mark.django_db
def test_an_open_flag_of_no_family_keeps_an_administrators_email_to_be_sent(cast, audiences, administrator,
                                                                            mailoutbox):
    due(kind=NO_FAMILYS)
    services.raise_overdue_flags(now=NOW)
    assert outbox.send_pending_notifications(now=NOW) == 1
    email = Notification.objects.get(recipient=administrator, channel="email")
    assert email.status == Notification.Status.SENT
    [message] = mailoutbox
    assert message.to == [administrator.email]
    # Truthful words: no families, what is due, and a link to where administrators see it.
    assert message.subject == "Overdue: 1 deadline"
    assert "families" not in message.body.lower()
    assert "1 deadline has passed." in message.body
    assert "Something for the service: see the test page: " in message.body
    assert reverse("deadlines:notifications") in message.body
    assert reverse("deadlines:queue") not in message.body


@pytest.mark.django_db
def test_a_digest_of_families_flags_and_one_of_no_family_says_both(cast, audiences, mailoutbox):
    administrator = MembershipFactory(team=cast.family.team, role=Role.ADMINISTRATOR).user
    due(kind=NO_FAMILYS)
    due(cast.family, kind="referral:decision")
    services.raise_overdue_flags(now=NOW)
    outbox.send_pending_notifications(now=NOW)
    message = next(m for m in mailoutbox if m.to == [administrator.email])
    assert message.subject == "Overdue: 2 deadlines"
    assert f"Families: {cast.family.reference}\n" in message.body
    assert f"See the overdue queue: {settings.SITE_URL.rstrip('/')}{reverse('deadlines:queue')}\n" in message.body
    assert "Something for the service: see the test page" in message.body
    # A manager who is not an administrator reads the families' wording, as before.
    to_manager = next(m for m in mailoutbox if m.to == [cast.manager.email])
    assert to_manager.subject == "Overdue: 1 deadline for your families"


@pytest.mark.django_db
def test_every_kind_that_does_not_say_is_told_to_the_familys_people_only(cast, administrator):
    assert kinds.DeadlineKind(code="x", label="x", group="x").tells == {
        kinds.Audience.KEY_WORKER, kinds.Audience.TEAM_MANAGERS}
    due(cast.family, kind="referral:decision")
    due(cast.family)  # a kind no app registers
    services.raise_overdue_flags(now=NOW)
    assert digests(administrator) == []
    assert digests(cast.manager) == [("raised", 2)]


@pytest.mark.django_db
def test_each_flag_carries_its_kinds_audience_from_when_it_was_raised(cast, audiences):
    """The digests read who hears of a flag from the flag alone (no look at a million deadlines)."""
    no_familys, everyones, plain = due(kind=NO_FAMILYS), due(cast.family, kind=EVERYONES), due(cast.family,
                                                                                             kind="referral:decision")
    services.raise_overdue_flags(now=NOW)
    audience = dict(OverdueFlag.objects.values_list("deadline_id", "audience"))
    assert audience == {no_familys.pk: 4, everyones.pk: 7, plain.pk: 3}
