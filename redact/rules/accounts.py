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
    admin1 ftp ftpuser anonymous mail kali""".split()
)
# Host names that are defaults or the loopback, not a person's or customer's machine.
GENERIC_HOSTS = frozenset(
    """localhost localhost.localdomain ubuntu debian raspberrypi kali archlinux fedora centos ip6-localhost
    minikube docker-desktop kind-control-plane kind-worker control-plane master workgroup
    ip host hostname server remote remote-host your-server yourserver your-host example.com""".split()
)
# Public services a tool connects to (ssh to a code host): named in the message, they say nothing about the user.
PUBLIC_HOSTS = frozenset(
    """github.com ssh.github.com gitlab.com bitbucket.org codeberg.org gitee.com ssh.dev.azure.com
    vs-ssh.visualstudio.com heroku.com git.heroku.com git.sr.ht source.developers.google.com
    aur.archlinux.org""".split()
)
# Single-label names in resolver errors that are a compose service or a default, not a machine someone named.
SERVICE_NAMES = frozenset(
    """db database postgres postgresql pg mysql mariadb mongo mongodb redis memcached rabbitmq kafka zookeeper
    elasticsearch opensearch kibana minio localstack nginx traefik api app web backend frontend server proxy
    gateway worker cache broker queue vault consul etcd registry ldap smtp mail mailhog keycloak selenium hub
    mssql sqlserver oracle cassandra influxdb grafana prometheus jaeger host node primary replica example""".split()
)

# An account name as POSIX tools accept it (macOS and Windows allow capitals), and a host name label run.
USER = r"[A-Za-z_][A-Za-z0-9_.-]{0,31}"
HOST = r"[A-Za-z0-9][A-Za-z0-9-]{0,62}(?:\.[A-Za-z0-9-]{1,63}){0,4}"

_USER_AT_HOST = re.compile(rf"(?P<user>{USER})[@㉿](?P<host>{HOST})?")
_HOST_COLON = re.compile(rf"(?P<host>{HOST}):")
_MAC_PROMPT_USER = re.compile(rf"[ ](?P<user>{USER})(?=[$#]\Z)")


def private_user(name: str) -> bool:
    return name.lower() not in GENERIC_ACCOUNTS and not name.startswith("[")


def private_host(name: str) -> bool:
    low = name.lower()
    return low not in GENERIC_HOSTS and low not in PUBLIC_HOSTS and not name.startswith("[")


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
        at = text[m.end("user")]
        new = _user(m["user"], ctx, "prompt") + at + (_host(m["host"], ctx) if m["host"] else "")
        head = text[: m.start()]  # `ssh -i <key path> ` before an ssh target: every rule, the path rules too
        return (ctx.rescan(head, ctx) if head else "") + new + ctx.inner(text[m.end() :], ctx)
    m_host, m_user = _HOST_COLON.match(text), _MAC_PROMPT_USER.search(text)
    if m_host is None:
        return None
    if m_user is None:  # host: ~/dir$
        return _host(m_host["host"], ctx) + ":" + ctx.inner(text[m_host.end() :], ctx)
    middle = ctx.inner(text[m_host.end() : m_user.start("user")], ctx)
    return _host(m_host["host"], ctx) + ":" + middle + _user(m_user["user"], ctx, "prompt") + text[m_user.end() :]


# IAM names (after a slash) also hold +=,.@
_NAME_AT_END = re.compile(r"(?:(?<=/)[\w+=,.@-]{1,64}|[A-Za-z0-9_.-]{1,64})(?=['\"!]?\Z)")


def _rewrite_named(text: str, ctx: Context) -> str | None:
    """Log lines: every alternative ends with the account name (and maybe its quote); only the name goes."""
    m = _NAME_AT_END.search(text)
    if m is None:
        return None
    return ctx.inner(text[: m.start()], ctx) + _user(m.group(), ctx, "username") + text[m.end() :]


# Each alternative: the words a tool prints before an account name, then the name, last.
_LOG_USER_PATTERN = rf"""
    (?:
        # sshd: Failed password for invalid user X from / Invalid user X from / Accepted publickey for X from
        (?:Failed|Accepted|Postponed)[ ][\w/-]{{1,40}}[ ]for[ ](?:invalid[ ]user[ ]|illegal[ ]user[ ])?
        {USER}(?=[ ]from[ ])
        # pam_unix: session opened for user X / authentication failure; ... user=X
      | session[ ](?:opened|closed)[ ]for[ ]user[ ]{USER}(?![\w.-])
      | ruser=(?<![^ ;]ruser=){USER}(?![\w.-])
        # sudo:   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls
      | sudo:[ ]{{1,4}}{USER}(?=[ ]:[ ])
        # git hosts: Permission to o/r.git denied to X. / Hi X! You've successfully authenticated
      | [Pp]ermission[ ]to[ ][\w./-]{{1,100}}[ ]denied[ ]to[ ]{USER}?(?=[.!]?(?![\w-]))
      | Hi[ ]{USER}?(?=![ ]You've[ ]successfully[ ]authenticated)
      | Username(?<!read[ ]Username)[ ]for[ ]'[^'\s]{{1,100}}':[ ]{USER}(?![\w.-])  # not "could not read Username'
      | Username:(?<![^\n\r> ]Username:)[ ]{USER}(?=[ \t]*(?:\r?\n|\Z))         # npm login, ftp prompts
      | Logged[ ]in[ ]as[ ]{USER}(?![\w-])(?!\.\w)
      | (?:Authenticating[ ]to[ ][\w.:\[\]-]{{1,100}}[ ]as[ ]'){USER}(?=')           # ssh -v
      | (?:found[ ]account:|account[ ]found[ ]for[ ](?:remote|repository):[ ][^\s]{{1,200}}[ ]-)  # GitHub Desktop
        [ ]{USER}(?=[ ]\()
      | [Pp]ytest-of-{USER}(?=[/\\])                                      # pytest's tmp_path root
      | [dl-](?<![\w-][dl-])[rwxsStT-]{{9}}[.+@]?[ ]{{1,4}}\d{{1,6}}[ ]{USER}(?=[ ])        # ls -l: owner
      | (?:[Ii]nvalid|[Ii]llegal)[ ]user[ ][\w.-]{{1,32}}(?=[ ]from[ ])                  # numeric sshd names too
      | Logged[ ]in[ ]to[ ][\w.-]{{1,64}}[ ](?:account|as)[ ]{USER}(?![\w.-])
        # MySQL: Access denied for user 'X'@'host'; PostgreSQL: authentication failed for user "X", role "X"
      | (?:for[ ]user|PAM:[ ]user|[Uu]ser)[ ]'(?:{HOST}\\)?{USER}(?='(?:@|[ ]|\.|\Z))   # MySQL, SQL Server DOMAIN\user
      | (?:failed[ ]for[ ]user|[Rr]ole)[ ]"{USER}(?="(?:[ ]does[ ]not[ ]exist|\s|\Z|[,.]))
        # SQL Server's localized "Login failed for user 'X'"; Postfix/OpenSMTPD's unknown and looked-up users
      | (?:用户|使用者|ユーザー|Benutzer|utilisateur|usuario|utente|usuário|gebruiker|użytkownika|пользователя)
        [ ]?['"«„]{USER}(?=['"»“])
      | no[ ]such[ ]user[ ]{USER}(?![\w.@-])
      | lookup[ ]"{USER}(?="[ ]as[ ]USERINFO)
        # OpenSSH 7.5+: Connection closed by authenticating user X 1.2.3.4 port 22 [preauth], Disconnected from
        # invalid user X ..., Disconnected from user X 1.2.3.4 port 22, input_userauth_request: invalid user X [preauth]
      | (?:authenticating|[Ii]nvalid|[Ii]llegal|from)[ ]user[ ][\w.@-]{{1,64}}
        (?=[ ](?:[0-9a-fA-F:.]{{3,45}}[ ]port[ ]\d|\[preauth\]))
        # pam_unix: "authentication failure; logname= uid=0 ... rhost=1.2.3.4  user=X"; session ... by X(uid=1000)
      | (?<=[ ;])(?:logname|user)=(?<![\w.-]logname=)(?<![\w.-]user=){USER}(?![\w.@-])
      | [ ]by[ ]{USER}(?=\(uid=\d)
        # systemd-logind / systemd: New session 3 of user X. / Started Session 5 of User X.
      | [Ss]ession[ ]c?\d{{1,10}}[ ]of[ ][Uu]ser[ ]{USER}(?<!\.)(?=\.?(?:\s|\Z))
        # su: (to root) X on pts/0; useradd: new user: name=X,; passwd: password changed for X
      | \(to[ ][\w.-]{{1,32}}\)[ ]{USER}(?=[ ]on[ ])
      | new[ ]user:[ ]name={USER}(?=,)
      | password[ ]changed[ ]for[ ]{USER}(?<!\.)(?![\w-]|\.\w)
        # dovecot: Login: user=<X>, method=PLAIN
      | (?<![\w.-])user=<{USER}(?=[>@])
        # AWS IAM: User: arn:aws:iam::123456789012:user/X is not authorized; assumed-role/Role/<session name>
      | User:[ ](?:arn:aws:iam::\d{{12}}:)?user/(?:[\w+=,.@-]{{1,64}}/){{0,3}}[\w+=,.@-]{{1,64}}
        (?=[ ]is[ ]not[ ]authorized)
      | User:[ ]arn:aws:sts::\d{{12}}:assumed-role/[\w+=,.@-]{{1,64}}/[\w+=,.@-]{{2,64}}(?=[ ]is[ ]not[ ]authorized)
        # environment dumps: USER=alice, LOGNAME=alice, SUDO_USER=alice, USERNAME=alice
      | (?:U(?<![\w$]U)SER(?:NAME)?|L(?<![\w$]L)OGNAME|S(?<![\w$]S)UDO_USER|G(?<![\w$]G)IT_(?:AUTHOR|COMMITTER)_NAME)
        ={USER}(?![\w.-])
    )
"""


_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
# Every alternative ends with the machine name, or DOMAIN\\user: the name is the run at the end.
_LOGGED_HOST = re.compile(r"(?:(?P<domain>[A-Za-z0-9][A-Za-z0-9.-]{0,254})\\)?(?P<host>[\w][\w.-]{0,254})\Z")


# Node names local Kubernetes distributions give by default.
_DEFAULT_NODE = re.compile(r"kind-(?:control-plane|worker)\d{0,3}|k3d-[\w-]{1,60}|minikube(?:-m\d{1,3})?|docker-desktop"
                           r"|microk8s|(?:node|worker|master|agent|server)-?\d{0,3}", re.IGNORECASE)


def _rewrite_logged_host(text: str, ctx: Context) -> str | None:
    """syslog / Event Viewer / ssh lines: the timestamp or label stays, the machine (and DOMAIN\\user) go."""
    m = _LOGGED_HOST.search(text)
    if m is None or m["host"].lower() in SERVICE_NAMES or m["host"].isdigit() or _DEFAULT_NODE.fullmatch(m["host"]):
        return None
    domain = _host(m["domain"], ctx) + "\\" if m["domain"] else ""
    name = _user(m["host"], ctx, "username") if m["domain"] else _host(m["host"], ctx)
    return text[: m.start()] + domain + name


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
    new = _user(user, ctx, "username.flag") if ctx.on("username.flag") else user
    return head + new + colon + (ctx.hit("secret.kv") if password and ctx.on("secret.kv") else password)


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


# Who wrote or sent something, where git and mail print it before an address: git's Author:/Commit: lines and
# trailers (Signed-off-by: ...), mail headers (From:, Cc:), and the reply line mail clients and GitHub quote
# ("On Thu, Jun 15, 2023 at 12:01 PM <name> <address> wrote:"). The name may be a handle ("SunnyDayz").
_HEADER_NAME = re.compile(
    r"""(?x)
    (?:(?:Author|Commit|Committer|Signed-off-by|Co-authored-by|Reviewed-by|Reported-by|Tested-by|Acked-by
         |Suggested-by|Helped-by|From|Cc):[ \t]+
      | On[ ][^\n<>]{4,60}?(?:\d{1,2}:\d\d(?:[ ]?[AaPp]\.?[Mm]\.?)?|\d{4}),?[ ](?:at[ ])?)
    (?P<name>[^<>\n@"]{1,60}?)[ ]"?[ ]?<?[^\s<>]{0,80}@[^\s<>]{1,80}>?
    """
)
_NOT_AUTHORS = frozenset("github gitlab notifications noreply no-reply root admin bot [person] [user]".split())


def _header_name(text: str, ctx: Context) -> str | None:
    m = _HEADER_NAME.match(text)
    if m is None or not ctx.on("person.header"):
        return None
    name = m["name"].strip().strip('"')
    if not name or name.lower() in _NOT_AUTHORS or name.startswith("[") or name.isdigit():
        return None
    ctx.learn(name, "person.header")
    return text[: m.start("name")] + ctx.hit("person.header") + ctx.inner(text[m.end("name") :], ctx)


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
    Rule(
        id="person.header",
        token="[person]",
        why="the author or sender where git and mail print one before an address: Author:/Commit: lines, trailers "
        "(Signed-off-by:), From:/Cc:, and the quoted reply line 'On <date> <name> <address> wrote:'; handles too",
        pattern=r"""
            (?<![^\n\r>\t ])
            (?:(?:Author|Commit|Committer|Signed-off-by|Co-authored-by|Reviewed-by|Reported-by|Tested-by|Acked-by
                 |Suggested-by|Helped-by|From|Cc):[ \t]{1,8}
              | On[ ][^\n<>]{4,60}?(?:\d{1,2}:\d\d(?:[ ]?[AaPp]\.?[Mm]\.?)?|\d{4}),?[ ](?:at[ ])?)
            [^<>\n@"]{1,60}?[ ]"?[ ]?<?[^\s<>]{0,80}@[^\s<>]{1,80}>?
        """,
        rewrite=_header_name,
        reports=("email",),
        matches=("Author: SunnyDayz <tolulopeadeyemi@gmail.com>",
                 "On Sat, Apr 11, 2020, 07:19 CedricCassis <notifications@github.com> wrote:",
                 "On Thu, Oct 11, 2018 at 3:00 AM RK4471 <notifications@github.com> wrote:",
                 "On Thu, Jun 15, 2023 at 12:01 PM Thandar Win Htet ***@***.***>\nwrote:",
                 "Signed-off-by: Kofi Mensah <kofi@example.org>"),
        must_not_match=("Author: GitHub <noreply@github.com>", "From: [person] <[email]>", "Author: unknown"),
    ),
    Rule(
        id="username.mention",
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
    Rule(
        id="prompt",
        token="[user]",
        why="shell prompts and scp/ssh targets print the account and the machine: user@host:~$ (bash), "
        "[user@host dir]$ (RHEL), user@host ~ % (zsh), user@host ~> (fish), user@HOST MINGW64 (Git Bash), "
        "Host:dir user$ (macOS bash)",
        pattern=rf"""
            (?<![\w.@/-])
            (?:
                {USER}@                                   # one scan of user@ for every user@host shape:
                (?:
                    (?=(?:\d{{1,3}}\.){{3}}\d{{1,3}}(?![\d.]))            # ssh user@10.0.0.5 (the IP rule takes the IP)
                  | {HOST}
                    (?=:[~/]|:\[                               # bash user@host:~/x$, scp targets
                      | ['’]s[ ]password:                        # ssh's password prompt
                      | :\d{{1,5}}(?!\d)                        # user@host:port (Hadoop, JDBC)
                      | [ ](?:MINGW(?:32|64)|MSYS|UCRT64|CLANG64|CLANGARM64)(?:\s|\Z)  # Git Bash
                      | [ ]{{1,2}}[~/][^\s]{{0,100}}[ ]?[%>$\#](?:[ ]|\Z)         # zsh, fish
                      | [ ][^\n%$\#>]{{1,60}}?[ ][%$\#>](?:[ ]|\Z)             # zsh %1~ with spaces: "node js %"
                      | [ ][^\]\n]{{1,100}}\][$\#]                 # RHEL [user@host dir]$
                    )
                )
              | (?:ssh|scp|sftp|rsync|mosh|sshfs|ssh-copy-id)[ ]                  # the target of an ssh-family
                [^\n|;&<>]{{0,200}}?(?<![\w.@/:-]){USER}@                        # command: any host name
                (?:(?=(?:\d{{1,3}}\.){{3}}\d{{1,3}}(?![\d.]))|{HOST}(?=[\s:'"\]]|\Z))
              | ┌──\({USER}㉿{HOST}(?=\)-\[)                                  # Kali's zsh: ┌──(user㉿host)-[~]
              | (?<![^\n\r\t >`$])                                  # line start: macOS `Host:dir user$`, `host: ~/dir$`
                [A-Za-z0-9][A-Za-z0-9-]{{0,62}}:
                (?:[^\s:]{{1,100}}[ ]{USER}[$\#]|[ ]?[~/][^\s]{{0,100}}[$\#%])(?=[ ]|\Z|\n)
            )
        """,
        rewrite=_rewrite_prompt,
        reports=("hostname",),
        matches=("alice@devbox:~/src$ make", "[alice@web01 ~]$ sudo -i", "bob@Bobs-MBP ~ % ls",
                 "carol@thinkpad ~/code> fish_config", "dana@DESKTOP-4J2K9QX MINGW64 ~/repo (main)",
                 "Joaquims-MacBook-Pro:on-demand-github-pages jqferraz$ git push",
                 "scp build.tar.gz erin@build-07:/tmp/", "root@kalibox24:~# python",
                 "apple@yukinoMacBook-Air node js % npm -v", "LeaseRenewer:cshen2@msrb-sa-17:9000",
                 "ssh zjli@10.20.1.7", "vaxstation: ~/work/crosvm$ cargo build", "┌──(jdoe㉿thinkbox)-[~/Downloads]",
                 "ssh -i ~/.ssh/id_ed25519 dmurphy@buildbox", "dmurphy@buildbox's password: ",
                 "rsync -avz ./dist/ deploy@web01:/srv/www/"),
        must_not_match=("root@localhost:~# ls", "git@github.com:owner/repo.git", "mail bob@example.com today",
                        "user@host", "https://user@example.com:/x", "12:30:45 done$", "see note: 50$ fee",
                        "root@10.0.0.5", "git@10.0.0.5:repo.git", "ssh -T git@github.com",
                        "┌──(kali㉿kali)-[~]", "ssh -o StrictHostKeyChecking=no host.example"),
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
                 "USER=lmartin", "Login failed for user 'CORP\\Reza'.", "Logged in as lwroom on https://registry",
                 "debug1: Authenticating to 10.0.0.5:45608 as 'dlazaro'", "/tmp/pytest-of-mwilliams/pytest-42/x",
                 "dr-xr-x--x 2 hannes hannes 4096 Nov 15 02:12 ./", "Invalid user 123456 from 10.0.0.1",
                 "[AppStore] found account: kjh0415 (Kim Ji Hoon)", "用户 'hzcadmin' 登录失败。",
                 "Login failed for user 'DESKTOP-7KQ2M9X\\Reza'.", "reject: no such user yuki from example.com",
                 'lookup: lookup "vzanker" as USERINFO in table static:vusers',
                 "sshd[1042]: Connection closed by authenticating user kmorgan 203.0.113.9 port 50412 [preauth]",
                 "sshd[77]: Disconnected from invalid user oracle2 198.51.100.4 port 40112 [preauth]",
                 "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  "
                 "user=hkato", "pam_unix(sudo:session): session opened for user root by tkaur(uid=1000)",
                 "systemd-logind[612]: New session 14 of user rvasquez.", "systemd[1]: Started Session 3 of User jdoe.",
                 "su: (to root) mpetrov on pts/1", "useradd[2291]: new user: name=ayildiz, UID=1001, GID=1001",
                 "passwd[881]: pam_unix(passwd:chauthtok): password changed for nlopez",
                 "imap-login: Login: user=<kfischer>, method=PLAIN, rip=10.0.0.4",
                 "User: arn:aws:iam::123456789012:user/dwright is not authorized to perform: s3:GetObject",
                 "User: arn:aws:sts::123456789012:assumed-role/AdminRole/jane.doe@example.com is not authorized"),
        must_not_match=("Illegal user admin from 219.254.31.117", "Accepted publickey for deploy from 10.0.4.23",
                        "USER=root", "Access denied for user 'root'@'localhost'", "role \"postgres\" does not exist",
                        "permission denied for table users", "user $USER",
                        "fatal: could not read Username for 'https://github.com': terminal prompts disabled",
                        "drwxr-xr-x 2 root root 4096 Nov 15 02:12 ./",
                        "session opened for user root by (uid=0)", "New session 3 of user root.",
                        "Disconnected from user root 10.0.0.2 port 22", "GET /api?user=kim HTTP/1.1"),
    ),
    Rule(
        id="hostname.log",
        token="[host]",
        why="the machine name in the places log formats put it: the syslog header (RFC 3164 `Mmm dd hh:mm:ss host "
        "prog[pid]:` and RFC 5424 / ISO timestamps), Windows Event Viewer `Computer:` and `User: DOMAIN\\user`, "
        "ssh's `connect to host <name> port` and `Connecting to <name> [ip]` for single-label LAN names",
        pattern=rf"""
            (?:
                (?<![\w:]){_MONTH}[ ]{{1,2}}\d{{1,2}}[ ]\d\d:\d\d:\d\d(?:\.\d{{1,6}})?[ ]   # Feb  6 16:27:08
                {HOST}(?=[ ][\w./()-]{{1,64}}(?:\[\d{{1,10}}\])?:)                      # host kernel: / sshd[42]:
              | (?<![\w:-])\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{{1,9}})?(?:Z|[+-]\d\d:?\d\d)[ ]
                {HOST}(?=[ ][\w./()-]{{1,64}}(?:\[\d{{1,10}}\])?:)
              | (?<![^\n\r])Computer:[ \t]{{1,40}}{HOST}(?=[ \t]*(?:\r?\n|\Z))          # Event Viewer
              | (?<![^\n\r])User:[ \t]{{1,40}}{HOST}\\{USER}(?=[ \t]*(?:\r?\n|\Z))
              | <\d{{1,3}}>1[ ]\d{{4}}-\d\d-\d\dT[\d:.]{{8,15}}(?:Z|[+-]\d\d:\d\d)[ ]{HOST}(?=[ ])  # RFC 5424
              | (?<![\w:-])\d{{4}}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d{{1,9}})?(?:Z|[+-]\d\d:?\d\d)?[ ]  # ISO
                (?!(?i:info|warn|warning|error|debug|trace|fatal|notice|crit|critical)[ ])
                {HOST}(?=[ ][\w./-]{{1,64}}\[\d{{1,10}}\]:)
              | \d{{10}}[ ]\d{{4}}\.\d\d\.\d\d[ ]{HOST}(?=[ ]{_MONTH}[ ])                # Thunderbird/BGL dumps
                # systeminfo / hostnamectl / label lines, env dumps, JSON keys (Sentry's server_name)
              | (?<![^\n\r \t])(?:Host[ ][Nn]ame|Computer[ ]Name|Hostname|Static[ ]hostname|MachineName|Machine[ ]name
                  |Node[ ]name|ComputerName):[ \t]{{1,40}}{HOST}(?=[ \t]*(?:\r?\n|\Z))
              | (?<![\w$])(?:HOSTNAME|COMPUTERNAME|USERDOMAIN|LOGONSERVER)=(?:\\\\)?{HOST}(?![\w.-])
              | "(?:hostname|host_name|hostName|server_name|serverName|computer_name|computerName|machine_name
                  |machineName|nodename|node_name|nodeName)"\s?:\s?"[A-Za-z0-9][A-Za-z0-9-]{{0,62}}(?=")
                # Java's InetSocketAddress: host/1.2.3.4:port (Hadoop, Kafka, ZooKeeper clients)
              | (?<![\w./@:-])[A-Za-z](?=[A-Za-z0-9-]{{0,62}}[\d-])[A-Za-z0-9-]{{1,62}}   # not Chrome/130.0.0.0
                (?=/(?:\d{{1,3}}\.){{3}}\d{{1,3}}(?::\d{{1,5}})?(?![\w.]))
                # ssh's known-hosts messages; MySQL's 'user'@'host' and Host 'x' is blocked
              | Permanently[ ]added[ ]'\[?{HOST}(?=[\],'])
              | authenticity[ ]of[ ]host[ ]'\[?{HOST}(?=[\] ])
              | Connection[ ]to[ ]{HOST}(?=[ ](?:closed|port[ ]\d))
              | '@'(?![\d.]+')(?!%')(?!localhost')(?!127\.){HOST}(?=')
              | Host[ ]'(?![\d.]+')(?!localhost'){HOST}(?='[ ]is[ ](?:blocked|not[ ]allowed))
                # Windows DOMAIN\\user (whoami, Event Viewer, SQL Server, runas): the NetBIOS domain is upper case
              | (?<![\w\\.$%/:-])
                (?!(?:HK[A-Z]{{1,3}}|HKEY_[A-Z_]{{1,20}}|AUTHORITY|APPPOOL|SERVICE|BUILTIN|WINDOWS|SYSTEM32)\\)
                [A-Z][A-Z0-9-]{{1,14}}\\(?=[\w.-]{{0,19}}[a-z])[A-Za-z][\w.-]{{0,19}}(?=[\s'",;)\]]|\Z)
                # Kubernetes: Successfully assigned ns/pod to <node>; ... on node <node>
              | Successfully[ ]assigned[ ][\w.-]{{1,253}}/[\w.-]{{1,253}}[ ]to[ ]{HOST}(?![\w.-])
                # resolver errors name a single-label machine (a FQDN there is a public service and stays)
              | (?:getaddrinfo[ ](?:ENOTFOUND|EAI_AGAIN)|Could[ ]not[ ]resolve[ ]host:|UnknownHostException:
                  |Unknown[ ](?:MySQL[ ])?server[ ]host|could[ ]not[ ]translate[ ]host[ ]name|Could[ ]not[ ]connect[ ]to
                  [ ]Redis[ ]at|Failed[ ]to[ ]resolve|dial[ ]tcp:[ ]lookup)[ ]['"]?
                [A-Za-z][A-Za-z0-9-]{{0,62}}(?![\w.-])
              | connect[ ]to[ ]host[ ][A-Za-z][A-Za-z0-9-]{{0,62}}(?=[ ]port[ ]\d)      # ssh, single label
              | Connecting[ ]to[ ][A-Za-z][A-Za-z0-9-]{{0,62}}(?=[ ]\[)
              | Could[ ]not[ ]resolve[ ]hostname[ ][A-Za-z][A-Za-z0-9-]{{0,62}}(?=:)
            )
        """,
        rewrite=_rewrite_logged_host,
        reports=("hostname", "username"),
        matches=("Feb 6 16:27:08 tobiasvinter kernel: [71910.873115]", "Apr 10 18:01:15 quarry-app2 sshd[5001]: x",
                 "Jun 13 21:48:06 ravenhill dovecot: pop3-login: Disconnected",
                 "Feb 6 12:02:29 nimbus vsftpd(pam_unix)[15522]: authentication failure",
                 "2024-03-01T10:00:01.123456+00:00 web-03 nginx[812]: start", "Computer:      GRUNTBOX\n",
                 "User:          MARLOWE\\nephew\nComputer:      Marlowe",
                 "ssh: connect to host homelab port 22: Connection refused", "debug1: Connecting to nas01 [10.0.0.4]",
                 "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed",
                 "2024-03-01 10:00:01 kestrel sshd[123]: Accepted publickey",
                 "- 1131566516 2005.11.09 tbird-mgt8 Nov 9 12:01:56 local@tbird-mgt8 postfix/postdrop[6225]:",
                 "Host Name:                 WKS-ACCT-12\nOS Name:", "   Static hostname: orion-lab\n",
                 "COMPUTERNAME=KIMS-LAPTOP", '"server_name": "ip-172-31-9-14"',
                 "Address change detected. Old: msrb-sa-17/10.5.206.246:9000",
                 "Warning: Permanently added 'buildhost-03,10.1.2.3' (ECDSA) to the list of known hosts.",
                 "The authenticity of host 'nas01 (192.168.1.20)' can't be established.",
                 "Connection to devbox closed.",
                 "Access denied for user 'app'@'workstation-12' (using password: YES)",
                 "Host 'dbclient7' is blocked because of many connection errors",
                 "Successfully assigned default/web-7d4 to gke-acme-prod-default-pool-1a2b3c4d-x9z8",
                 "getaddrinfo ENOTFOUND mongo-staging-2", "curl: (6) Could not resolve host: kims-nas",
                 "dial tcp: lookup pg-billing-03 on 127.0.0.11:53: no such host", "PS> whoami\nACMECORP\\jdoe\n", "Logon failure: CONTOSO\\rkumar (0xC000006D)"),
        must_not_match=("Jun 12 13:33:57 localhost sshd[18900]: Illegal user admin", "Feb 6 16:27:08 up 3 days",
                        "ssh: connect to host github.com port 22: Connection refused", "User:          N/A",
                        "Computer: the machine crashed", "2024-03-01 10:00:01 INFO main[1]: up",
                        "Linux kernel 5.15 is out", "Connection to github.com closed by remote host.",
                        "Access denied for user 'app'@'localhost'", "Access denied for user 'app'@'10.0.0.4'",
                        "getaddrinfo ENOTFOUND registry.npmjs.org", "Could not resolve host: github.com",
                        "getaddrinfo ENOTFOUND redis", "Successfully assigned default/web to minikube",
                        "localhost/127.0.0.1:8080",
                        "Connect to repo.maven.apache.org:443 [repo.maven.apache.org/151.101.4.215]",
                        "NT AUTHORITY\\NetworkService", "IIS APPPOOL\\DefaultAppPool",
                        "HKLM\\Software", r"C:\Windows\System32\drivers"),
    ),
)
