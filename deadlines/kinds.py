"""The kinds of promise the deadline engine keeps, registered by the apps that make them.

The engine knows nothing of referrals, plans or meetings. Each app registers its kinds in its
``AppConfig.ready``: what is due in words, where the promise is read about, what else a
manager can do about a late one, and who is told when it passes. The overdue queue, its
filters and export, and the digests work from this registry alone, so a new kind needs no
change here.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum


class Audience(StrEnum):
    """Who hears of a flag raised on a deadline of this kind (see families.permissions for reach)."""

    KEY_WORKER = "key_worker"  # the family's key worker
    TEAM_MANAGERS = "team_managers"  # those who manage the family's team
    # Those who administer the service, whatever their teams: the only ones told of a promise that is
    # no family's (a data breach), and told of a family's only where its kind says so.
    ADMINISTRATORS = "administrators"


# Who is told when a kind does not say: those with the family in their hands.
FAMILY_AUDIENCES = frozenset({Audience.KEY_WORKER, Audience.TEAM_MANAGERS})


@dataclass(frozen=True)
class FlagAction:
    label: str  # "Record an escalation"
    url: str


def _no_links(deadlines) -> dict[int, str]:
    return {}


def _no_actions(flag) -> list[FlagAction]:
    return []


@dataclass(frozen=True)
class DeadlineKind:
    code: str  # stored in Deadline.kind, e.g. "referral:decision"
    label: str  # what is due, in plain words: "Decision on the referral"
    group: str  # the heading it is listed under in the queue's filter: "Referrals"
    # links(deadlines) -> {deadline id: URL of the page about what was promised}. Called once per
    # kind for a page of deadlines, so it must read in sets (a fixed number of queries).
    links: Callable[[list], dict[int, str]] = _no_links
    # actions(flag) -> what a manager can do about this late promise besides acknowledging it.
    # No queries: work from the flag and its deadline.
    actions: Callable[[object], list[FlagAction]] = _no_actions
    tells: frozenset[Audience] = FAMILY_AUDIENCES
    # The page (a URL name, no arguments) where administrators see every promise of this kind, linked
    # from their e-mail digests when a flag reaches them as administrators; and what it is called in a
    # sentence ("the breach log").
    overview_url_name: str = ""
    overview_name: str = ""


_KINDS: dict[str, DeadlineKind] = {}


def register(*kinds: DeadlineKind) -> None:
    for kind in kinds:
        _KINDS[kind.code] = kind


def unregister(code: str) -> None:
    _KINDS.pop(code, None)


def get(code: str) -> DeadlineKind:
    """The registered kind, or a plain one for a code no app registers (kept for history)."""
    return _KINDS.get(code) or DeadlineKind(code=code, label=code, group="Other")


def registered() -> list[DeadlineKind]:
    return list(_KINDS.values())


def filter_choices() -> list:
    """Grouped choices for the queue's "What is late" filter: [(group, [(code, label), …]), …]."""
    groups: dict[str, list] = {}
    for kind in _KINDS.values():
        groups.setdefault(kind.group, []).append((kind.code, kind.label))
    return list(groups.items())


# Each audience as a bit of OverdueFlag.audience: who hears of a flag is copied onto it from its
# kind when it is raised, so the digests read only the flags, never their deadlines.
AUDIENCE_BITS = {Audience.KEY_WORKER: 1, Audience.TEAM_MANAGERS: 2, Audience.ADMINISTRATORS: 4}


def audience_bits(tells) -> int:
    return sum(AUDIENCE_BITS[audience] for audience in tells)


DEFAULT_AUDIENCE_BITS = audience_bits(FAMILY_AUDIENCES)


def codes_by_audience_bits() -> dict[int, list[str]]:
    """The registered kinds' codes by the bits of their audience, leaving out those told as a kind
    no app registers is (DEFAULT_AUDIENCE_BITS)."""
    grouped: dict[int, list[str]] = {}
    for code, kind in sorted(_KINDS.items()):
        bits = audience_bits(kind.tells)
        if bits != DEFAULT_AUDIENCE_BITS:
            grouped.setdefault(bits, []).append(code)
    return grouped


def telling(audience: Audience) -> list[str]:
    """Codes of the registered kinds whose flags are told to ``audience`` (a kind no app registers
    tells only FAMILY_AUDIENCES)."""
    return sorted(code for code, kind in _KINDS.items() if audience in kind.tells)


def links_for(deadlines: Iterable) -> dict[int, str]:
    """URL of the page about each deadline's promise, by deadline id: one call per kind present."""
    by_kind: dict[str, list] = {}
    for deadline in deadlines:
        by_kind.setdefault(deadline.kind, []).append(deadline)
    links: dict[int, str] = {}
    for code, of_kind in by_kind.items():
        links.update(get(code).links(of_kind))
    return links
