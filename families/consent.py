"""Consent to share, as anything that shares with an agency needs it: whether the parent withdrew
consent to share with that kind of agency (and has not given it again), and the record of sharing
without consent, with the reason the worker gave for going ahead.

Sharing without consent is lawful when, for example, a child is at risk of significant harm; what the
law asks is that the decision is made on purpose and that the worker can say why. The apps that share
(the police sheet, the chronology pack) call ``sharing_withdrawn`` before they share and
``sharing_without_consent_record`` when the worker goes ahead."""

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.formats import date_format

from core.errors import UserFixableError
from families.models import AGENCY_IN_A_SENTENCE, Consent, Family, SharingWithoutConsent

REASON_LABEL = "Why it is right to share without consent"
REASON_HELP = (
    "For example, a child is at risk of significant harm. This is kept with the family's consents, "
    "with your name and the time."
)
REASON_REQUIRED = "Say why it is right to share without consent, or go back and do not share."


def sharing_withdrawn(family: Family, agency_kind: str) -> list[Consent]:
    """The family's consents to share with ``agency_kind`` that were withdrawn, with nobody having given
    consent to share with that kind again since (on or after the day of the withdrawal), in one query.
    A consent given again and later withdrawn is itself in the list, in place of the earlier one."""
    given_again = Consent.objects.filter(
        family_id=OuterRef("family_id"),
        kind=Consent.Kind.SHARE,
        agency_kind=agency_kind,
        given_on__gte=OuterRef("withdrawn_on"),
    ).exclude(pk=OuterRef("pk"))
    return list(
        Consent.objects.filter(family=family, kind=Consent.Kind.SHARE, agency_kind=agency_kind)
        .filter(Q(withdrawn_on__isnull=False) & ~Exists(given_again))
        .select_related("given_by")
        .order_by("-withdrawn_on", "-pk")
    )


def withdrawal_sentence(consent: Consent) -> str:
    """ "Joanne withdrew consent to share with the police (West Midlands Police) on 3 November 2026." """
    agency = AGENCY_IN_A_SENTENCE.get(consent.agency_kind, "another agency")
    named = f" ({consent.agency})" if consent.agency and consent.agency.lower() != agency else ""
    day = date_format(consent.withdrawn_on, "j F Y")
    return f"{consent.given_by.first_name} withdrew consent to share with {agency}{named} on {day}."


def agency_in_a_sentence(agency_kind: str) -> str:
    return AGENCY_IN_A_SENTENCE.get(agency_kind, "another agency")


@transaction.atomic
def sharing_without_consent_record(
    *, user, family: Family, agency_kind: str, what: str, reason: str
) -> SharingWithoutConsent:
    """Keep that ``user`` shared ``what`` with ``agency_kind`` without consent, and why (audited as a
    new record of the family, in the same transaction)."""
    reason = reason.strip()
    if not reason:
        raise UserFixableError(REASON_REQUIRED, field="reason")
    return SharingWithoutConsent.objects.create(
        family=family, agency_kind=agency_kind, what=what, reason=reason, shared_by=user
    )
