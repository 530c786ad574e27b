"""Parts that apps above ``families`` add to the call form (a parent's ratings, from outcomes).
``families`` knows nothing of them: each app registers a part in its ``AppConfig.ready``, and the
call form shows, checks and saves every part with the call.

A part is a form of its own (under its own prefix), the template that shows it, and a function that
saves it with the call. The call view checks every part against the call before anything is saved,
shows each part's messages next to its fields, and saves the call and every part in one transaction:
the call is saved with all of its parts, or not at all.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class CallPart:
    key: str
    prefix: str  # the part's form prefix: its fields' names start with it, apart from the call's
    # form(data, *, prefix, family, user) -> the part's form, bound when data is not None. A fixed
    # number of queries, whatever the family's size.
    form: Callable
    template: str  # rendered with ``family`` and ``form`` (the part's form), inside the call's <form>
    # check(form, contact) -> None: after the part's form and the call's are valid, with the call
    # (not yet saved); adds errors to the form where the part does not fit the call.
    check: Callable
    # save(form, *, user, family, contact) -> None: inside the call's transaction, with the saved
    # call; may raise core.errors.UserFixableError (naming one of the form's fields, or none), and
    # then nothing of the call is saved.
    save: Callable
    order: int = 100


_PARTS: dict[str, CallPart] = {}


def register(part: CallPart) -> None:
    _PARTS[part.key] = part


def parts() -> list[CallPart]:
    return sorted(_PARTS.values(), key=lambda part: part.order)


@dataclass
class BoundPart:
    """A part with its form, for one showing of the call form."""

    part: CallPart
    form: object

    @property
    def template(self) -> str:
        return self.part.template


def bind_parts(data, *, family, user) -> list[BoundPart]:
    return [BoundPart(part, part.form(data, prefix=part.prefix, family=family, user=user)) for part in parts()]


def parts_valid(bound: list[BoundPart], contact=None) -> bool:
    """Check every part (all of them, so each shows its messages), and each against the call when
    the call itself is valid (``contact``, not yet saved)."""
    valid = True
    for each in bound:
        if each.form.is_valid() and contact is not None:
            each.part.check(each.form, contact)
        valid = each.form.is_valid() and valid
    return valid
