from django.db.models import F

from core.errors import EditConflict


def save_if_unchanged(instance, expected_version: int):
    """Save ``instance`` only if nobody saved it since the user loaded version ``expected_version``.

    The version is claimed with one conditional UPDATE, so of two people saving the
    same version at the same moment exactly one succeeds and the other is told.
    The full save() afterwards keeps model signals (and so the audit log) working.
    """
    model = type(instance)
    claimed = model.objects.filter(pk=instance.pk, version=expected_version).update(version=F("version") + 1)
    if not claimed:
        raise EditConflict()
    instance.version = expected_version + 1
    instance.save()
    return instance
