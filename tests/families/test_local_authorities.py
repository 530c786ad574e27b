"""Local authority reference data (migration 0002_local_authorities) and postcode → authority lookup."""

import pytest
from django.core.exceptions import ValidationError

from families.models import AuthorityDistrict, LocalAuthority, Nation
from families.postcodes import district_code_for_postcode, local_authority_for_postcode, normalise_postcode

# --- Reference data loaded by the migration -----------------------------------------------------------


@pytest.mark.django_db
def test_england_loaded():
    birmingham = LocalAuthority.objects.get(code="E08000025")
    assert birmingham.name == "Birmingham"
    assert birmingham.nation == Nation.ENGLAND
    assert birmingham.is_current
    assert AuthorityDistrict.objects.get(code="E08000025").authority == birmingham
    # Two-tier area: a district points at its county.
    assert AuthorityDistrict.objects.get(code="E07000008").authority.name == "Cambridgeshire"


@pytest.mark.django_db
def test_counts_per_nation():
    def count(nation):
        return LocalAuthority.objects.filter(nation=nation).count()

    # 152 upper-tier authorities in the 2021 lookup, plus the four unitaries created in April 2023.
    assert count(Nation.ENGLAND) == 156
    assert LocalAuthority.objects.filter(nation=Nation.ENGLAND, is_current=True).count() == 153
    assert count(Nation.WALES) == 22
    assert count(Nation.SCOTLAND) == 32
    assert count(Nation.NORTHERN_IRELAND) == 5


@pytest.mark.django_db
def test_wales_loaded():
    cardiff = LocalAuthority.objects.get(code="W06000015")
    assert (cardiff.name, cardiff.nation, cardiff.is_current) == ("Cardiff", Nation.WALES, True)


@pytest.mark.django_db
def test_scottish_councils_are_their_own_districts():
    councils = LocalAuthority.objects.filter(nation=Nation.SCOTLAND)
    assert councils.count() == 32
    assert set(councils.values_list("code", flat=True)) == set(
        AuthorityDistrict.objects.filter(code__startswith="S12").values_list("authority__code", flat=True)
    )
    assert LocalAuthority.objects.get(code="S12000036").name == "City of Edinburgh"
    assert LocalAuthority.objects.get(code="S12000049").name == "Glasgow City"
    assert LocalAuthority.objects.get(code="S12000013").name == "Na h-Eileanan Siar"


@pytest.mark.django_db
def test_northern_ireland_trusts():
    trusts = LocalAuthority.objects.filter(nation=Nation.NORTHERN_IRELAND)
    assert set(trusts.values_list("code", flat=True)) == {
        "NI-HSCT-BELFAST",
        "NI-HSCT-NORTHERN",
        "NI-HSCT-SOUTHEASTERN",
        "NI-HSCT-SOUTHERN",
        "NI-HSCT-WESTERN",
    }
    ni_districts = AuthorityDistrict.objects.filter(code__startswith="N09")
    assert ni_districts.count() == 11
    assert AuthorityDistrict.objects.get(code="N09000003").authority.code == "NI-HSCT-BELFAST"
    assert AuthorityDistrict.objects.get(code="N09000010").authority.code == "NI-HSCT-SOUTHERN"
    # Every trust serves at least one district.
    assert set(ni_districts.values_list("authority__code", flat=True)) == set(trusts.values_list("code", flat=True))


@pytest.mark.django_db
def test_april_2023_reorganisations():
    assert not LocalAuthority.objects.get(code="E10000006").is_current  # Cumbria
    assert not LocalAuthority.objects.get(code="E10000023").is_current  # North Yorkshire county
    assert not LocalAuthority.objects.get(code="E10000027").is_current  # Somerset county
    for code, name in [
        ("E06000063", "Cumberland"),
        ("E06000064", "Westmorland and Furness"),
        ("E06000065", "North Yorkshire"),
        ("E06000066", "Somerset"),
    ]:
        authority = LocalAuthority.objects.get(code=code)
        assert (authority.name, authority.nation, authority.is_current) == (name, Nation.ENGLAND, True)
        assert AuthorityDistrict.objects.get(code=code).authority == authority

    assert AuthorityDistrict.objects.get(code="E07000028").authority.name == "Cumberland"  # Carlisle
    assert AuthorityDistrict.objects.get(code="E07000031").authority.name == "Westmorland and Furness"  # S Lakeland
    assert AuthorityDistrict.objects.get(code="E07000165").authority.code == "E06000065"  # Harrogate
    assert AuthorityDistrict.objects.get(code="E07000246").authority.code == "E06000066"  # Somerset West & Taunton
    # Nothing is left pointing at the abolished counties.
    assert not AuthorityDistrict.objects.filter(authority__is_current=False).exists()


@pytest.mark.django_db
def test_every_district_in_the_postcode_directory_is_known():
    """Barnsley and Sheffield's recoded districts too; only the Channel Islands and Isle of Man
    (L99999999, M99999999) have no authority."""
    for code in ["E08000038", "E08000039", "E06000063", "S12000050", "N09000011", "W06000024"]:
        assert AuthorityDistrict.objects.filter(code=code).exists(), code
    assert AuthorityDistrict.objects.get(code="E08000038").authority.name == "Barnsley"
    assert AuthorityDistrict.objects.get(code="E08000039").authority.name == "Sheffield"


# --- normalise_postcode ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SW1A 1AA", "SW1A 1AA"),
        ("sw1a1aa", "SW1A 1AA"),
        ("sw1a 1aa", "SW1A 1AA"),
        ("  SW1A   1AA  ", "SW1A 1AA"),
        ("b11aa", "B1 1AA"),
        ("B1  1AA", "B1 1AA"),
        ("m601nw", "M60 1NW"),
        ("cr2 6xh", "CR2 6XH"),
        ("dn551pt", "DN55 1PT"),
        ("w1a 0ax", "W1A 0AX"),
        ("ec1a 1bb", "EC1A 1BB"),
        ("eh1 1yz", "EH1 1YZ"),
        ("bt1\t1aa", "BT1 1AA"),
        ("gir0aa", "GIR 0AA"),
    ],
)
def test_normalise_postcode(text, expected):
    assert normalise_postcode(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "12345",
        "SW1A",
        "SW1A 1A",
        "SW1A 1AAA",
        "1AA 1AA",
        "SW1A-1AA",
        "<b>SW1A 1AA</b>",
        "SW1A 1AA<script>alert(1)</script>",
        "SW1A 1AA\x00",
        "ſw1a 1aa",  # a non-ASCII letter that upper-cases to "S"
        None,
    ],
)
def test_normalise_postcode_rejects(text):
    with pytest.raises(ValidationError) as raised:
        normalise_postcode(text)
    assert raised.value.messages == ["Enter a full UK postcode, for example SW1A 1AA."]


# --- Lookups against the postcode directory --------------------------------------------------------------


@pytest.mark.parametrize(
    ("postcode", "district"),
    [
        ("B1 1AA", "E08000025"),
        ("SW1A 1AA", "E09000033"),
        ("EH1 1YZ", "S12000036"),
        ("BT1 1AA", "N09000003"),
        ("CA1 1AA", "E06000063"),
        ("CF10 1AA", "W06000015"),
    ],
)
def test_district_code_for_postcode(postcode, district):
    assert district_code_for_postcode(postcode) == district


def test_district_code_for_unknown_or_terminated_postcode():
    assert district_code_for_postcode("ZZ1 1ZZ") is None  # well formed, no such postcode
    assert district_code_for_postcode("XX1 1XX") is None  # no data file for the letter
    assert district_code_for_postcode("BT1 1AH") is None  # terminated: no district in the directory
    assert district_code_for_postcode("not a postcode") is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("postcode", "authority"),
    [
        ("B1 1AA", "Birmingham"),
        ("EH1 1YZ", "City of Edinburgh"),
        ("BT1 1AA", "Belfast Health and Social Care Trust"),
        ("BT35 6AA", "Southern Health and Social Care Trust"),  # Newry
        ("CA1 1AA", "Cumberland"),  # Carlisle
        ("LA9 4DL", "Westmorland and Furness"),  # Kendal
        ("HG1 1AA", "North Yorkshire"),  # Harrogate
        ("TA1 1AA", "Somerset"),  # Taunton
        ("S1 2HH", "Sheffield"),
        ("S70 2TA", "Barnsley"),
        ("CF10 1AA", "Cardiff"),
    ],
)
def test_local_authority_for_postcode(postcode, authority, django_assert_num_queries):
    with django_assert_num_queries(1):
        found = local_authority_for_postcode(postcode)
    assert found.name == authority
    assert found.is_current


@pytest.mark.django_db
def test_local_authority_for_unknown_postcode(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert local_authority_for_postcode("ZZ1 1ZZ") is None
    # Jersey is in the directory but has no children's services authority of ours.
    assert district_code_for_postcode("JE1 0BD") == "L99999999"
    assert local_authority_for_postcode("JE1 0BD") is None
