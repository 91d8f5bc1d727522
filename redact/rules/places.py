"""Where a person is: street addresses in the forms postal services print, and precise coordinates."""

from __future__ import annotations

import re

from redact.rules.base import Rule

_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


def _coordinates(text: str) -> bool:
    """Latitude in [-90, 90], longitude in [-180, 180], not both below 1 (ratios and probabilities are)."""
    parts = _NUMBER.findall(text)
    if len(parts) != 2:
        return False
    lat, lng = (float(p.replace(",", ".")) for p in parts)
    return abs(lat) <= 90 and abs(lng) <= 180 and (abs(lat) >= 1 or abs(lng) >= 1)


# Street types as addresses write them (English, then the number-last forms of German, Dutch and Nordic streets).
_STREET_TYPE = (
    r"(?i:street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|way|court|ct|place|pl|terrace|close|crescent"
    r"|highway|hwy|parkway|pkwy|square|sq|circle|cir|trail|row|mews|grove|gardens)"
)
_GLUED_TYPE = (
    r"(?:straße|strasse|str\.|weg|gasse|platz|allee|damm|ufer|laan|straat|gracht|plein|vej|gade|gatan|vägen|veien)"
)
_ROMANCE_TYPE = (
    r"(?:Rue|rue|Avenue|avenue|Boulevard|boulevard|Calle|calle|Avenida|avenida|Via|via|Viale|Piazza|Plaza|Rua|rua"
    r"|Carrer|Paseo|Chemin|chemin|Impasse|Quai|quai|Allée|allée)"
)
_CAP = r"[A-ZÀ-Ý][\w'’.-]*"

RULES: tuple[Rule, ...] = (
    Rule(
        id="location.coordinates",
        needs=r"\d[.,]\d{4}",
        token="[location]",
        why="precise coordinates (a latitude, longitude pair with four or more decimals, also with decimal commas as "
        "Android prints them in some locales); GeoIP city and country are no location and stay",
        pattern=r"""
            (?<![\w.,:-])
            -?\d{1,2}[.,]\d{4,10}[ ]?,[ ]?-?\d{1,3}[.,]\d{4,10}
            (?![\w.,:-]|[ ]?,[ ]?\d)
        """,
        validate=_coordinates,
        matches=("Coords:(59.9381204, 30.3156723)", "Location[fused 59,938120,30,315672 hAcc=58",
                 "Location[fused 31.776410,35.219873 hAcc=8.611", "48.858370, 2.294481"),
        must_not_match=("loss 0.69314, 0.12345", "1.2.3.4", "version 3.1415, build 2", "12.5, 3.2",
                        "at 95.123456, 200.123456"),
    ),
    Rule(
        id="location.address",
        needs=r"\d",
        token="[location]",
        why="street addresses: a house number, capitalised street words and a street type (41237 Juniper Street, "
        "1208 QUIET MEADOW LN, Flat 3, 22 Wellington Road), the glued types of German, Dutch and Nordic streets "
        "with the number after (Hauptstraße 12, Kerkstraat 14-2), and Romance forms (Calle de Alcalá 48, "
        "12 rue de la Paix); a city, state and ZIP or a UK postcode after it go with it",
        pattern=rf"""
            (?<![\w.:/#-])
            (?:
                \d{{1,6}}[A-Za-z]?[ ]+(?:{_CAP}[ ]+){{1,4}}{_STREET_TYPE}\.?(?![\w-])        # 41237 Juniper Street
              | [A-ZÄÖÜÅÆØ][\wäöüßåæø-]{{2,40}}{_GLUED_TYPE}[ ]+\d{{1,4}}[a-z]?(?:-\d{{1,4}})?(?![\w.-])  # Weg 14
              | {_ROMANCE_TYPE}[ ]+(?:(?:de|del|la|las|los|des|du|di|della|do|da|dos|l')[ ]?)*{_CAP}
                (?:[ ]+{_CAP}){{0,3}},?[ ]+\d{{1,4}}(?![\w.-])                               # Calle de Alcalá 48
              | \d{{1,4}}(?:[ ]?(?:bis|ter))?,?[ ]+{_ROMANCE_TYPE}[ ]+(?:(?:de|du|des|la|le|l')[ ]?)*{_CAP}
                (?:[ ]+{_CAP}){{0,3}}                                                        # 12 rue de la Paix
            )
            (?:,[ ]?(?:{_CAP}[ ]?){{1,3}},[ ]?[A-Z]{{2}}(?:[ ]\d{{5}}(?:-\d{{4}})?)?(?![\w-])    # , Murrieta, CA 92562
              | ,?[ ]?(?:{_CAP}[ ]?){{0,2}}[ ]?[A-Z]{{1,2}}\d[A-Z\d]?[ ]\d[A-Z]{{2}}(?![\w-])      # Brighton BN2 3AB
              | ,[ ]?\d{{5}}[ ]{_CAP}(?:[ ]{_CAP})?(?![\w-])                                   # , 10115 Berlin
            )?
        """,
        matches=("Error - in geocoding address 41237 Juniper Street, Murrieta, CA 92562.", "1208 QUIET MEADOW LN is",
                 "Flat 3, 22 Wellington Road, Brighton BN2 3AB", "Hauptstraße 12, 10115 Berlin",
                 "Huur juni Kerkstraat 14-2 A. de Wit", "Calle de Alcalá 48, 3º B", "12 rue de la Paix, Paris",
                 "geocode '1184 Pine Street, San Luis Obispo, CA' and"),
        must_not_match=("line 42 in main", "at 3 Drive", "Version 2 Way", "server 10 Ct", "http/1.1 200 OK",
                        "Main Street", "Street 2"),
    ),
)
