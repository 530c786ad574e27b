"""When a record may go under its retention rule, and the rule in words: plain functions of dates
that read nothing from the database."""

from datetime import date, datetime, timedelta

from django.utils import timezone

from data_protection.models import RetentionRule

StartsFrom = RetentionRule.StartsFrom

_BIRTHDAY_YEARS = {StartsFrom.EIGHTEENTH_BIRTHDAY: 18, StartsFrom.TWENTY_FIFTH_BIRTHDAY: 25}


def later_by(day: date, *, years: int = 0, months: int = 0) -> date:
    """``day`` moved on by ``years`` and ``months``. When the month reached has no such day (29
    February in a common year, 31 April), the period ends on the first day of the next month: the
    later of the two readings, so a record is never let go a day early, and the one Scots law gives
    for a birthday on 29 February (Age of Legal Capacity (Scotland) Act 1991, s.6(2))."""
    month_index = day.month - 1 + months
    year, month = day.year + years + month_index // 12, month_index % 12 + 1
    try:
        return date(year, month, day.day)
    except ValueError:
        # December has 31 days, so the month that lacks the day is never December.
        return date(year, month + 1, 1)


def _as_date(value):
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _end(years, months, starts_from, *, last_contact, closed_on, birth_dates, own_date) -> date | None:
    """The day ``years`` and ``months`` after ``starts_from``, or None when that date is unknown."""
    if starts_from in _BIRTHDAY_YEARS:
        # Counted from the date of birth itself, so a child born on 29 February is 28 on 29 February.
        # Unknown if there is no date of birth, or if any is missing (that child may be the youngest).
        birth_dates = list(birth_dates)
        if not birth_dates or any(born is None for born in birth_dates):
            return None
        return max(later_by(_as_date(born), years=_BIRTHDAY_YEARS[starts_from] + years, months=months)
                   for born in birth_dates)
    start = _as_date({
        StartsFrom.LAST_CONTACT: last_contact,
        StartsFrom.CLOSURE: closed_on,
        StartsFrom.OWN_DATE: own_date,
    }[starts_from])
    return later_by(start, years=years, months=months) if start is not None else None


def keep_until(rule, *, last_contact=None, closed_on=None, birth_dates=(), own_date=None) -> date | None:
    """The day from which a record under ``rule`` may go, or None while a date it counts from is
    unknown (no date of birth, a family not yet closed): such a record is kept.

    ``birth_dates`` are the children's (for a family, every child's: the youngest decides); dates
    may be given as aware datetimes, which count by their day in UK time."""
    dates = {"last_contact": last_contact, "closed_on": closed_on, "birth_dates": birth_dates, "own_date": own_date}
    periods = [(rule.years, rule.months, rule.starts_from)]
    if rule.or_starts_from:
        periods.append((rule.or_years, rule.or_months, rule.or_starts_from))
    ends = [_end(years, months, starts_from, **dates) for years, months, starts_from in periods]
    return None if None in ends else max(ends)


def counts_from_own_date(rule) -> bool:
    """Whether every period of ``rule`` counts from the record's own date (as the audit entries'
    rule must: an entry belongs to no family or child)."""
    return rule.starts_from == StartsFrom.OWN_DATE and rule.or_starts_from in ("", StartsFrom.OWN_DATE)


def earliest_kept(rule, today: date) -> date:
    """The first day whose records ``rule`` still keeps on ``today``, for a rule counted from the
    records' own date: records from before that day may go (``keep_until`` has come for them), those
    from it on are kept."""
    if not counts_from_own_date(rule):
        raise ValueError(f"{rule} does not count from the records' own date.")
    longest = max((rule.years * 12 + rule.months, rule.or_years * 12 + rule.or_months))
    # later_by moves a day on by whole months, sending a day the month reached lacks to the first of
    # the next: so the answer is within a few days of ``today`` moved back by the longest period.
    day = later_by(today, months=-longest)
    while keep_until(rule, own_date=day) <= today:
        day += timedelta(days=1)
    while keep_until(rule, own_date=day - timedelta(days=1)) > today:
        day -= timedelta(days=1)
    return day


# ------------------------------------------------------------------ in words

_STARTS_IN_WORDS = {
    StartsFrom.LAST_CONTACT: "the family's last contact",
    StartsFrom.CLOSURE: "the family's closure",
    StartsFrom.EIGHTEENTH_BIRTHDAY: "the youngest child's 18th birthday",
    StartsFrom.TWENTY_FIFTH_BIRTHDAY: "the youngest child's 25th birthday",
    StartsFrom.OWN_DATE: "the record's own date",
}


def _counted(number: int, unit: str) -> str:
    return f"{number} {unit}{'' if number == 1 else 's'}"


def period_in_words(years: int, months: int, starts_from) -> str:
    """"6 years after the family's last contact"; "until the youngest child's 25th birthday"."""
    parts = [_counted(number, unit) for number, unit in ((years, "year"), (months, "month")) if number]
    start = _STARTS_IN_WORDS.get(starts_from, "a date not set")
    return f"{' and '.join(parts)} after {start}" if parts else f"until {start}"


def rule_in_words(rule) -> str:
    """The whole rule as a sentence's start, as the pages show it: "6 years after the family's last
    contact, or until the youngest child's 25th birthday, whichever is later"."""
    first = period_in_words(rule.years, rule.months, rule.starts_from)
    if not rule.or_starts_from:
        return first[:1].upper() + first[1:]
    second = period_in_words(rule.or_years, rule.or_months, rule.or_starts_from)
    words = f"{first}, or {second}, whichever is later"
    return words[:1].upper() + words[1:]
