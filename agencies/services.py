"""Every change to the directory of agencies and professionals goes through these functions.

Each runs in one transaction; django-auditlog (registered in agencies.apps) writes the audit entry
for each saved row in that same transaction, attributed to the signed-in user by its middleware.
"""

from django.db import IntegrityError, transaction

from agencies.models import Agency, Professional
from core.concurrency import save_if_unchanged
from core.errors import UserFixableError


def _same_name_taken(agency: Agency) -> bool:
    others = Agency.objects.filter(name__iexact=agency.name.strip(), local_authority_id=agency.local_authority_id)
    if agency.pk:
        others = others.exclude(pk=agency.pk)
    return others.exists()


def _name_taken_error(agency: Agency) -> UserFixableError:
    where = f"in {agency.local_authority}" if agency.local_authority_id else "among the national agencies"
    return UserFixableError(f"There is already an agency called “{agency.name}” {where}.", field="name")


def _save_refusing_duplicate_name(agency: Agency, save) -> Agency:
    # Checked first to say so next to the field (also ignoring case, which the database does not);
    # the unique constraints catch two people adding the same agency at the same moment.
    agency.name = agency.name.strip()
    if _same_name_taken(agency):
        raise _name_taken_error(agency)
    try:
        with transaction.atomic():
            return save()
    except IntegrityError:
        raise _name_taken_error(agency) from None


@transaction.atomic
def agency_create(*, user, agency: Agency) -> Agency:
    def save():
        agency.save()
        return agency

    return _save_refusing_duplicate_name(agency, save)


@transaction.atomic
def agency_update(*, user, agency: Agency, expected_version: int) -> Agency:
    return _save_refusing_duplicate_name(agency, lambda: save_if_unchanged(agency, expected_version))


@transaction.atomic
def professional_add(*, user, agency: Agency, professional: Professional) -> Professional:
    professional.agency = agency
    professional.full_name = professional.full_name.strip()
    professional.save()
    return professional


@transaction.atomic
def professional_update(*, user, professional: Professional, expected_version: int) -> Professional:
    professional.full_name = professional.full_name.strip()
    return save_if_unchanged(professional, expected_version)
