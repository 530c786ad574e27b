"""Writing CSV files that people open in a spreadsheet."""


def safe_cell(value):
    """Text a spreadsheet would run as a formula (a leading =, +, -, @, tab or carriage return) is
    prefixed with an apostrophe: names and notes in exports are typed in by people, and a formula
    in one would run on the reader's machine."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
