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


_SECTIONS: dict[str, FamilySection] = {}


def register(section: FamilySection) -> None:
    _SECTIONS[section.key] = section


def sections_for(family) -> list[tuple[FamilySection, object]]:
    return [(section, section.read(family)) for section in sorted(_SECTIONS.values(), key=lambda s: s.order)]
