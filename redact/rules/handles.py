"""What account and machine names look like, which ones name nobody, and the cues before an account name that
also occur in prose and code (where a dictionary word or a service account after them is no person's account)."""

from __future__ import annotations

import re

# Accounts every machine of a kind has (CI runners, cloud images, containers, services): they name nobody.
GENERIC_ACCOUNTS = frozenset(
    """root admin administrator user users guest test testuser demo default public shared nobody daemon
    runner runneradmin ubuntu debian centos fedora ec2-user azureuser opc cloud-user core vagrant pi
    docker jenkins gitlab-runner buildkite circleci travis vsts builder build ci git www-data nginx apache
    httpd postgres mysql oracle redis mongodb elasticsearch deploy deployer app node jovyan codespace
    gitpod vscode coder developer dev sa system localsystem networkservice localservice me
    admin1 ftp ftpuser anonymous mail kali replicator replication repl readonly readwrite monitor monitoring backup
    service svc yarn hdfs hadoop spark hive mapred zookeeper kafka
    aws oauth2 x-access-token x-token-auth _json_key _token __token__ oauthaccesstoken gitlab-ci-token
    dependabot dependabot-preview renovate renovate-bot greenkeeper snyk-bot pre-commit-ci github-actions imgbot
    allcontributors mergify
    bin sys sync games man lp news uucp proxy list irc gnats systemd-network systemd-resolve systemd-timesync
    systemd-coredump messagebus polkitd uuidd avahi avahi-autoipd colord gdm lightdm sddm ntp chrony named bind squid
    smmsp postfix dovecot dovenull sshd tss rtkit pulse saned usbmux geoclue dnsmasq tcpdump libvirt-qemu qemu kvm
    tomcat tomcat8 tomcat9 nagios zabbix munin prometheus grafana gitlab gitlab-psql git-daemon hacluster logstash
    kibana apache2 lxd haldaemon operator nfsnobody rpc rpcuser mailnull cyrus fetchmail clamav amavis spamd
    debian-exim exim unbound openvpn mosquitto influxdb telegraf couchdb rabbitmq memcache memcached solr sonar
    nexus artifactory keycloak minio vault consul nomad mongod opendkim statd cockpit-ws""".split()
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
# An account name as POSIX tools accept it (macOS and Windows allow capitals), and a host name label run.
USER = r"[A-Za-z_][A-Za-z0-9_.-]{0,31}"
HOST = r"[A-Za-z0-9][A-Za-z0-9-]{0,62}(?:\.[A-Za-z0-9-]{1,63}){0,4}"


def plain_word(name: str, roles: bool = True) -> bool:
    """Is a name after a cue no account of a person? A dictionary word that is no given name ("expected",
    "input"; not "john"), a dotted code expression that starts with one (`request.user`, `self.login`), a short
    acronym (`PID`, `UID`), or a service account named after its role (`app_user`, `svc-backup`, `web-admin`):
    every part a word, a role or a number (`roles`; a machine named so is still a customer's: `falcon-web-2`)."""
    from redact.names import load

    if name.lower() in _PLACEHOLDERS or (name.isupper() and len(name) <= 4):
        return True
    if name.isdigit():
        return False  # sshd's "Invalid user 123456": only the formats that allow digits let one through
    data = load()

    def word(part: str) -> bool:
        low = part.lower()
        return low in _ROLES or low in GENERIC_ACCOUNTS or part.isdigit() or (
            low in data.english and part.capitalize() not in data.first)

    if "." in name:
        return word(name.split(".", 1)[0])
    parts = [p for p in _PARTS.split(name) if p] if roles else [name]
    return bool(parts) and all(word(p) for p in parts)


_PARTS = re.compile(r"[_-]+")
_ROLES = frozenset("""app api svc srv service bot db sa ro rw dev prod stg staging qa ci cd web admin sys sql tmp usr
    acc acct mgr ops k8s kube etl bi dw dba rpt sync auth iam sso ldap smtp imap ftp sftp www cron batch job jobs
    worker agent runner robot automation integration""".split())
_PLACEHOLDERS = frozenset("none null nil undefined unknown true false n/a na empty anon".split())


# Cues that also occur in prose and code: what follows them is an account only when it is no dictionary word.
BROAD_CUE_PATTERN = rf"""
    (?:
        # auth results: Logged in as X, signed in as X, authenticated as unix-user:X (polkit), running as user X
        (?i:logged[ ]in|logged[ ]on|signed[ ]in|authenticated|running|connected|login[ ]successful)
        [ ]as:?[ ](?:(?i:user):?[ ]|unix-user:)?['"`]?{USER}(?<!\.)(?![\w@-]|\.\w)
        # PAM/sshd/apps: Authentication failure for X from, login failed for user X, Login attempt by X
      | (?i:authentication|auth|login|logon|sign-?in)[ ](?:failure|failed|error|attempt)[ ](?:for|by)[ ]
        (?:(?:invalid|illegal|unknown)[ ]user[ ]|user:?[ ])?['"]?{USER}(?<!\.)(?=['"]?(?:[ ,;)]|\.?(?:\s|\Z)))
        # User X from 1.2.3.4 not allowed (sshd AllowUsers), user X not found, Account X is locked
      | (?<![\w.-])(?:[Uu]ser|USER|[Aa]ccount)[ ]['"`]?{USER}
        (?=['"`']?[ ](?:not[ ]found|from[ ][\w.:]{{3,45}}[ ]not[ ]allowed|does[ ]not[ ]exist|doesn't[ ]exist
          |is[ ](?:not[ ]|locked|disabled|expired|unknown)|not[ ]allowed|has[ ]been[ ](?:locked|created|deleted)
          |(?:was[ ])?(?:successfully[ ])?(?:logged|authenticated|locked|created|deleted)|cannot[ ]|can't[ ]))
        # key: value and key=value lines: user: X, username=X, Owner: X, sasl_username=X, ansible_user=X, acct="X"
      | (?<![\w.$@/-])(?:[a-z]{{1,12}}_)?(?i:user(?:[ _-]?name)?|login(?:[ _-]?name)?|logon[ ]name|owner
          |account(?:[ _-]?name)?|process[ ]owner|acct)[ \t]{{0,24}}[:=][ \t]{{0,24}}['"]?(?!unix-user:){USER}
        (?<!\.)(?=['"](?:\s|\Z|[,;)\]}}&])|(?<!['"][\w.-])(?:[ \t]*(?:\r?\n|\Z)|[,;)\]}}&]|[ ][\w.-]{{1,20}}=
          |[ ](?:from|on|at|via|@|\(|\[|with|ip|rhost|host|uid|tty|pid)[ ]))
      | --(?:username|login|owner)[ =]['"]?{USER}(?<!\.)(?![\w@.-])          # not pip's valueless --user flag
      | --user=['"]?{USER}(?<!\.)(?![\w@.-])
        # commands that take an account: su X, sudo -u X, passwd X, useradd -m X, chown X:group (clients: username.flag)
      | (?:(?<![^\s$#>`(])(?:su|passwd|useradd|adduser|userdel|deluser|usermod|chage|finger|pkill[ ]-u|crontab[ ]-u
          |loginctl[ ](?:enable-linger|user-status|terminate-user)|net[ ]user)
          [ ](?:-[ ])?(?:-{{1,2}}[A-Za-z][\w-]{{0,20}}(?:[ =][^\s-][^\s]{{0,80}})?[ ]){{0,4}}
        | (?:sudo|doas)[ ](?:-[A-Za-z][ ]){{0,3}}-u[ ]
        | sudo[ ]su[ ](?:-[ ])?
        | (?<![\w-])chown[ ](?:-[A-Za-z]{{1,3}}[ ]){{0,2}}(?=[\w.-]{{1,32}}[:.][\w$]))
        ['"]?{USER}(?<!\.)(?=['"]?(?:[ :]|\Z|\r?\n))
        # syslog programs that print the account their own way
      | (?:CRON|crond|crontab|anacron)\[\d{{1,10}}\]:[ ]\({USER}
        (?=\)[ ](?:CMD|LIST|REPLACE|BEGIN|END|DELETE|RELOAD|MAIL|INFO|ORPHAN))              # CRON[42]: (X) CMD
      | (?:imap|pop3|lmtp|managesieve|submission|doveadm)\({USER}(?=[)@])                     # dovecot: imap(X):
      | (?<![\w-])\[{USER}(?=\][ ](?:OK|FAIL)[ ](?:LOGIN|UPLOAD|DOWNLOAD|MKDIR|RENAME|DELETE|RMDIR))  # vsftpd
      | [ ]-[ ]USER[ ]{USER}(?=(?:[ ]\([\w ]{{1,40}}\))?:[ ])                            # proftpd: - USER X: Login
      | (?:Successful|FAILED)[ ]su[ ]for[ ][\w.-]{{1,32}}[ ]by[ ]{USER}(?<!\.)(?![\w-])     # su: the caller,
      | (?:Successful|FAILED)[ ]su[ ]for[ ]{USER}(?=[ ]by[ ])                              # then the target
      | (?<![^\s])[+-][ ](?:pts/\d{{1,4}}|tty\w{{1,6}}|\?{{1,3}}|console)[ ]{USER}(?=:[\w.-])     # su: + pts/0 X:root
      | FAILED[ ]LOGIN[ ]\(?\d{{1,3}}\)?[ ](?:FROM|ON)[ ][^\s]{{1,64}}[ ]FOR[ ]{USER}(?<!\.)(?![\w-])  # login(1)
      | LOGIN[ ]ON[ ][^\s]{{1,32}}[ ]BY[ ]{USER}(?<!\.)(?![\w-])
      | User[ ]Slice[ ]of[ ]{USER}(?<!\.)(?![\w-])                                    # systemd: User Slice of X
      | (?:Adding|Removing)[ ](?:new[ ])?(?:user|group)[ ][`'‘]{USER}(?=['’])              # adduser / deluser
      | Changing[ ]password[ ]for[ ](?:user[ ])?{USER}(?<!\.)(?![\w-])                    # passwd
      | (?<![^\n\r])User[ ]name[ ]{{2,40}}{USER}(?=[ \t]*(?:\r?\n|\Z))                       # net user X
      | with[ ]PID[ ]\d{{1,10}}[ ]\([^\n()]{{1,300}}?[ ]started[ ]by[ ]{USER}(?=[ ]in[ ])        # Spring Boot banner
      | (?<![\w-])(?:id|groups|finger|su|sudo|chage|crontab|getent|chown|chgrp):[ ](?:invalid[ ]user:[ ])?
        ['‘`"]{USER}(?=['’"](?::[ ]no[ ]such[ ]user|[ \t]*(?:\r?\n|\Z)))          # id: 'x': no such user
        # prompt themes that spell it out: starship "X in ~/src", ys/bira "# X @ host in ~/src", "X at host in ~/src"
      | (?<![^\n\r])(?:\#[ ])?{USER}(?=[ ](?:@|at)[ ][\w.-]{{1,64}}[ ]in[ ][~/])
      | (?<![^\n\r]){USER}(?=[ ]in[ ][~/][^\s]{{0,100}}(?:[ ]on[ ]|[ ]?(?:\r?\n|\Z)))
        # git and code hosts: user.name "X", a handle alone on an Author:/Reviewed-by: line, the issue timeline
      | user\.name[ ]['"]{USER}(?=['"])
      | (?<![^\n\r \t])(?:(?i:author|committer|reviewed-by|assignee|reporter):|(?i:opened[ ]by|assigned[ ]to):?)
        [ ]['"]?{USER}(?=['"]?[ \t]*(?:\r?\n|\Z))
      | (?<![^\n\r]){USER}(?=[ ](?:commented[ ]on|opened[ ]this|closed[ ]this|reopened[ ]this|merged[ ]commit
          |approved[ ]these|requested[ ]changes|requested[ ]a[ ]review|mentioned[ ]this|force-pushed|self-assigned
          |added[ ](?:a[ ])?commits?[ ]|pushed[ ]\d))
      | \$env:USER(?:NAME)?[ ]?=[ ]?['"]?{USER}(?=['"]?(?:\s|\Z))
    )
"""
