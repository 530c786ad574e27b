"""What a person typed is on the page again after a refused save."""

import re
from datetime import datetime


def shown_as_typed(page: str, value: str) -> bool:
    """``value`` as posted is on ``page``: as it was typed, or, for a date or moment posted in one ISO
    value (as tests post them), in the day, month, year (and time) boxes the form draws."""
    if value in page:
        return True
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return False
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?", value):
        return False
    parts = [str(moment.day), str(moment.month), str(moment.year)]
    if "T" in value:
        parts.append(moment.strftime("%H:%M"))
    return all(f'value="{part}"' in page for part in parts)
