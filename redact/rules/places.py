"""Where a person is: street addresses in the forms postal services print, and precise coordinates."""

from __future__ import annotations

import re

from redact.rules.base import Context, Rule

_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
_KEYED = re.compile(r"(?P<key>.*?)(?P<value>-?\d{1,3}\.\d{5,12})\Z", re.DOTALL)


def _keyed_coordinate(text: str, ctx: Context) -> str | None:
    """lat=48.858370: the key stays, the number goes when it is a latitude (|x| <= 90) or longitude (<= 180)."""
    m = _KEYED.match(text)
    if m is None:
        return None
    limit = 90 if m["key"].lower().lstrip("\"'").startswith("lat") else 180
    if abs(float(m["value"])) > limit or abs(float(m["value"])) < 1e-9:
        return None
    return m["key"] + ctx.hit("location.keyed")


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
            (?:(?<![\w.,:-])|(?<=geo:))
            -?\d{1,2}[.,]\d{4,10}[ ]?,[ ]?-?\d{1,3}[.,]\d{4,10}
            (?![\w.,:-]|[ ]?,[ ]?\d)
        """,
        validate=_coordinates,
        matches=("Coords:(59.9381204, 30.3156723)", "Location[fused 59,938120,30,315672 hAcc=58",
                 "Location[fused 31.776410,35.219873 hAcc=8.611", "48.858370, 2.294481", "geo:48.858370,2.294481"),
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
    Rule(
        id="location.keyed",
        needs=r"(?i:la|lo|ln)",
        token="[location]",
        why="a latitude or longitude under its own key, as JSON, query strings, logs and GPS dumps write them "
        "(\"latitude\": 59.9381204, lat=48.85837, Longitude: 2.294481), with five or more decimals: a device's "
        "fix, not a GeoIP city centre (GeoIP prints four or fewer)",
        pattern=r"""
            (?<![\w.-])(?i:lat|latitude|lon|lng|long|longitude)["']?[ \t]{0,3}[:=][ \t]{0,3}["']?
            -?\d{1,3}\.\d{5,12}(?![\d.])
        """,
        rewrite=_keyed_coordinate,
        matches=("GPS fix latitude: 59.9381204, longitude: 30.3156723", "lat=48.858370&lon=2.294481",
                 '"lat":48.858370,"lng":2.294481', "Latitude: 48.858370\nLongitude: 2.294481"),
        must_not_match=('"latitude": 37.751, "longitude": -97.822', "long: 1234567890123", "lat=0.0",
                        "latency: 12.345678", "longitude: 200.123456"),
    ),
    Rule(
        id="location.dms",
        needs=r"°",
        token="[location]",
        why="coordinates in degrees, minutes and seconds as maps and EXIF dumps print them "
        "(48°51'30.1\"N 2°17'40.1\"E)",
        pattern=r"""
            (?<![\w.])\d{1,2}°[ ]?\d{1,2}['′][ ]?\d{1,2}(?:\.\d{1,4})?["″]?[ ]?[NS][ ,]{0,2}
            \d{1,3}°[ ]?\d{1,2}['′][ ]?\d{1,2}(?:\.\d{1,4})?["″]?[ ]?[EW](?!\w)
        """,
        matches=("48°51'30.1\"N 2°17'40.1\"E", "59°56′17″N 30°18′56″E"),
        must_not_match=("rotate 90° clockwise", "45°C at 12'30\""),
    ),
    Rule(
        id="location.street",
        needs=r"(?i:ул|вул|ul\.|al\.|cad|sok|mah|sk\.|cd\.|p\.?o\.? box)|[区市町村路街道号로길]",
        token="[location]",
        why="street addresses in the forms of other postal systems: Russian and Ukrainian (ул. Баумана, д. 44, кв. "
        "17), Polish (ul. Marszałkowska 84/92), Turkish (Atatürk Cad. No: 12), Japanese and Chinese (渋谷区神南1-2-3, "
        "建国路88号), Korean road addresses (강남구 테헤란로 152), and PO boxes",
        pattern=r"""
            (?:
                (?<![\w.])(?:ул|вул|пр|просп|пер|наб|бул|пл|ш)\.[ ]?[А-ЯЁІЇЄ][\w.-]{1,40}(?:[ ][\w.-]{1,40}){0,2}
                (?:,?[ ](?:д|буд|дом|корп|к|стр|кв)\.?[ ]?\d{1,4}[\w/-]{0,4}){1,4}
              | (?<![\w.])(?:улица|проспект|переулок|шоссе|бульвар|площадь|вулиця|проспект)[ ][А-ЯЁІЇЄ][\w.-]{1,40}
                (?:,?[ ](?:д|буд|дом|корп|к|стр|кв)\.?[ ]?\d{1,4}[\w/-]{0,4}){1,4}
              | (?<![\w.])(?:ul|al|os|pl)\.[ ]?[A-ZŁŚŻŹĆÓ][\w-]{2,40}(?:[ ][A-ZŁŚŻŹĆÓ][\w-]{1,40}){0,3}
                [ ]\d{1,4}[a-zA-Z]?(?:/\d{1,4})?(?![\w.])
              | (?<![\w.])[A-ZÇĞİÖŞÜ][\wçğıöşü]{2,30}(?:[ ][A-ZÇĞİÖŞÜ][\wçğıöşü]{1,30}){0,2}[ ]
                (?:Cad(?:desi)?|Cd|Sok(?:ak|ağı)?|Sk|Mah(?:allesi)?|Mh|Bulvarı|Blv)\.?,?[ ]No[:.]?[ ]?\d{1,4}
                (?:/\d{1,4})?
              | (?<=[都道府県市])[\u4e00-\u9fff]{1,6}[区市町村郡][\u4e00-\u9fff]{1,8}\d{1,4}(?:[-−－]\d{1,4}){1,3}
              | (?<=[区市])[\u4e00-\u9fff]{1,10}(?:路|街|大道|巷|弄)\d{1,5}号
              | (?<=[구군시][ ])[가-힣0-9]{1,12}(?:로|길|대로)[ ]\d{1,5}(?:-\d{1,4})?(?![\d.])
              | (?<![\w.])(?i:P\.?[ ]?O\.?[ ]Box)[ ]\d{1,6}(?!\d)
            )
        """,
        matches=("ул. Баумана, д. 44, кв. 17", "улица Ленина, дом 5", "ul. Marszałkowska 84/92",
                 "Atatürk Cad. No: 12", "東京都渋谷区神南1-2-3", "北京市朝阳区建国路88号",
                 "서울특별시 강남구 테헤란로 152",
                 "PO Box 1234"),
        must_not_match=("ul. 5", "see al. 2020", "Sk. 5", "区 1-2", "路88号", "로 152", "PO 1234"),
    ),
)
