"""@mentions in issue threads, chat and e-mail quotes: the handle names an account."""

from __future__ import annotations

import re

from redact.rules.base import Context, Rule

# Directives that share the @word shape with a mention: CSS at-rules, JSDoc/PHPDoc tags, template directives.
_AT_DIRECTIVES = frozenset(
    """media import keyframes font-face supports charset namespace page layer container property apply tailwind
    param params returns return throws throw type typedef template example deprecated since see link author
    callback override inheritdoc internal private public protected readonly async function class module exports
    namespace memberof implements extends constructor enum const var let if else foreach endforeach endif csrf
    yield section include click submit input change keyup keydown staticmethod classmethod dataclass abstractmethod
    cached_property overload final total_ordering contextmanager asynccontextmanager lru_cache cache wraps
    pytest_fixture""".split()
)
_HEX = re.compile(r"0x[0-9A-Fa-f]+")


def _mention(text: str, ctx: Context) -> str | None:
    """@handle in prose (GitHub, Slack, X): the handle goes. Decorators, annotations, at-rules and scopes stay:
    a handle with a digit, hyphen or underscore is one; a bare lower-case word only when it is no English word."""
    handle = text[1:]
    if _HEX.fullmatch(handle) or handle.lower() in _AT_DIRECTIVES or not ctx.on("username.mention"):
        return None
    if not any(c.isdigit() or c in "-_" for c in handle):
        if handle[:1].isupper():
            return None  # @Override, @SpringBootApplication, @TouchableOpacity: annotations and components
        if handle.islower():
            from redact.names import load  # the word list lives with the name finder; loaded once, shared

            if handle in load().english:
                return None
    ctx.learn(handle, "username.mention")
    return "@" + ctx.hit("username.mention")


RULES: tuple[Rule, ...] = (
    Rule(
        id="username.mention",
        needs=r"@",
        token="[user]",
        why="@mentions in issue threads, chat and e-mail quotes name an account (`cc @tkaminski-dev`, `> @Riya07`); "
        "decorators and annotations (a call, a line of their own, a capitalised word), at-rules, doc tags, npm scopes "
        "(`@babel/core`) and hex handles stay",
        pattern=r"""
            @(?<![\w@./:+\\-]@)[A-Za-z0-9][A-Za-z0-9_-]{1,38}    # the literal first: one test per position
            (?![\w@/(-]|\.\w)                                # not a scope, a call, a dotted decorator
        """,
        rewrite=_mention,
        matches=("cc @tkaminski-dev can you look?", "> @DivyaSharma25 <https://github.com/x>",
                 "removed as per @tvdmeer's advice", "Direct messages with @kemi_adebayo_ - Mozilla Firefox"),
        must_not_match=("@Override public void run()", "@media screen", "node_modules\\@tootallnate",
                        "@babel/core", "handle @0x218", "@app.route('/')", "@property", "@pytest.fixture(scope=x)",
                        "user@example.com", "react@18.2.0"),
    ),
)
