"""Machine names where logs print them: syslog headers, Event Viewer and systeminfo lines, ssh, MySQL, Kubernetes
and resolver messages, Windows DOMAIN\\user."""

from __future__ import annotations

import re

from redact.rules.accounts import host_token, user_token
from redact.rules.base import Context, Rule
from redact.rules.handles import HOST, USER, plain_word

# Single-label names in resolver errors that are a compose service or a default, not a machine someone named.
SERVICE_NAMES = frozenset(
    """db database postgres postgresql pg mysql mariadb mongo mongodb redis memcached rabbitmq kafka zookeeper
    elasticsearch opensearch kibana minio localstack nginx traefik api app web backend frontend server proxy
    gateway worker cache broker queue vault consul etcd registry ldap smtp mail mailhog keycloak selenium hub
    mssql sqlserver oracle cassandra influxdb grafana prometheus jaeger host node primary replica example""".split()
)

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
# Every alternative ends with the machine name, or DOMAIN\\user: the name is the run at the end.
_LOGGED_HOST = re.compile(r"(?:(?P<domain>[A-Za-z0-9][A-Za-z0-9.-]{0,254})\\)?(?P<host>[\w][\w.-]{0,254})\Z")


# Node names local Kubernetes distributions give by default.
_DEFAULT_NODE = re.compile(r"[\w-]{0,40}-?(?:control-plane|worker)\d{0,3}|k3d-[\w-]{1,60}|minikube(?:-m\d{1,3})?"
                           r"|docker-desktop"
                           r"|microk8s|(?:node|worker|master|agent|server)-?\d{0,3}", re.IGNORECASE)


def _rewrite_logged_host(text: str, ctx: Context) -> str | None:
    """syslog / Event Viewer / ssh lines: the timestamp or label stays, the machine (and DOMAIN\\user) go."""
    m = _LOGGED_HOST.search(text)
    if m is None or m["host"].lower() in SERVICE_NAMES or m["host"].isdigit() or _DEFAULT_NODE.fullmatch(m["host"]) \
            or m["host"].lower() in DEVICE_DEFAULTS:
        return None
    domain = host_token(m["domain"], ctx) + "\\" if m["domain"] else ""
    name = user_token(m["host"], ctx, "username") if m["domain"] else host_token(m["host"], ctx)
    head = text[: m.start()]  # a timestamp or a label; dnsmasq's lines also hold an address and a MAC
    return (ctx.inner(head, ctx) if head else "") + domain + name


# A single-label name (no dot) where a program prints the machine it reached or runs on: public services always
# have a domain, so a bare label there is a LAN machine, a cluster node or a container the user named.
_LABEL = r"[A-Za-z][A-Za-z0-9-]{0,62}"
_LAST_NAME = re.compile(r"[\w][\w.-]{0,254}\Z")


def machine_label(name: str) -> bool:
    """Does a name in a host position name a machine? Not a compose service, a default node or a dictionary word
    ("on host machine"); the generic and public host lists are host_token's."""
    return not (name.lower() in SERVICE_NAMES or name.lower() in DEVICE_DEFAULTS or _DEFAULT_NODE.fullmatch(name)
                or _NUMERIC.fullmatch(name) or plain_word(name, roles=False))


# What a device reports before its owner names it, and what a program writes when it does not know the name.
DEVICE_DEFAULTS = frozenset("iphone ipad ipod android pixel galaxy mac macbook imac pc computer unknown none null "
                            "undefined n/a".split())
_NUMERIC = re.compile(r"[\d.:]+")  # an address: the IP rules read it


def _rewrite_context_host(text: str, ctx: Context) -> str | None:
    """The machine name ends the match; a service name, a default node or a dictionary word stays."""
    if text.startswith("aw-"):  # ActivityWatch's bucket id: aw-watcher-window_<host>
        head, _, name = text.rpartition("_")
        head += "_"
    else:
        m = _LAST_NAME.search(text)
        if m is None:
            return None
        head, name = text[: m.start()], m.group()
    if not machine_label(name):
        return None
    return (ctx.inner(head, ctx) if head else "") + host_token(name, ctx)


_CONTEXT_HOST_PATTERN = rf"""
    (?:
        # resolvers and network tools name the machine they could not reach (single label: a FQDN is a service)
        (?<![\w.-])(?:ping|ssh|telnet|nc|host|dig|nslookup|getent|traceroute|mtr|rsync|scp|sftp|ftp|smbclient):[ ]
        {_LABEL}(?=:[ ](?i:Name[ ]or[ ]service[ ]not[ ]known|Temporary[ ]failure|No[ ]address|nodename[ ]nor
          |Unknown[ ]host|unknown[ ]host|Could[ ]not[ ]resolve|Non-recoverable|not[ ]found))
      | not[ ]known:?[ ]['"]{_LABEL}(?=['"])                                   # socket.gaierror: ... not known: 'x'
      | UnknownHostException:[ ](?:Invalid[ ]hostname[ ]for[ ]server:[ ])?{_LABEL}(?![\w.-])  # Java (x: x: ...)
      | No[ ]such[ ]host[ ]is[ ]known\.?[ ]\({_LABEL}(?=:\d{{1,5}}\))             # .NET: No such host is known. (x:443)
      | (?:Connection[ ]refused|Connection[ ]timed[ ]out|timed[ ]out|Host[ ]is[ ]down|No[ ]route[ ]to[ ]host)
        [ ]\({_LABEL}(?=:\d{{1,5}}\))                                              # .NET SocketException (x:8080)
      | ConnectionPool\(host='{_LABEL}(?=',[ ]port=)                              # urllib3 / requests
      | Failed[ ]to[ ]connect[ ]to[ ]{_LABEL}(?=[ ]port[ ]\d)                      # curl (7)
      | (?<![\w-])(?:PING|traceroute[ ]to|tracepath[ ]to|Nmap[ ]scan[ ]report[ ]for|\d{{1,5}}[ ]bytes[ ]from)[ ]
        {_LABEL}(?=[ ]\((?:\d{{1,3}}\.){{3}}\d{{1,3}}\))                            # ping, traceroute, nmap
      | (?:Resolving|Connecting[ ]to)[ ]{_LABEL}(?=[ ]\(|:\d{{1,5}}\.\.\.)           # wget
      | connect[ ]to[ ]//{_LABEL}(?=/)                                             # mount.cifs
      | [Cc]an't[ ]open[ ]display:[ ]{_LABEL}(?=:\d)                                # X11
      | (?:connection[ ]received:[ ]host=|pg_hba\.conf[ ]entry[ ]for[ ]host[ ]"){_LABEL}(?=[ "])  # PostgreSQL
      | Last[ ]login:[ ][^\n]{{10,40}}?[ ]from[ ]{_LABEL}(?![\w.:-])                   # login(1), sshd
        # where a network client connects or a server listens: host:port after a connect or listen word
      | (?i:connect(?:ing|ed|ion)?[ ](?:to|from)|ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ECONNRESET|ENETUNREACH
          |listening[ ]on|running[ ]on|started[ ](?:server[ ])?on|serving[ ]on|bound[ ]to|unreachable)
        [ ](?:(?i:https?|wss?|tcp)://)?{_LABEL}(?=:\d{{2,5}}(?![\d:.\w]))
        # the machine a program says it runs on: Spring Boot's banner line, CI runners and agents, "on host x"
      | using[ ]Java[ ][\w.+-]{{1,20}}[ ]on[ ]{HOST}(?=[ ]with[ ]PID[ ]\d)
      | (?:[Oo]n|[Ff]rom|[Tt]o)[ ]host[ ]['"]?{_LABEL}(?=['"]?(?:[ ,:;.)]|\Z|\r?\n)(?![\w-]))
      | (?<![^\n\r \t])(?:(?:Runner|Machine|Agent|Agent[ ]machine|Device)[ ][Nn]ame|Host)
        (?::[ \t]{{0,30}}|\t{{1,4}})'?{_LABEL}(?='?[ \t]*(?:\r?\n|\Z))
      | (?<![\w.-])(?:hostname|host_name|server_name|machine_?name|computer_?name|nodename|node_name)['"]?[ ]?[:=][ ]?
        ['"]?{HOST}(?=['"]?(?:[ \t]*(?:\r?\n|\Z)|[,;}}]))
      | (?<![\w.-])(?:[Hh]ost|HOST)(?:['"][ ]?:|[ ]?=|:)[ ]?['"]?{_LABEL}(?=['"]?(?:[ \t]*(?:\r?\n|\Z)|[,;}}]|[ ]port))
      | (?<![\w.-])(?:Environment\.)?MachineName[ ]?[:=][ ]?['"]?{HOST}(?=['"]?(?:\s|\Z|[,;]))
      | (?<![\w.-])(?:Server|Data[ ]Source|Host|Address|Addr)=(?:tcp:)?{_LABEL}(?=[;,\\])     # ADO.NET, Npgsql
      | <Computer>{HOST}(?=</Computer>)                                            # Windows event XML
        # DHCP leases and logs (ISC dhclient/dhcpd): client-hostname "x"; ... (x) via eth0
      | (?:client-hostname|host-name)[ ]"{_LABEL}(?=";)
      | DHCP[A-Z]{{3,8}}[ ](?:on|for)[ ][\d.]{{7,15}}[ ](?:to|from)[ ][0-9a-fA-F:]{{17}}[ ]\({_LABEL}(?=\)[ ]via)
        # ActivityWatch names each bucket after the machine: aw-watcher-window_<host>, aw-watcher-afk_<host>
      | (?<![\w-])aw-(?:watcher|import|server)[a-z-]{{0,30}}_{HOST}(?=['"]?(?:\s|\Z|[,;}}\]]))
        # prompt themes: "X @ host in ~/src", "X at host in ~/src"
      | (?:(?<=[ ]@[ ])|(?<=[ ]at[ ])){_LABEL}(?=[ ]in[ ][~/])
        # getty's login prompt; `hostname` and its answer on the next line
      | (?<![^\n\r]){_LABEL}(?=[ ]login:[ \t]*(?:\r?\n|\Z))
      | (?<![\w-])hostname[ \t]{{0,4}}\r?\n{HOST}(?=[ \t]*(?:\r?\n|\Z))
        # Ansible: ok: [web-2], fatal: [web-2]: UNREACHABLE!, web-2 | SUCCESS =>, PLAY RECAP rows
      | (?:ok|changed|fatal|failed|skipping|unreachable|included|rescued):[ ]\[{HOST}(?=\](?:[ :]|\Z|\r?\n)|[ ]->[ ])
      | (?<![^\n\r]){HOST}(?=[ ]\|[ ](?:SUCCESS|UNREACHABLE!|FAILED!|CHANGED)[ ]=>)
      | (?<![^\n\r]){HOST}(?=[ ]{{1,40}}:[ ]ok=\d)
    )
"""


RULES: tuple[Rule, ...] = (
    Rule(
        id="hostname.log",
        token="[host]",
        why="the machine name in the places log formats put it: the syslog header (RFC 3164 `Mmm dd hh:mm:ss host "
        "prog[pid]:` and RFC 5424 / ISO timestamps), Windows Event Viewer `Computer:` and `User: DOMAIN\\user`, "
        "ssh's `connect to host <name> port` and `Connecting to <name> [ip]` for single-label LAN names",
        pattern=rf"""
            (?:
                (?:(?<![\w:])|(?<=\\n))                                   # (also after a JSON-escaped newline)
                {_MONTH}[ ]{{1,2}}\d{{1,2}}[ ]\d\d:\d\d:\d\d(?:\.\d{{1,6}})?[ ]                # Feb  6 16:27:08
                {HOST}(?=[ ][\w./()-]{{1,64}}(?:\[(?:\d{{1,10}}|\$\{{pid\}})\])?:      # host kernel: / sshd[42]:
                        |[ ][a-z]{{2,16}}(?:,[a-z]{{2,16}}){{1,4}}[ ])        # RouterOS: system,error,critical
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
                # the client's reverse-DNS name before its address: ftpd/sshd "from host [ip]", postfix "from host[ip]"
              | (?:login|connect(?:ion)?|refused[ ]connect|disconnect)[ ]from[ ](?!unknown[\[ ])
                {HOST}(?=[ ]?\[(?:\d{{1,3}}\.){{3}}\d{{1,3}}\])
                # dnsmasq: DHCPACK(eth0) <ip> <mac> <name>; SLAAC-CONFIRM(eth0) <ipv6> <name>
              | (?:DHCP(?:ACK|REQUEST|OFFER|INFORM)|SLAAC-CONFIRM)\([\w.-]{{1,16}}\)[ ][\w.:]{{3,45}}
                (?:[ ][0-9a-fA-F]{{2}}(?::[0-9a-fA-F]{{2}}){{5}})?[ ][A-Za-z0-9][\w-]{{0,62}}(?=[ \t]*(?:\r?\n|\Z))
                # kubectl describe node: Name: <node> then Roles:
              | (?<![^\n\r])Name:[ ]{{2,40}}{HOST}(?=\r?\nRoles:)
                # Kubernetes: Successfully assigned ns/pod to <node>; ... on node <node>
              | Successfully[ ]assigned[ ][\w.-]{{1,253}}/[\w.-]{{1,253}}[ ]to[ ]{HOST}(?![\w.-])
                # resolver errors name a single-label machine (a FQDN there is a public service and stays)
              | (?:getaddrinfo[ ](?:ENOTFOUND|EAI_AGAIN)|Could[ ]not[ ]resolve[ ]host:|UnknownHostException:
                  |Unknown[ ](?:MySQL[ ])?server[ ]host|could[ ]not[ ]translate[ ]host[ ]name|Could[ ]not[ ]connect[ ]to
                  [ ]Redis[ ]at|Failed[ ]to[ ]resolve|dial[ ]tcp:[ ]lookup)[ ]['"]?(?!Invalid[ ]hostname)
                [A-Za-z][A-Za-z0-9-]{{0,62}}(?![\w.-])
              | connect[ ]to[ ]host[ ][A-Za-z][A-Za-z0-9-]{{0,62}}(?=[ ]port[ ]\d)      # ssh, single label
              | Connecting[ ]to[ ][A-Za-z][A-Za-z0-9-]{{0,62}}(?=[ ]\[)
              | Could[ ]not[ ]resolve[ ]hostname[ ][A-Za-z][A-Za-z0-9-]{{0,62}}(?=:)
            )
        """,
        rewrite=_rewrite_logged_host,
        validate=lambda text: True,  # a declined name (a service, a default node): the line's IP and MAC still go
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
                 "dial tcp: lookup pg-billing-03 on 127.0.0.11:53: no such host",
                 "Feb 15 11:57:42 rb4011.example-net.cz system,error,critical login failure for user",
                 "wu-ftpd[18760]: failed login from hj-145-173-a8.bta.net.cn [202.108.145.173]",
                 "postfix/smtpd[1]: connect from mail-ed1.example-isp.net[203.0.113.5]",
                 "dnsmasq-dhcp[175]: 154878583 DHCPACK(end0) 10.0.0.23 f0:a7:31:20:4e:10 cpl-wifi-salon-dupont",
                 "Name:               node01.vanderhoek.net\nRoles:              master",
                 "PS> whoami\nACMECORP\\jdoe\n",
                 "Logon failure: CONTOSO\\rkumar (0xC000006D)"),
        must_not_match=("Jun 12 13:33:57 localhost sshd[18900]: Illegal user admin", "Feb 6 16:27:08 up 3 days",
                        "dnsmasq-dhcp[175]: DHCPACK(end0) 10.0.0.23 f0:a7:31:20:4e:10 redis",
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
    Rule(
        id="hostname.context",
        token="[host]",
        why="a single-label machine name (a LAN machine, a cluster node, a runner; public services have a domain) "
        "where programs print the machine they reached or run on: resolver and socket errors in every runtime, "
        "ping/traceroute/nmap/wget/curl, host:port after connect or listen words, PostgreSQL's host=, Spring Boot's "
        "'on <host> with PID', CI runner and agent names, host/hostname keys, DHCP leases, getty's prompt, "
        "`hostname`'s answer and Ansible's per-host lines; a service name, default node or word stays",
        pattern=_CONTEXT_HOST_PATTERN,
        rewrite=_rewrite_context_host,
        validate=lambda text: True,  # a declined name (an IP, a service) is scanned again by the other rules
        reports=("hostname",),
        matches=("ping: kestrel-nas: Name or service not known", "socket.gaierror: [Errno -2] Name or service not "
                 "known: 'nas01'", "java.net.UnknownHostException: pg-main-2: pg-main-2: Name or service not known",
                 "System.Net.Http.HttpRequestException: No such host is known. (marta-pc:443)",
                 "HTTPConnectionPool(host='devbox7', port=8080): Max retries exceeded",
                 "curl: (7) Failed to connect to nas01 port 8080: Connection refused",
                 "PING homelab (192.168.1.20) 56(84) bytes of data.", "Nmap scan report for printer-2 (192.168.1.9)",
                 "Resolving nas01 (nas01)... 192.168.1.20", "Error: Can't open display: kestrel-nas:0",
                 "LOG:  connection received: host=marta-laptop port=5432",
                 "Last login: Mon Jan  1 10:00:00 2024 from marta-laptop",
                 "Error: connect ECONNREFUSED pg-main-2:5432",
                 "Starting App v1 using Java 17.0.2 on MARTA-LAPTOP with PID 1234 (C:\\app started by m in C:\\app)",
                 "Running on host kestrel-build-07", "Runner name: 'marta-runner'\n", "Device name\tMARTA-LAPTOP\n",
                 '"hostname": "orion-7"', "host: nas01\n", "<Computer>WKS-FIN-042.corp.acme.com</Computer>",
                 'client-hostname "Martas-Laptop";',
                 "DHCPACK on 10.0.0.20 to aa:bb:cc:dd:ee:ff (Martas-iPhone) via eth0",
                 "\nkestrel-nas login: ", "$ hostname\nkestrel-nas\n",
                 "fatal: [web-kestrel-2]: UNREACHABLE! =>", "# jtanaka @ nas07 in ~/src",
                 "aw-watcher-window_Olivers-Laptop", "bucket aw-watcher-afk_DESKTOP-7QK2M4R created",
                 "db-kestrel-1 | SUCCESS => {",
                 "PLAY RECAP ***\nweb-kestrel-2              : ok=3    changed=1"),
        must_not_match=("ping: google.com: Name or service not known", "getaddrinfo ENOTFOUND redis",
                        "HTTPConnectionPool(host='api.github.com', port=443)", "Running on host machine",
                        "Error: connect ECONNREFUSED 127.0.0.1:5432", "ok: [localhost]", "host: localhost\n",
                        "Last login: Mon Jan  1 10:00:00 2024 from 192.168.1.5", "connect to db:5432",
                        "Device name: the device", "ok: [10.0.0.4] => changed=false"),
    ),
)
