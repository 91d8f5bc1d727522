"""Accounts and passwords given as flags to database, registry and transfer clients (mysql -u, curl -u, ...)."""

from __future__ import annotations

import re

from redact.rules.accounts import user_token
from redact.rules.base import Context, Rule

# Command-line clients that take an account (and sometimes its password) as a flag. Per client: the flags naming
# the account and the flags carrying the password (mysql's -p is glued: `-p secret` is a prompt, then a database).
_CLI_FLAGS: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
for _names, _user_flags, _pass_flags in (
    ("mysql mysqldump mysqladmin mariadb mariadb-dump", "-u --user", "-p= --password"),
    ("psql pg_dump pg_dumpall pg_restore createdb dropdb createuser vacuumdb", "-U --username", ""),
    ("mongo mongosh mongodump mongorestore mongoexport mongoimport", "-u --username", "-p --password"),
    ("sqlcmd bcp", "-U", "-P"),
    ("redis-cli", "--user", "-a --pass"),
    ("curl wget lftp smbclient", "-u --user --http-user --ftp-user", "--password --http-password --ftp-password"),
    ("login", "-u --username", "-p --password"),  # docker/podman/helm registry login
    ("ssh", "-l", ""),
):
    for _name in _names.split():
        _CLI_FLAGS[_name] = (frozenset(_user_flags.split()), frozenset(_pass_flags.split()))
_CLI_TAIL = re.compile(r"[ ](?P<flag>-[A-Za-z]|--[a-z-]{2,20}(?![\w-]))(?P<sep>[= ]?)(?P<value>[^\s'\"]{1,128})\Z")
_CLI_COMMAND = re.compile(r"(?:docker|podman|nerdctl|buildah|skopeo|oras|helm[ ]registry)[ ](?=login)|[\w-]+")


def _cli_account(text: str, ctx: Context) -> str | None:
    """`mysql -h db -u kim -pS3cret`, `curl -u kim:pw`, `docker login -u kim`: the account and the password go.

    The match ends with the last credential flag; what comes before it is scanned again (earlier flags, paths)."""
    cmd, tail = _CLI_COMMAND.match(text), _CLI_TAIL.search(text)
    if cmd is None or tail is None:
        return None
    user_flags, pass_flags = _CLI_FLAGS.get(text[cmd.end() :].split(" ", 1)[0] if cmd.group().endswith(" ")
                                            else cmd.group(), (frozenset(), frozenset()))
    flag, value = tail["flag"], tail["value"]
    glued = flag == "-p" and tail["sep"] == "" and "-p=" in pass_flags
    if value.startswith(("[", "$", "%", "<")) or not (flag in user_flags or flag in pass_flags or glued):
        return None
    head = ctx.rescan(text[: tail.start("value")], ctx)
    if flag in pass_flags or glued:
        return head + ctx.hit("secret.kv")
    user, colon, password = value.partition(":")
    new = user_token(user, ctx, "username.flag") if ctx.on("username.flag") else user
    return head + new + colon + (ctx.hit("secret.kv") if password and ctx.on("secret.kv") else password)


RULES: tuple[Rule, ...] = (
    Rule(
        id="username.flag",
        token="[user]",
        why="accounts and passwords given as flags to database, registry and transfer clients: mysql -u/-p<pw>, "
        "psql -U, mongo -u/-p, sqlcmd -U/-P, redis-cli --user/-a, curl/wget -u user:pw, docker login -u/-p, ssh -l",
        pattern=r"""
            (?<![\w./-])
            (?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump|psql|pg_dump|pg_dumpall|pg_restore|createdb|dropdb
              |createuser|vacuumdb|mongo|mongosh|mongodump|mongorestore|mongoexport|mongoimport|sqlcmd|bcp
              |redis-cli|curl|wget|lftp|smbclient|ssh
              |(?:docker|podman|nerdctl|buildah|skopeo|oras|helm[ ]registry)[ ]login)
            (?:[ ][^\n|;&<>`]{0,240})?
            [ ](?:-[uUlpPa]|--(?:user|username|http-user|ftp-user|password|pass|http-password|ftp-password)(?![\w-]))
            [= ]?[^\s'"]{1,128}(?=[\s'"]|\Z)
        """,
        validate=lambda text: True,  # a flag that names no account: the other rules still scan the command
        rewrite=_cli_account,
        reports=("secret.kv",),
        matches=("mysql -h 127.0.0.1 -u wpadmin -pS3cr3tPw wordpress", "psql -h db.internal -U akovacs -d app",
                 "curl -u kmorgan:Hunter2x https://api.example.com/v1", "docker login -u dmurphy registry.example.com",
                 "sqlcmd -S tcp:db,1433 -U appsvc -P 'x'", "ssh -p 2222 -l tkaur build.example.org",
                 "mongosh --username rsato --password Pa55word mongodb://db:27017"),
        must_not_match=("mysql -u root -p", "psql -p 5432 -U postgres", "docker run -p 8080:80 nginx",
                        "curl -u $USER:$TOKEN https://x", "mysql -u root -p mydb", "ssh -p 2222 host.example"),
    ),
)
