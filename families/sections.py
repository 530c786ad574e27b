"""Sections that apps above ``families`` add to a family's page (referrals, safety plans,
meetings). ``families`` knows nothing of them: each app registers a section in its
``AppConfig.ready``, and the family page shows them in order.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class FamilySection:
    key: str
    template: str  # rendered with ``family`` and ``section`` (the value ``read`` returned); None: not shown
    # read(family, user) -> what the template shows to this user; a fixed number of queries. The
    # user is there for sections only some roles may see (intelligence).
    read: Callable
    order: int = 100
    # "top": above everything else on the page (a child missing now); "main": with the family's work.
    placement: str = "main"


_SECTIONS: dict[str, FamilySection] = {}


def register(section: FamilySection) -> None:
    _SECTIONS[section.key] = section


def sections_for(family, user, placement: str = "main") -> list[tuple[FamilySection, object]]:
    chosen = sorted((s for s in _SECTIONS.values() if s.placement == placement), key=lambda s: s.order)
    read = ((section, section.read(family, user)) for section in chosen)
    return [(section, data) for section, data in read if data is not None]
