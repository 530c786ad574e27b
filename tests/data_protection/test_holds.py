"""Legal holds: one in force per family, lifted only with a reason, and read by the retention run."""

from datetime import timedelta

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import UserFixableError
from data_protection import selectors, services
from data_protection.models import LegalHold
from families.models import Family, Role
from tests.factories import FamilyFactory, MembershipFactory

Reason = LegalHold.Reason


@pytest.fixture
def administrator(db):
    return MembershipFactory(role=Role.ADMINISTRATOR).user


def place(user, family, **overrides):
    values = {"reason": Reason.POLICE_INVESTIGATION, "details": "Operation Larch, DC Patel",
              "review_on": timezone.localdate() + timedelta(days=30)}
    return services.hold_place(user=user, family=family, **{**values, **overrides})


@pytest.mark.django_db
def test_a_family_has_at_most_one_hold_in_force(administrator):
    family = FamilyFactory()
    first = place(administrator, family)
    with pytest.raises(UserFixableError, match="already has a legal hold in force"):
        place(administrator, family, reason=Reason.COMPLAINT)
    with pytest.raises(IntegrityError), transaction.atomic():
        LegalHold.objects.create(family=family, reason=Reason.COMPLAINT, details="x",
                                 review_on=first.review_on, placed_by=administrator)
    services.hold_lift(user=administrator, hold=first, reason="The police closed the investigation.")
    second = place(administrator, family, reason=Reason.COMPLAINT)
    assert list(LegalHold.objects.in_force().filter(family=family)) == [second]


@pytest.mark.django_db
def test_lifting_needs_a_reason(administrator):
    hold = place(administrator, FamilyFactory())
    with pytest.raises(UserFixableError, match="Say why"):
        services.hold_lift(user=administrator, hold=hold, reason="   ")
    hold.refresh_from_db()
    assert hold.in_force
    # The database says the same: lifted by someone, at a moment, with a reason, or none of these.
    with pytest.raises(IntegrityError), transaction.atomic():
        LegalHold.objects.filter(pk=hold.pk).update(lifted_by=administrator, lifted_at=timezone.now())


@pytest.mark.django_db
def test_a_hold_is_lifted_once(administrator):
    hold = place(administrator, FamilyFactory())
    services.hold_lift(user=administrator, hold=hold, reason="Prosecution ended.")
    with pytest.raises(UserFixableError, match="already been lifted"):
        services.hold_lift(user=administrator, hold=hold, reason="Again.")
    hold.refresh_from_db()
    assert (hold.lifted_by, hold.lift_reason) == (administrator, "Prosecution ended.")


@pytest.mark.django_db
def test_the_review_date_must_be_in_the_future(administrator):
    family = FamilyFactory()
    with pytest.raises(UserFixableError, match="in the future") as refused:
        place(administrator, family, review_on=timezone.localdate())
    assert refused.value.field == "review_on"
    assert not LegalHold.objects.exists()


@pytest.mark.django_db
def test_only_administrators_place_or_lift_holds(cast, administrator):
    hold = place(administrator, cast.family)
    for user in (cast.key_worker, cast.manager):
        with pytest.raises(PermissionDenied):
            place(user, FamilyFactory())
        with pytest.raises(PermissionDenied):
            services.hold_lift(user=user, hold=hold, reason="Not theirs to lift.")
    assert LegalHold.objects.in_force().get() == hold


@pytest.mark.django_db
def test_the_retention_run_sees_the_families_on_hold(administrator):
    held, lifted, never = FamilyFactory(), FamilyFactory(), FamilyFactory()
    place(administrator, held)
    services.hold_lift(user=administrator, hold=place(administrator, lifted), reason="Complaint resolved.")
    assert list(Family.objects.filter(pk__in=selectors.families_on_hold()).values_list("pk", flat=True)) == [held.pk]
    assert selectors.hold_in_force(held).family == held
    assert selectors.hold_in_force(lifted) is None
    assert selectors.hold_in_force(never) is None


@pytest.mark.django_db
def test_placing_and_lifting_are_in_the_familys_history(administrator):
    family = FamilyFactory()
    with set_actor(administrator):
        hold = place(administrator, family)
        services.hold_lift(user=administrator, hold=hold, reason="Investigation closed.")
    entries = LogEntry.objects.get_for_object(hold).order_by("timestamp", "pk")
    assert [entry.action for entry in entries] == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE]
    assert all(entry.additional_data == {"family_id": family.pk} for entry in entries)
    assert all(entry.actor == administrator for entry in entries)
    assert entries[1].changes_dict["lift_reason"] == ["", "(text not kept)"]
