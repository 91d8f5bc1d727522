"""Regenerate redact/data/names.txt (Faker's person providers, MIT) and english.txt.gz (SCOWL, permissive).

    python redact/data/generate_names.py      # needs the `namegen` extra and Debian's wamerican package

Run once by hand when the list should change (Faker is a dev dependency, extra `namegen`); the output file is
committed and read at run time, nothing is downloaded. Every locale's first, middle and last names go in; names
that are also common English or technical words go to the `[common]` section instead, so that "Will", "May",
"Grant" or "Ruby" alone are never taken for a person without a cue (a greeting, a title, a sign-off).
english.txt.gz holds the lower-case words of SCOWL's American English list (/usr/share/dict/american-english,
see LICENSE-scowl.txt): a capitalised word after a known given name is taken for a surname only when it is no
English word ("Marcus Whitfield" yes, "Grant Access" no).
"""

from __future__ import annotations

import gzip
import importlib
import pkgutil
import sys
import unicodedata
import warnings
from pathlib import Path
from types import ModuleType

OUT = Path(__file__).with_name("names.txt")
ENGLISH_OUT = Path(__file__).with_name("english.txt.gz")
ENGLISH_SOURCE = Path("/usr/share/dict/american-english")
FIRST_ATTRS = ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary",
               "first_romanized_names", "first_names_male_romanized", "first_names_female_romanized")
LAST_ATTRS = ("last_names", "last_names_male", "last_names_female", "last_romanized_names", "middle_names",
              "middle_names_male", "middle_names_female")

# Words that are names somewhere but mostly mean something else in crash text and telemetry: calendar words,
# products, languages, tools, places and UI words. Added to Faker's English lorem word list (MIT) below.
EXTRA_COMMON = """
monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
september october november december today tomorrow morning evening night
apache google microsoft amazon apple oracle mozilla firefox chrome chromium safari edge opera brave vivaldi windows
linux ubuntu debian fedora centos alpine arch gentoo mint manjaro android java python ruby rust julia swift kotlin
scala go node react angular vue django flask rails spring maven gradle jenkins docker kubernetes helm redis kafka
spark hadoop ivy ant jetty tomcat netty jackson hibernate lombok guava mockito sentry slack teams zoom excel word
outlook visual studio code xcode electron gecko webkit blink mono unity unreal godot steam proton wine git github
gitlab gitea bitbucket azure cloud lambda perl dart flutter elixir erlang phoenix crystal nim zig haskell ada
pascal delphi basic cobol fortran lisp clojure groovy grails laravel symfony drupal joomla magento shopify stripe
twilio heroku vercel netlify nginx caddy traefik envoy istio consul vault nomad terraform packer ansible chef
puppet salt jupyter pandas numpy torch keras hugo jekyll gatsby next nuxt remix svelte ember backbone knockout
lit ionic cordova capacitor expo hermes metro babel webpack rollup vite parcel jest mocha chai jasmine karma
cypress selenium puppeteer storybook prettier grafana prometheus kibana elastic loki tempo jaeger zipkin celery
sidekiq mongo postgres mariadb cassandra neo dynamo aurora athena glue kinesis firebase bugsnag rollbar datadog
splunk honeycomb mercurial homebrew chocolatey scoop snap flatpak victoria apollo atlas luna nova orion titan
zeus mars venus jupiter mercury saturn neptune pluto gemini claude copilot cursor ollama mistral llama
paris london berlin sydney florence austin dallas houston lincoln washington madison georgia virginia carolina
dakota chelsea adelaide regina charlotte savannah orlando santiago sofia lima victoria jordan israel india china
china japan brazil chad niger mali cuba peru porto lisbon denver phoenix vegas boston orleans aurora
admin administrator user guest root system service default public private server client worker master main
debug info warning warn error fatal trace notice alert critical unknown none null true false test tests demo
sample example hello world welcome thanks thank regards best team everyone all there folks guys sir madam
dear friend friends family home office new old open close save send cancel delete edit view help settings
search submit login logout sign start stop run build deploy release version update upgrade install setup
aborted abort killed terminated segmentation fault done finished failed failure error errors exception warning
warnings success succeeded ok passed completed exiting exited crashed crash panic timeout retry retries max min
""".split()


def _provider_names(module: ModuleType) -> tuple[set[str], set[str]]:
    from faker import Faker

    provider = module.Provider(Faker())
    first: set[str] = set()
    last: set[str] = set()
    for attrs, into in ((FIRST_ATTRS, first), (LAST_ATTRS, last)):
        for attr in attrs:
            value = getattr(provider, attr, None)
            if value:
                into.update(str(v) for v in value)
    return first, last


def _usable(name: str) -> bool:
    name = unicodedata.normalize("NFC", name.strip())
    if not name or " " in name or any(ch.isdigit() for ch in name):
        return False
    cjk = any(ord(ch) >= 0x2E80 for ch in name)
    return cjk or len(name) >= 2


def collect() -> tuple[list[str], list[str], list[str], str]:
    import faker
    import faker.providers.person as person
    from faker.providers.lorem.en_US import Provider as Lorem

    first: set[str] = set()
    last: set[str] = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated locales still hold names
        for info in pkgutil.iter_modules(person.__path__):
            f, la = _provider_names(importlib.import_module(f"{person.__name__}.{info.name}"))
            first |= f
            last |= la
    common = {w.lower() for w in Lorem.word_list} | set(EXTRA_COMMON)
    first = {unicodedata.normalize("NFC", n) for n in first if _usable(n)}
    last = {unicodedata.normalize("NFC", n) for n in last if _usable(n)}
    ambiguous = {n for n in first | last if n.lower() in common}
    words = sorted(common)
    return sorted(first - ambiguous), sorted(last - ambiguous - first), words, faker.VERSION


def main() -> int:
    first, last, common, version = collect()
    lines = [
        f"# Generated by redact/data/generate_names.py from Faker {version} person providers (all locales) and",
        "# Faker's English lorem word list; Faker is MIT-licensed, see LICENSE-faker.txt. Do not edit by hand.",
        "# [first] given names; [last] family names not also given names; [common] words never taken for a",
        "# name without a cue (also names that are common English or technical words).",
        "[first]", *first, "[last]", *last, "[common]", *common,
    ]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(first)} first, {len(last)} last, {len(common)} common words")
    words = sorted({w for w in ENGLISH_SOURCE.read_text(encoding="utf-8").split() if w.islower() and "'" not in w})
    ENGLISH_OUT.write_bytes(gzip.compress(("\n".join(words) + "\n").encode("utf-8"), mtime=0))
    print(f"{ENGLISH_OUT}: {len(words)} English words")
    return 0


if __name__ == "__main__":
    sys.exit(main())
