"""The user's own repository where git prints it (push output, `git remote -v`, `git config -l`): its owner goes."""

from __future__ import annotations

import re

from redact.rules.base import Context, Rule
from redact.rules.urls import rewrite_scp, rewrite_url

_REMOTE_URL = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*://|[\w.-]{1,64}@|[\w.-]{1,64}\.[a-z]{2,6}:)[^\s'\"]+\Z")


def _rewrite_remote(text: str, ctx: Context) -> str | None:
    """A push or a configured remote names the user's own repository: its owner goes."""
    m = _REMOTE_URL.search(text)
    if m is None:
        return None
    was, ctx.owner = ctx.owner, True
    try:
        url = m.group()
        if "://" in url:
            new = rewrite_url(url, ctx)
        elif "@" in url.split(":", 1)[0]:
            new = rewrite_scp(url, ctx)
        else:  # push output prints an ssh remote without its account: `To github.com:owner/repo.git`
            scp = rewrite_scp("git@" + url, ctx)
            new = None if scp is None else scp[4:]
    finally:
        ctx.owner = was
    return None if new is None else text[: m.start()] + new


RULES: tuple[Rule, ...] = (
    Rule(
        id="url.remote",
        token="[user]",
        why="the user's own repository where git prints it: push output (`To <url>`, `Pushing to <url>`), "
        "`git remote -v` and `git config -l` lines, `git remote add/set-url`; a code host's owner there is the "
        "user's account whatever its shape (a failed clone's URL is often someone else's project and stays)",
        pattern=r"""
            (?:(?<![^\n\r])(?:To|Pushing[ ]to)[ ]
              | remote\.[\w.-]{1,64}\.url=
              | (?<![^\n\r])[\w.-]{1,64}\t(?=[^\s]{1,400}[ ]\((?:fetch|push)\))
              | git[ ]remote[ ](?:add|set-url)[ ](?:--?[\w-]{1,20}[ ]){0,2}[\w.-]{1,64}[ ])
            (?:https?://|ssh://|git://|[\w.-]{1,64}@|(?:github\.com|gitlab\.com|bitbucket\.org|codeberg\.org):)
            [^\s'"]{1,400}
        """,
        validate=lambda text: True,  # a remote elsewhere than a code host: the URL rules still read it
        rewrite=_rewrite_remote,
        reports=("url.user", "secret.url_credentials", "secret.url_query", "url.param", "secret.url_path", "content"),
        matches=("Pushing to https://github.com/Lindgren-Outfitters/Test.git",
                 "To github.com:dnovak/site.git\n ! [rejected]        main -> main (fetch first)",
                 "origin\thttps://github.com/pmarsh/notes.git (fetch)", "remote.origin.url=git@gitlab.com:akim/cv.git",
                 "git remote add origin https://github.com/tkaur/portfolio.git"),
        must_not_match=("git clone https://github.com/rust-lang/cargo.git", "To https://github.com/user/repo.git",
                        "fatal: Authentication failed for 'https://git.example.com/team/app.git/'"),
    ),
)
