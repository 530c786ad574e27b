"""The check-in clocks follow a family being closed or reopened.

``families`` must not know of outcomes, and closing a family is one of its services
(families.services.family_update): so the clocks follow the Family row's own save signals. Each
Family remembers the status and closing day it was loaded with (read from the instance's values,
never a deferred field, so no query), and a save that changes either sets its rated parents'
clocks, inside the same transaction as the save.
"""

from django.db.models.signals import post_init, post_save

from families.models import Family

_LOADED = "_outcomes_loaded_status"


def _status_of(instance) -> tuple:
    values = instance.__dict__
    return values.get("status"), values.get("closed_on")


def _remember(sender, instance, **kwargs):
    setattr(instance, _LOADED, _status_of(instance))


def _follow(sender, instance, created, update_fields=None, raw=False, **kwargs):
    if raw or created:
        return  # A fixture being loaded; a new family has no ratings yet.
    if update_fields is not None and not {"status", "closed_on"} & set(update_fields):
        return
    now_status = _status_of(instance)
    if getattr(instance, _LOADED, now_status) == now_status:
        return
    setattr(instance, _LOADED, now_status)
    from outcomes import deadline_kinds

    deadline_kinds.family_clocks_follow(instance)


def connect():
    post_init.connect(_remember, sender=Family, dispatch_uid="outcomes_family_loaded")
    post_save.connect(_follow, sender=Family, dispatch_uid="outcomes_family_saved")
