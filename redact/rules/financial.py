"""Numbers that identify a person or an account: payment cards, IBANs, US SSNs, phone numbers."""

from __future__ import annotations

import re

import phonenumbers

from redact.rules.base import Rule

_NON_DIGIT = re.compile(r"\D")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(text: str) -> bool:
    digits = _NON_DIGIT.sub("", text)
    # issuer prefixes (Visa 4, Mastercard 51-55/22-27, Amex 34/37, Discover/UnionPay 6, Diners/JCB 30/35/36/38)
    # rule out epoch-millisecond timestamps and snowflake ids, which start with 1
    return 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_ok(digits)


def iban_ok(text: str) -> bool:
    s = text.replace(" ", "").upper()
    if not 15 <= len(s) <= 34:
        return False
    moved = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


# National formats with a trunk 0 are checked against these regions (any one valid is enough).
_TRUNK_REGIONS = ("DE", "GB", "FR", "IT", "ES", "NL", "AT", "CH", "BE", "AU", "JP", "SE", "PL")


def _phone(text: str) -> bool:
    try:
        if text.startswith("+"):  # an explicit country code: a possible length is enough
            return phonenumbers.is_possible_number(phonenumbers.parse(text, None))
        if text.startswith("0"):
            return any(phonenumbers.is_valid_number(phonenumbers.parse(text, r)) for r in _TRUNK_REGIONS)
        return phonenumbers.is_valid_number(phonenumbers.parse(text, "US"))
    except phonenumbers.NumberParseException:
        return False


RULES: tuple[Rule, ...] = (
    Rule(
        id="card",
        needs=r"\d{4}",
        token="[card]",
        why="payment card numbers, 13-19 digits in groups, Luhn-checked, issuer prefix checked",
        pattern=r"""
            (?<![\w.:-])
            (?:
                (?:\d{4}[ -]){2,4}\d{1,4}          # grouped: 4111 1111 1111 1111
              | \d{4}[ -]\d{6}[ -]\d{5}           # Amex grouping: 3782 822463 10005
              | \d{13,19}                        # compact
            )
            (?![\w:-]|\.\d)
        """,
        validate=_card,
        matches=("4111 1111 1111 1111", "4111-1111-1111-1111", "5555555555554444", "3782 822463 10005"),
        must_not_match=("1700000000000", "4111111111111112", "1234 5678 9012 3456", "0x4111111111111111"),
    ),
    Rule(
        id="iban",
        needs=r"[A-Z]{2}\d{2}",
        token="[iban]",
        why="IBANs, compact or in groups of four, mod-97 checked",
        pattern=r"""
            (?<![\w])[A-Z]{2}\d{2}
            (?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?
            (?![\w])
        """,
        validate=iban_ok,
        matches=("DE89370400440532013000", "GB82 WEST 1234 5698 7654 32", "FR1420041010050500013M02606"),
        must_not_match=("DE89370400440532013001", "AB12CDEFGHIJKLMNOP", "US12 3456"),
    ),
    Rule(
        id="ssn",
        needs=r"\d{3}[- ]\d\d[- ]\d{4}",
        token="[ssn]",
        why="US social security numbers, 3-2-4 with dashes or spaces (bare 9 digits are too ambiguous)",
        pattern=r"""
            (?<![\w-])(?!000|666|9\d\d)
            (?:\d{3}-(?!00)\d{2}-(?!0000)\d{4}      # 078-05-1120
              | \d{3}[ ](?!00)\d{2}[ ](?!0000)\d{4})  # 078 05 1120
            (?![\w-]|[ ]\d)
        """,
        matches=("123-45-6789", "SSN 078-05-1120"),
        must_not_match=("2024-01-15", "000-12-3456", "123-45-67890", "666-12-3456"),
    ),
    Rule(
        id="phone",
        needs=r"\+\d|\d{3}",
        token="[phone]",
        why="phone numbers: +country form, (NXX) form or NXX-NXX-XXXX; validated by libphonenumber",
        pattern=r"""
            (?<![\w.:/+-])
            (?:
                \+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}   # +44 20 7946 0958
              | \(\d{3}\)[ ]?\d{3}[ .-]\d{4}                                    # (415) 555-2671
              | \d{3}[.-]\d{3}[.-]\d{4}                                         # 415-555-2671
              | 0\d{2,4}[ /-]\d{3,4}[ -]?\d{3,5}                               # 030 12345678, 0176 23456789
            )
            (?![\w:/-]|\.\d)
        """,
        validate=_phone,
        matches=("+1 415 555 2671", "+44 20 7946 0958", "(415) 555-2671", "415-555-2671", "+4915112345678"),
        must_not_match=("1.4.2", "12:30:45", "2024-01-15", "line 1234", "0x7ffeefbff5c8",
                        "550e8400-e29b-41d4-a716-446655440000", "10.0.19045.2965", "123.456.7890.1"),
    ),
)
