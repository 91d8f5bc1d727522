"""The rule table: every family's rules in scan order, plus the ids that are reported without a pattern."""

from __future__ import annotations

from redact.rules import (
    accounts,
    clients,
    cloud,
    financial,
    machines,
    mentions,
    network,
    paths,
    places,
    remotes,
    secrets,
    urls,
)
from redact.rules.base import Context, Rule


def _pick(family: tuple[Rule, ...], *ids: str) -> tuple[Rule, ...]:
    by_id = {r.id: r for r in family}
    return tuple(by_id[i] for i in ids)


# Order matters where two rules can start at the same character: the first listed wins.
# Whole structures (PEM blocks, webhook URLs, URLs, home paths) come before the pieces inside them,
# checksummed numbers before phone numbers, the entropy catch-all last.
PATTERN_RULES: tuple[Rule, ...] = (
    *_pick(secrets.RULES, "secret.pem", "secret.slack"),
    *remotes.RULES,
    *urls.RULES,
    *clients.RULES,
    *accounts.RULES,
    *mentions.RULES,
    *machines.RULES,
    *cloud.RULES,
    *_pick(paths.RULES, "path.user"),
    *_pick(
        secrets.RULES,
        "secret.jwt", "secret.anthropic", "secret.openai", "secret.github", "secret.gitlab",
        "secret.stripe", "secret.aws", "secret.google", "secret.vendor", "secret.auth_header", "secret.cookie",
        "secret.positional", "secret.kv",
    ),
    *_pick(network.RULES, "email"),
    *_pick(paths.RULES, "path.file"),
    *_pick(network.RULES, "mac", "ip.v6", "ip.v4", "hostname", "hostname.tenant"),
    *places.RULES,
    *financial.RULES,
    *_pick(secrets.RULES, "secret.entropy"),
)

# Ids with no pattern of their own: reported by a rewrite, the content check, the key check,
# the walker's limits or the deep tier's NER. Their default tokens.
REPORTED_TOKENS: dict[str, str] = {
    "path.home": "~",
    "content": "[content:{n} chars]",
    "key.sensitive": "[removed]",
    "limit.depth": "[truncated]",
    "limit.size": "[truncated]",
    "ner.person": "[person]",
    "ner.location": "[location]",
    "url.user": "[user]",
    "url.param": "[personal]",
    "secret.url_path": "[secret]",
}

DEFAULT_TOKENS: dict[str, str] = {**{r.id: r.token for r in PATTERN_RULES}, **REPORTED_TOKENS}
RULE_IDS: tuple[str, ...] = tuple(DEFAULT_TOKENS)

__all__ = ["Context", "Rule", "PATTERN_RULES", "DEFAULT_TOKENS", "RULE_IDS", "REPORTED_TOKENS"]
