"""Cues that a person's name follows (or must not be taken for one): greetings, sign-offs, titles, headers."""

from __future__ import annotations

import re

# Cues: what comes right before a name. Plain word sets looked up on the words before a candidate (a regex
# searched backwards from every candidate cost 50 us each; these lookups cost about 2 us).
GREETINGS = frozenset("hi hello hey dear hallo hola bonjour salut ciao olá hej moin привет здравствуйте".split())
# Greetings of more than one word, and single words that greet a person by name in apps ("Welcome back, Amara!").
GREETING_PHRASES = ("welcome back", "welcome", "good morning", "good afternoon", "good evening", "happy birthday",
                    "congratulations", "congrats", "buenos días", "guten tag", "bom dia", "bonsoir")
INTRODUCTIONS = ("i'm", "i’m", "i am", "my name is", "je suis", "ich bin", "me llamo", "меня зовут")
SIGNOFFS = ("thanks", "thank you", "thx", "cheers", "regards", "best wishes", "sincerely", "merci", "danke",
            "gracias", "obrigado", "grazie", "спасибо", "с уважением")                 # the name ends its line
# Sign-offs that are also everyday words ("works best"): the name after them must be a known one.
WEAK_SIGNOFFS = ("best", "all the best", "br", "mvh", "cordialement", "saludos", "un saludo", "atentamente",
                 "atenciosamente", "abraços", "grüße", "gruß", "pozdrawiam", "groetjes", "groet", "hälsningar",
                 "saluti", "ciao", "talk soon", "take care", "warmly", "yours")
TITLES = frozenset("Dr Mr Mrs Ms Mx Prof Herr Frau Mme Mlle Sr Sra".split())
HEADERS = frozenset("""Author Commit Committer Signed-off-by Co-authored-by Reviewed-by Reported-by Tested-by
    Acked-by Suggested-by Helped-by From Cc""".split())                                   # git and mail headers
ROLES = frozenset("""assigned to|reported by|reviewed by|approved by|created by|submitted by|requested by|opened by
    |closed by|authored by|written by|modified by|updated by|uploaded by|shared by|sent by|invited by|owned by
    |edited by|commented by|merged by|posted by|added by|deleted by|removed by|triggered by|started by|initiated by
    |pushed by|committed by|signed by|answered by|resolved by|fixed by|by user|thanks to|credit to|shout out to
    |assignee|reporter|owner|contact""".replace("\n    ", "").split("|"))               # need a known name
KEYS = frozenset("""author maintainer committer assignee reporter full_name fullname display_name displayname
    first_name firstname last_name lastname nick_name nickname contact_name author_name""".split())  # "author": "
# What must follow a cued name.
AFTER_CUE = {
    "greeting": re.compile(r"[ \t]*(?:[,!.:;\n]|\Z)"),
    "signoff": re.compile(r"[ \t]*(?:\r?\n|\Z)"),
    "weak signoff": re.compile(r"[ \t]*(?:\r?\n|\Z)"),
    # "Thanks Mehmet for the quick fix", "Thank you Ana!": a known name thanked inside a line
    "thanks": re.compile(r"[ \t]*(?:[,!]|[ \t]for\b)"),
    "header": re.compile(r"[ \t]*(?:<|\(|\r?\n|\Z)"),
    "name": re.compile(r"[\"']"),
}

# A person's device: "Renée Duval's iPhone" (a device named after its owner).
DEVICE = re.compile(
    r"(?i)\A(?P<n>.{1,40}?)['’]s[ \-](?:iPhone|iPad|MacBook(?:[ -](?:Pro|Air))?|iMac|Mac(?:[ -](?:mini|Studio|Pro))?"
    r"|Computer|PC|Laptop|Phone|Galaxy\b.*|Pixel\b.*|Watch|Apple Watch|AirPods|Chromebook|Surface\b.*)\Z"
)


# The name an OS gives a device in its owner's language: "iPad von Lukas Brenner", "iPhone de María".
DEVICE_OF = re.compile(
    r"(?i)\A(?:iPhone|iPad|iPod(?:[ ]touch)?|MacBook(?:[ ](?:Pro|Air))?|iMac|Mac(?:[ ](?:mini|Studio|Pro))?"
    r"|Apple[ ]Watch|Galaxy(?:[ ]\w+)?|Pixel(?:[ ]\w+)?)[ ](?:von|de|di|van|da|do|du|till|från|av)[ ](?P<n>\S.{0,39})\Z"
)
# A device's make and model, nothing its owner chose: "iPhone", "iPhone 12 Pro", "Samsung Galaxy S22 Ultra",
# "Pixel 7a", "SM-G965W". Every word a brand, a product line, a model suffix or a model number.
_DEVICE_WORDS = frozenset("""apple samsung google oneplus xiaomi redmi poco huawei honor oppo vivo realme motorola moto
    nokia sony lg asus lenovo microsoft amazon nothing fairphone zte tcl meizu iphone ipad ipod touch macbook imac mac
    watch airpods galaxy pixel xperia surface fire kindle nord note tab fold flip edge zenfone rog phone pro max plus
    ultra mini air lite se fe neo prime go xl 5g 4g lte wifi wi-fi cellular generation gen""".split())
_MODEL_NUMBER = re.compile(r"[A-Za-z]{0,3}\d{1,4}[A-Za-z]{0,3}|\(\d+(?:\.\d+)?-inch\)|[A-Z]{2,4}-[A-Z0-9]{3,8}"
                           r"|\(\d(?:st|nd|rd|th)|\w+\d+,\d+")
_PRODUCT_LINES = frozenset("iphone ipad ipod macbook imac mac watch galaxy pixel xperia surface fire kindle".split())


def device_owner(value: str) -> tuple[int, int] | None:
    """Where the owner's name stands in a device named after them ("Kim's iPhone", "iPad von Lukas"), or None."""
    m = DEVICE.match(value) or DEVICE_OF.match(value)
    return m.span("n") if m else None


def device_model(value: str) -> bool:
    """A device name that is only its make and model ("iPhone 12 Pro", "Samsung Galaxy 10", "Pixel 7")."""
    words = value.replace("(", " (").split()
    if not 1 <= len(words) <= 6:
        return False
    lower = [w.lower().strip("()") for w in words]
    return any(w in _PRODUCT_LINES or w.startswith("iphone") or w.startswith("ipad") for w in lower) and all(
        w in _DEVICE_WORDS or _MODEL_NUMBER.fullmatch(words[i]) for i, w in enumerate(lower))


def _last_word(s: str) -> str:
    i = len(s)
    while i and (s[i - 1].isalnum() or s[i - 1] in "-_"):
        i -= 1
    return s[i:]


def cue_before(text: str, start: int) -> str | None:
    """The kind of cue that ends right before `start` (greeting, signoff, title, header, role, key, name)."""
    before = text[max(0, start - 48) : start]
    b = before.rstrip(" \t")
    if not b:
        return None
    last = b[-1]
    if last in "\"'":
        b = b[:-1].rstrip(" \t")
        if not b.endswith((":", "=")):
            return None
        key = _last_word(b[:-1].rstrip(" \t\"'")).lower()
        return "key" if key in KEYS else "name" if key == "name" else None
    if last in ":=":
        head = b[:-1].rstrip(" \t\"'")
        key = _last_word(head)
        if key.lower() in KEYS:
            return "key"
        if key.lower() in ROLES:
            return "role"
        line = head[: len(head) - len(key)]
        if last == ":" and key in HEADERS and (not line.strip(" \t") or line.rstrip(" \t").endswith("\n")):
            return "header"
        return None
    s = b.rstrip(",.!-—–~ \t")
    if s.endswith("\n"):
        s = s.rstrip("\r\n").rstrip(",.!-—–~ \t")
        if _ends_with_phrase(s, SIGNOFFS):
            return "signoff"
        return "weak signoff" if _ends_with_phrase(s, WEAK_SIGNOFFS) else None
    if _ends_with_phrase(s, SIGNOFFS):
        return "signoff"
    if _ends_with_phrase(s, INTRODUCTIONS):
        return "intro"
    if _ends_with_phrase(s, GREETING_PHRASES):
        return "greeting"
    word = _last_word(s)
    if word.lower() in GREETINGS:
        return "greeting"
    if word in TITLES and (b.endswith(word) or b.endswith(word + ".")):
        return "title"
    if word.lower() in ROLES:
        return "role"
    prev = _last_word(s[: len(s) - len(word)].rstrip(" \t"))
    return "role" if f"{prev} {word}".lower() in ROLES else None


def _ends_with_phrase(s: str, phrases: tuple[str, ...]) -> bool:
    tail = s[-16:].lower()
    for phrase in phrases:
        if tail.endswith(phrase) and (len(tail) == len(phrase) or not tail[-len(phrase) - 1].isalnum()):
            return True
    return False



def credit(text: str, start: int) -> bool:
    """A copyright notice right before: "(C) ", "© ", "Copyright 2004 "."""
    before = text[max(0, start - 24) : start].rstrip(" \t0123456789-,").lower()
    return before.endswith(("(c)", "©", "copyright"))
