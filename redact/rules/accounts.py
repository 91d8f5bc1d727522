"""Account and machine names where programs print them: shell prompts, sshd/sudo/git/database log lines."""

from __future__ import annotations

import re

from redact.rules.base import Context, Rule

# Accounts every machine of a kind has (CI runners, cloud images, containers, services): they name nobody.
GENERIC_ACCOUNTS = frozenset(
    """root admin administrator user users guest test testuser demo default public shared nobody daemon
    runner runneradmin ubuntu debian centos fedora ec2-user azureuser opc cloud-user core vagrant pi
    docker jenkins gitlab-runner buildkite circleci travis vsts builder build ci git www-data nginx apache
    httpd postgres mysql oracle redis mongodb elasticsearch deploy deployer app node jovyan codespace
    gitpod vscode coder developer dev sa system localsystem networkservice localservice me
    admin1 ftp ftpuser anonymous mail""".split()
)
# Host names that are defaults or the loopback, not a person's or customer's machine.
GENERIC_HOSTS = frozenset(
    "localhost localhost.localdomain ubuntu debian raspberrypi kali archlinux fedora centos ip6-localhost".split()
)

# An account name as POSIX tools accept it (macOS and Windows allow capitals), and a host name label run.
USER = r"[A-Za-z_][A-Za-z0-9_.-]{0,31}"
HOST = r"[A-Za-z0-9][A-Za-z0-9-]{0,62}(?:\.[A-Za-z0-9-]{1,63}){0,4}"

_USER_AT_HOST = re.compile(rf"(?P<user>{USER})@(?P<host>{HOST})")
_HOST_COLON = re.compile(rf"(?P<host>{HOST}):")
_MAC_PROMPT_USER = re.compile(rf"[ ](?P<user>{USER})(?=[$#]\Z)")


def private_user(name: str) -> bool:
    return name.lower() not in GENERIC_ACCOUNTS and not name.startswith("[")


def private_host(name: str) -> bool:
    return name.lower() not in GENERIC_HOSTS and not name.startswith("[")


def _user(name: str, ctx: Context, rule_id: str) -> str:
    if not private_user(name):
        return name
    ctx.learn(name, rule_id)
    return ctx.hit(rule_id)


def _host(name: str, ctx: Context) -> str:
    if not private_host(name) or not ctx.on("hostname"):
        return name
    ctx.learn(name, "hostname")
    return ctx.hit("hostname")


def _rewrite_prompt(text: str, ctx: Context) -> str | None:
    """user@host prompts (bash, zsh, fish, Git Bash, RHEL) and macOS bash's `Host:dir user$`."""
    m = _USER_AT_HOST.search(text)
    if m is not None:
        new = _user(m["user"], ctx, "prompt") + "@" + _host(m["host"], ctx)
        return text[: m.start()] + new + ctx.inner(text[m.end() :], ctx)
    m_host, m_user = _HOST_COLON.match(text), _MAC_PROMPT_USER.search(text)
    if m_host is None or m_user is None:
        return None
    middle = ctx.inner(text[m_host.end() : m_user.start("user")], ctx)
    return _host(m_host["host"], ctx) + ":" + middle + _user(m_user["user"], ctx, "prompt") + text[m_user.end() :]


_NAME_AT_END = re.compile(r"[A-Za-z0-9_.-]{1,32}(?=['\"!]?\Z)")


def _rewrite_named(text: str, ctx: Context) -> str | None:
    """Log lines: every alternative ends with the account name (and maybe its quote); only the name goes."""
    m = _NAME_AT_END.search(text)
    if m is None:
        return None
    return text[: m.start()] + _user(m.group(), ctx, "username") + text[m.end() :]


# Each alternative: the words a tool prints before an account name, then the name, last.
_LOG_USER_PATTERN = rf"""
    (?:
        # sshd: Failed password for invalid user X from / Invalid user X from / Accepted publickey for X from
        (?:[Ii]nvalid|[Ii]llegal)[ ]user[ ]{USER}(?=[ ]from[ ])
      | (?:Failed|Accepted|Postponed)[ ][\w/-]{{1,40}}[ ]for[ ](?:invalid[ ]user[ ]|illegal[ ]user[ ])?
        {USER}(?=[ ]from[ ])
        # pam_unix: session opened for user X / authentication failure; ... user=X
      | session[ ](?:opened|closed)[ ]for[ ]user[ ]{USER}(?![\w.-])
      | (?<![^ ;])ruser={USER}(?![\w.-])
        # sudo:   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls
      | sudo:[ ]{{1,4}}{USER}(?=[ ]:[ ])
        # git hosts: Permission to o/r.git denied to X. / Hi X! You've successfully authenticated
      | [Pp]ermission[ ]to[ ][\w./-]{{1,100}}[ ]denied[ ]to[ ]{USER}?(?=[.!]?(?:\s|\Z))
      | Hi[ ]{USER}?(?=![ ]You've[ ]successfully[ ]authenticated)
      | Username[ ]for[ ]'[^'\s]{{1,100}}':[ ]{USER}(?![\w.-])
      | Logged[ ]in[ ]to[ ][\w.-]{{1,64}}[ ](?:account|as)[ ]{USER}(?![\w.-])
        # MySQL: Access denied for user 'X'@'host'; PostgreSQL: authentication failed for user "X", role "X"
      | for[ ]user[ ]'{USER}'(?=@|[ ]|\Z)
      | (?:failed[ ]for[ ]user|[Rr]ole)[ ]"{USER}"(?=[ ]does[ ]not[ ]exist|\s|\Z|[,.])
        # environment dumps: USER=alice, LOGNAME=alice, SUDO_USER=alice, USERNAME=alice
      | (?<![\w$])(?:USER|LOGNAME|SUDO_USER|USERNAME|GIT_AUTHOR_NAME|GIT_COMMITTER_NAME)={USER}(?![\w.-])
    )
"""


RULES: tuple[Rule, ...] = (
    Rule(
        id="prompt",
        token="[user]",
        why="shell prompts and scp/ssh targets print the account and the machine: user@host:~$ (bash), "
        "[user@host dir]$ (RHEL), user@host ~ % (zsh), user@host ~> (fish), user@HOST MINGW64 (Git Bash), "
        "Host:dir user$ (macOS bash)",
        pattern=rf"""
            (?<![\w.@/-])
            (?:
                {USER}@{HOST}(?=:[~/]|:\[)                                   # bash user@host:~/x$, scp targets
              | (?<![^\[]){USER}@{HOST}(?=[ ][^\]\n]{{1,100}}\][$#])              # RHEL [user@host dir]$
              | {USER}@{HOST}(?=[ ](?:MINGW(?:32|64)|MSYS|UCRT64|CLANG64|CLANGARM64)(?:\s|\Z))  # Git Bash
              | {USER}@{HOST}(?=[ ]{{1,2}}(?:~|/)[^\s]{{0,100}}[ ]?[%>$#](?:[ ]|\Z))       # zsh, fish
              | (?<![^\n\r\t >`$])                                          # macOS bash: line start
                [A-Za-z0-9][A-Za-z0-9-]{{0,62}}:[^\s:]{{1,100}}[ ]{USER}[$#](?=[ ]|\Z|\n)
            )
        """,
        rewrite=_rewrite_prompt,
        reports=("hostname",),
        matches=("alice@devbox:~/src$ make", "[alice@web01 ~]$ sudo -i", "bob@Bobs-MBP ~ % ls",
                 "carol@thinkpad ~/code> fish_config", "dana@DESKTOP-4J2K9QX MINGW64 ~/repo (main)",
                 "Joaquims-MacBook-Pro:on-demand-github-pages jqferraz$ git push",
                 "scp build.tar.gz erin@build-07:/tmp/", "root@kalibox24:~# python"),
        must_not_match=("root@localhost:~# ls", "git@github.com:owner/repo.git", "mail bob@example.com today",
                        "user@host", "https://user@example.com:/x", "12:30:45 done$"),
    ),
    Rule(
        id="username",
        token="[user]",
        why="account names in the log lines that print them: sshd, pam, sudo, git hosts' permission messages, "
        "git credential prompts, MySQL/PostgreSQL authentication errors, USER=/LOGNAME= in environment dumps",
        pattern=_LOG_USER_PATTERN,
        rewrite=_rewrite_named,
        matches=("Failed password for invalid user olek from 91.205.14.3 port 1585 ssh2",
                 "Invalid user mkowalski from 10.0.0.9 port 22", "Accepted publickey for jsmith from 10.0.4.23",
                 "pam_unix(sshd:session): session opened for user hkato(uid=1001) by (uid=0)",
                 "sudo:   alice : TTY=pts/0 ; PWD=/srv ; USER=root ; COMMAND=/bin/ls",
                 "remote: Permission to org/repo.git denied to MayThorn.",
                 "Hi octodev! You've successfully authenticated, but GitHub does not provide shell access.",
                 "Username for 'https://github.com': rv530817",
                 "ERROR 1045 (28000): Access denied for user 'wpadmin'@'localhost' (using password: YES)",
                 'FATAL:  password authentication failed for user "appsvc"', 'FATAL:  role "kmiller" does not exist',
                 "USER=lmartin"),
        must_not_match=("Illegal user admin from 219.254.31.117", "Accepted publickey for deploy from 10.0.4.23",
                        "USER=root", "Access denied for user 'root'@'localhost'", "role \"postgres\" does not exist",
                        "permission denied for table users", "user $USER"),
    ),
)
