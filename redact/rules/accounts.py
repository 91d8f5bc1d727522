"""Account and machine names where programs print them: shell prompts, sshd/sudo/git/database log lines."""

from __future__ import annotations

import re

from redact.rules.base import Context, Rule
from redact.rules.handles import (
    BROAD_CUE_PATTERN,
    GENERIC_ACCOUNTS,
    GENERIC_HOSTS,
    HOST,
    PUBLIC_HOSTS,
    USER,
    plain_word,
)

_USER_AT_HOST = re.compile(rf"(?P<user>{USER})[@㉿](?P<host>{HOST})?")
_HOST_COLON = re.compile(rf"(?P<host>{HOST}):")
_MAC_PROMPT_USER = re.compile(rf"[ ](?P<user>{USER})(?=[$#]\Z)")


def private_user(name: str) -> bool:
    """Not a generic or system account (macOS names its daemons' accounts `_www`, `_mysql`), nor our own token."""
    return name.lower() not in GENERIC_ACCOUNTS and not name.startswith(("[", "_"))


def private_host(name: str) -> bool:
    low = name.lower()
    return low not in GENERIC_HOSTS and low not in PUBLIC_HOSTS and not name.startswith("[")


def user_token(name: str, ctx: Context, rule_id: str) -> str:
    if not private_user(name):
        return name
    ctx.learn(name, rule_id)
    return ctx.hit(rule_id)


def host_token(name: str, ctx: Context) -> str:
    if not private_host(name) or not ctx.on("hostname"):
        return name
    ctx.learn(name, "hostname")
    return ctx.hit("hostname")


def _rewrite_prompt(text: str, ctx: Context) -> str | None:
    """user@host prompts (bash, zsh, fish, Git Bash, RHEL) and macOS bash's `Host:dir user$`."""
    m = _USER_AT_HOST.search(text)
    if m is not None:
        at = text[m.end("user")]
        new = user_token(m["user"], ctx, "prompt") + at + (host_token(m["host"], ctx) if m["host"] else "")
        head = text[: m.start()]  # `ssh -i <key path> ` before an ssh target: every rule, the path rules too
        return (ctx.rescan(head, ctx) if head else "") + new + ctx.inner(text[m.end() :], ctx)
    m_host, m_user = _HOST_COLON.match(text), _MAC_PROMPT_USER.search(text)
    if m_host is None:
        return None
    if m_user is None:  # host: ~/dir$
        return host_token(m_host["host"], ctx) + ":" + ctx.inner(text[m_host.end() :], ctx)
    middle = ctx.inner(text[m_host.end() : m_user.start("user")], ctx)
    user = user_token(m_user["user"], ctx, "prompt")
    return host_token(m_host["host"], ctx) + ":" + middle + user + text[m_user.end() :]


def _english(word: str) -> bool:
    from redact.names import load  # the word list lives with the name finder; loaded once, shared

    return word.lower() in load().english or word.lower().rstrip("s") in load().english


# IAM names (after a slash) also hold +=,.@
_NAME_AT_END = re.compile(r"(?:(?<=/)[\w+=,.@-]{1,64}|[A-Za-z0-9_.-]{1,64})(?=['\"!]?\Z)")


def _rewrite_named(text: str, ctx: Context) -> str | None:
    """Log lines: every alternative ends with the account name (and maybe its quote); only the name goes."""
    m = _NAME_AT_END.search(text)
    if m is None:
        return None
    if text[:4].lower() in ("for ", "of u") and _english(m.group()):
        return None  # "failed for user input", "a list of user accounts"
    name = m.group()
    if plain_word(name):  # "running as expected", "user: null", "owner: self.owner", "the user account is locked"
        return ctx.inner(text[: m.start()], ctx) + text[m.start() :]
    return ctx.inner(text[: m.start()], ctx) + user_token(name, ctx, "username") + text[m.end() :]


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
        # id: uid=1000(alice) gid=1000(alice); stat: Uid: ( 1000/   alice)
      | (?:uid|gid|euid)=\d{{1,10}}\({USER}(?=\))
      | [UG]id:[ ]\([ ]{{0,8}}\d{{1,10}}/[ ]{{0,10}}{USER}(?=\))
        # sudo's prompt and refusal: [sudo] password for alice: / alice is not in the sudoers file
      | \[sudo\][ ]password[ ]for[ ]{USER}(?=:)
      | (?<![\w.-]){USER}(?=[ ]is[ ]not[ ]in[ ]the[ ]sudoers[ ]file)
        # FTP session transcripts (curl -v, ftp): > USER alice / 331 Password required for alice
      | (?:(?<![^\n\r])|(?<=>[ ]))USER[ ]{USER}(?=[ \t]*(?:\r?\n|\Z))
      | 331[ ](?:Password[ ]required[ ]for|User)[ ]{USER}(?<!\.)(?![\w-])
        # Windows security events: Account Name:  alice (the domain line is the machine's)
      | (?<![^\n\r \t])(?:Account[ ]Name|User[ ]Name|Logon[ ]User):[ \t]{{1,40}}{USER}(?=[ \t]*(?:\r?\n|\Z))
        # JSON the code hosts and registries send: GitHub's "login", npm's maintainers and _npmUser
      | "(?:login|username|userName|user_name)"\s?:\s?"{USER}(?=")
      | "(?:_npmUser|maintainers)"\s?:\s?\[?\{{"name"\s?:\s?"{USER}(?=")
        # unquoted "for user alice" / "of user alice" (a dictionary word there is prose: "for user data")
      | (?:[Ff]or|[Oo]f)[ ]user[ ]{USER}(?<!\.)(?![\w-]|\.\w)
        # whoami's answer on the next line; an /etc/passwd or getent line; git config -l's user.name=
      | whoami[ \t]{{0,4}}\r?\n{USER}(?=[ \t]*(?:\r?\n|\Z))
      | (?<![^\n\r]){USER}(?=:x:\d{{1,10}}:\d{{1,10}}:)
      | (?<![\w.-])user\.name={USER}(?=[ \t]*(?:\r?\n|\Z))
        # Spark's SecurityManager: Changing view acls to: yarn,alice / users with view permissions: Set(yarn, alice)
      | acls[ ]to:[ ](?:[\w.-]{{1,32}},){{0,4}}{USER}(?=[ \t]*(?:\r?\n|\Z))
      | permissions:[ ]Set\((?:[\w.-]{{1,32}},[ ]){{0,4}}{USER}(?=\))
        # JSON and JS object keys, key=value log fields, double-quoted "user" messages
      | "(?:UserName|userName)"\s?:\s?"{USER}(?=")
      | (?<![\w.])(?:username|userName|user|login):[ ]['"]{USER}(?=['"])
      | (?<=[ ;,(])(?:username|user_name|login)=(?<![\w.-]username=)(?<![\w.-]login=){USER}(?![\w.@-])
      | (?:[Ff]or[ ]user|[Uu]ser):?[ ]"{USER}(?="(?:[ ]|\.|,|\Z))
      | (?:user[ ]?name|login)[ ](?:that[ ]has[ ]been[ ]provided[ ])?was[ ]["']{USER}(?=["'])
      | User[ ]{USER}(?=[ ]does(?:n't|[ ]not)[ ]exist)
      | user[ ](?:denied|allowed):[ ]{USER}(?=[ ]\()
      | [Aa]uthenticate[ ]{USER}(?=@[\w.-]{{1,64}}[ ]with[ ]mechanism)                    # MongoDB
      | {USER}(?=[ ]\[[\d.:a-fA-F]{{3,45}}\][ ]authentication[ ]fail)
        # Common/Combined Log Format: <client> - <authuser> [10/Oct/2000:13:55:36 -0700] "GET ..."
      | [\d.:a-fA-F]{{3,45}}[ ]-[ ]{USER}(?=[ ]\[\d{{1,2}}/[A-Z][a-z]{{2}}/\d{{4}}:)
        # LDAP distinguished names: uid=alice,ou=people / CN=alice,OU=Finance
      | (?<![\w])(?i:uid|cn)={USER}(?=,(?i:ou|dc|o)=)
        # localized "login:" cues at the end of a line (логин - x, 用户名：x, Benutzername: x)
      | (?:логин|Логин|用户名|用戶名|ユーザー名|사용자[ ]?이름|Benutzername|identifiant|usuario)[ ]?[-:：][ ]?{USER}
        (?=[ \t]*(?:\r?\n|\Z))
        # environment dumps: USER=alice, LOGNAME=alice, SUDO_USER=alice, USERNAME=alice
      | (?:U(?<![\w$]U)SER(?:NAME)?|L(?<![\w$]L)OGNAME|S(?<![\w$]S)UDO_USER|G(?<![\w$]G)IT_(?:AUTHOR|COMMITTER)_NAME)
        ={USER}(?![\w.-])
      | {BROAD_CUE_PATTERN}
    )
"""


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
        id="person.header",
        needs=r"@",
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
        id="prompt",
        needs=r"[@:㉿]",
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
                      | [ ]{{1,3}}~                              # agnoster/powerline: user@host  ~/dir
                      | %(?:[ ]|\Z)                                # zsh's default PS1: user@host%
                      | \.\(none\)                              # git: unable to auto-detect email (got 'u@h.(none)')
                      | :[ ]Permission[ ]denied                   # ssh: user@host: Permission denied (publickey)
                      | :\d{{1,5}}(?!\d)                        # user@host:port (Hadoop, JDBC)
                      | [ ](?:MINGW(?:32|64)|MSYS|UCRT64|CLANG64|CLANGARM64)(?:\s|\Z)  # Git Bash
                      | [ ]{{1,2}}[~/][^\s]{{0,100}}[ ]?[%>$\#](?:[ ]|\Z)         # zsh, fish
                      | [ ][^\n%$\#>]{{1,60}}?[ ][%$\#>](?:[ ]|\Z)             # zsh %1~ with spaces: "node js %"
                      | [ ][^\]\n]{{1,100}}\][$\#]                 # RHEL [user@host dir]$
                    )
                )
              | (?:ssh|scp|sftp|rsync|mosh|sshfs|ssh-copy-id)(?:\.exe)?["']?[ ]  # the target of an ssh-family
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
                 "rsync -avz ./dist/ deploy@web01:/srv/www/", "fatal: unable to auto-detect email address "
                 "(got 'kmorgan@kims-mbp.(none)')", "rkumar@buildbox: Permission denied (publickey).",
                 "hana@zenbook  ~/src/app   main ", "kmorgan@nas07% ls"),
        must_not_match=("root@localhost:~# ls", "git@github.com:owner/repo.git", "mail bob@example.com today",
                        "user@host", "https://user@example.com:/x", "12:30:45 done$", "see note: 50$ fee",
                        "root@10.0.0.5", "git@10.0.0.5:repo.git", "ssh -T git@github.com",
                        "┌──(kali㉿kali)-[~]", "ssh -o StrictHostKeyChecking=no host.example"),
    ),
    Rule(
        id="username",
        token="[user]",
        why="account names in the log lines that print them: sshd, pam, sudo, git hosts' permission messages, "
        "git credential prompts, MySQL/PostgreSQL authentication errors, USER=/LOGNAME= in environment dumps; and "
        "after cues that also occur in prose (logged in as, authentication failure for, user: / owner= keys, su, "
        "passwd, sudo -u, mysql -u, cron, dovecot, vsftpd, login(1)) unless a word or a role account follows",
        # never the local part of an e-mail address (the e-mail rule takes it whole); user@db (MongoDB) stays
        pattern=_LOG_USER_PATTERN + r"(?!@[\w-]+(?:\.[\w-]+)+)",
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
                 "User: arn:aws:sts::123456789012:assumed-role/AdminRole/jane.doe@example.com is not authorized",
                 "uid=1000(mkaplan) gid=1000(mkaplan) groups=1000(mkaplan),27(sudo)",
                 "Access: (0644/-rw-r--r--)  Uid: ( 1001/  tnguyen)   Gid: ( 1001/  tnguyen)",
                 "[sudo] password for lbecker: ",
                 "ebrandt is not in the sudoers file.  This incident will be reported.",
                 "> USER olsenk\r\n< 331 Password required for olsenk", "Account Name:\t\tjvarga\n",
                 '"login": "octo-hana",', '"maintainers":[{"name":"dwrenrich","email":"x"}]',
                 "Authentication failed for user rpatel", "$ whoami\nhkowalczyk\n",
                 "tvoss:x:1001:1001:Tanja Voss,,,:/home/tvoss:/bin/bash", "user.name=jmarlow\nuser.email=x",
                 "INFO spark.SecurityManager: Changing view acls to: yarn,mhoang\n",
                 '"UserName":"gfournier","AgentID":"1fde3dd1"',
                 'credentials: MongoCredentials {\n username: "jgijon_app",', "Failed Login: username=mkowalczyk ip=x",
                 'DEBUG [-] User "okonkwo.e" doesn\'t exist', "[conn5] Failed to authenticate lbertrand@reporting with "
                 "mechanism SCRAM-SHA-1", '10.0.0.2 - akiko [18/Nov/2018:21:34:30 +0000] "GET / HTTP/2.0" 401',
                 'login = "uid=pnaidoo,ou=users,dc=mail,dc=example,dc=org"', "логин - mkrylov88\n",
                 'The user name that has been provided was "erikssonj", from 80.10.11.12.',
                 "user denied: jbauer (mysql-denied) from 192.0.2.1", "LOGIN FAILED for user: \"bsilvestri\" from",
                 "polkitd[1]: Operator of unix-session:2 successfully authenticated as unix-user:dkoval to gain",
                 "error: PAM: Authentication failure for dkoval from 10.0.0.1", "Logged in as: mtanaka",
                 "User vbarros from 10.0.0.4 not allowed because not listed in AllowUsers", "username: hkowal\n",
                 "sasl_method=PLAIN, sasl_username=dkoval", "su - jtanaka", "sudo -u pmarsh bash", "passwd rvoss",
                 "CRON[211]: (dkoval) CMD (/home/x/bin/backup.sh)", "imap(kfischer): Logged out",
                 "vsftpd[1]: [olsenk] OK LOGIN: Client \"10.1.1.1\"", "LOGIN ON tty1 BY mbecker",
                 "Adding user `hsato' ...", "using Java 17 on host with PID 4 (/a.jar started by ikim in /)",
                 "id: 'rvoss': no such user", "# jtanaka @ devbox in ~/src [12:00:01]", "jtanaka in ~/src on main",
                 'git config user.name "jtanaka"', "Author: jtanaka\n", "jtanaka commented on Jan 5, 2024"),
        must_not_match=("authentication failure for alice.ng@example.com", "logged in as jane.doe@example.com",
                        "Illegal user admin from 219.254.31.117", "Accepted publickey for deploy from 10.0.4.23",
                        "USER=root", "Access denied for user 'root'@'localhost'", "role \"postgres\" does not exist",
                        "permission denied for table users", "user $USER",
                        "fatal: could not read Username for 'https://github.com': terminal prompts disabled",
                        "drwxr-xr-x 2 root root 4096 Nov 15 02:12 ./",
                        "session opened for user root by (uid=0)", "New session 3 of user root.",
                        "Disconnected from user root 10.0.0.2 port 22", "GET /api?user=kim HTTP/1.1",
                        "uid=0(root) gid=0(root)", "replication connection authorized: user=replicator",
                        "validation failed for user input", "a list of user accounts",
                        '"login": "root"', "[sudo] password for root:", '127.0.0.1 - - [18/Nov/2018:21:34:30 +0000]',
                        "Changing view acls to: yarn", 'the "user" field', "cn=admin,dc=example,dc=org",
                        '"user": "abc-123"', "Service is running as expected", "user: null\n", "owner: self.owner\n",
                        "pip install --user requests", "sudo -u postgres psql", "user = app_user\n",
                        "The user account has been locked", "Running as PID 1234",
                        "Directory 'node_modules' does not exist", "docker login -u AWS --password-stdin",
                        "installed in ~/bin", "Author: unknown\n", "Fetched 20 posts for author ecency"),
    ),
)
