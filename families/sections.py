"""Sections that apps above ``families`` add to a family's page (referrals, safety plans,
meetings). ``families`` knows nothing of them: each app registers a section in its
``AppConfig.ready``, and the family page shows them in order.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class FamilySection:
    key: str
    template: str  # rendered with ``family`` and ``section`` (the value ``read`` returned)
    read: Callable  # read(family) -> what the template shows; a fixed number of queries
    order: int = 100
    # "top": above everything else on the page (a child missing now); "main": with the family's work.
    placement: str = "main"


_SECTIONS: dict[str, FamilySection] = {}


def register(section: FamilySection) -> None:
    _SECTIONS[section.key] = section


def sections_for(family, placement: str = "main") -> list[tuple[FamilySection, object]]:
    chosen = sorted((s for s in _SECTIONS.values() if s.placement == placement), key=lambda s: s.order)
    return [(section, section.read(family)) for section in chosen]
