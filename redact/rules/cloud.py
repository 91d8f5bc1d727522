"""Identifiers of a customer's cloud resources and of one app install: account numbers, instance and tenant ids."""

from __future__ import annotations

import re

from redact.rules.base import Context, Rule

_UUID = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
_HEX32 = r"[0-9a-f]{32}"

# In every alternative the identifier is the last run of id characters (a closing quote or bracket may follow).
_ID_AT_END = re.compile(r"[0-9A-Za-z_=+-]+(?=['\"\]}]?\Z)")
_ARN = re.compile(r"(?P<head>arn:aws[\w-]{0,20}:[\w-]{1,40}:[\w-]{0,30}:)(?P<account>\d{12})?(?P<rest>.*)", re.DOTALL)
_ARN_PRINCIPAL = re.compile(
    r"(?P<kind>:(?:user|assumed-role/[\w+=,.@-]{1,128}|federated-user)/)(?P<name>[\w+=,.@-]{1,64})"
)
_OSLO = re.compile(_HEX32)


def _last_id(text: str, ctx: Context, rule_id: str) -> str | None:
    """The id ends the match; its other occurrences in the text go too (a project id in a console URL)."""
    m = _ID_AT_END.search(text)
    if m is None:
        return None
    ctx.learn(m.group(), rule_id)
    return text[: m.start()] + ctx.hit(rule_id) + text[m.end() :]


_ID_PREFIX = re.compile(r"gke_|projects/|cus_|ctm_|cust_|acct_")


def _account(text: str, ctx: Context) -> str | None:
    prefix = _ID_PREFIX.match(text)  # the kind of id stays: gke_<project>, projects/<id>, cus_<id>
    if prefix is not None:
        return prefix.group() + ctx.hit("cloud.account")
    return _last_id(text, ctx, "cloud.account")


def _arn(text: str, ctx: Context) -> str | None:
    """arn:aws:iam::123456789012:user/alice: the account and a person's or session's name go, the rest stays."""
    m = _ARN.match(text)
    if m is None:
        return None

    def principal(p: re.Match[str]) -> str:
        name = p["name"]
        if name.lower() in ("administrator", "admin", "root") or not ctx.on("username"):
            return p.group()
        ctx.learn(name, "username")
        return p["kind"] + ctx.hit("username")

    account = ctx.hit("cloud.account") if m["account"] else ""
    return m["head"] + account + _ARN_PRINCIPAL.sub(principal, m["rest"])


def _resource(text: str, ctx: Context) -> str | None:
    return _last_id(text, ctx, "cloud.resource")


def _oslo(text: str, ctx: Context) -> str | None:
    """OpenStack's `[req-<uuid> <user> <project> ...]`: the request id stays, user and project ids go."""
    head, _, ids = text.partition(" ")
    return head + " " + _OSLO.sub(lambda m: ctx.hit("cloud.account"), ids)


_RANDOM = re.compile(rf"{_UUID}|[0-9a-f]{{40}}|(?<=[~-])[\w-]{{8,32}}==")


def _install(text: str, ctx: Context) -> str | None:
    """The UUID, 40-hex key or Android random part goes; the path or key around it stays."""
    out, n = _RANDOM.subn(lambda m: ctx.hit("install_id"), text)
    return out if n else _last_id(text, ctx, "install_id")


RULES: tuple[Rule, ...] = (
    Rule(
        id="cloud.arn",
        needs=r"arn:aws",
        token="[account]",
        why="AWS ARNs (arn:partition:service:region:account:resource): the 12-digit account and the IAM user or "
        "role-session name identify a customer; service, region and resource type stay for triage",
        pattern=r"""
            (?<![\w:])arn:aws[\w-]{0,20}:[\w-]{1,40}:[\w-]{0,30}:(?:\d{12})?
            (?::[\w+=,.@/-]{1,300})?       # resource: user/alice, assumed-role/Role/i-0abc..., function:name
        """,
        rewrite=_arn,
        reports=("cloud.account", "username"),
        matches=("User: arn:aws:iam::858164029377:user/AmazonSpListing is not authorized",
                 "arn:aws:sts::047215839906:assumed-role/Deployer/i-0f3be71ac2d954e06",
                 "arn:aws:lambda:us-east-1:123456789012:function:thumbs"),
        must_not_match=("arn:aws:s3:::public-bucket/key", "arn:aws:iam::aws:policy/AdministratorAccess"),
    ),
    Rule(
        id="cloud.account",
        needs=r"[\"'/_]|\d{12}|(?i:tenant|subscription|directory|project)",
        token="[account]",
        why="customer account, subscription, tenant and project ids where cloud tools print them: AWS account "
        "numbers in ECR/CodeArtifact hosts, `Account` fields and after the word account, Azure subscription/tenant/"
        "client GUIDs, OpenStack project ids in `/v2/<project>/` routes, GCP project ids in resource names and GKE "
        "contexts, payment processors' customer ids (Stripe cus_/acct_, Paddle ctm_)",
        # Each alternative starts with what it consumes first and checks what comes before afterwards: the
        # regex engine then passes over a position with one character test (hot: every character of every text).
        pattern=rf"""
            \d\d{{11}}(?<![\w-]\d{{12}})(?=\.dkr\.ecr\.)                           # ECR registry host
          | \d\d{{11}}(?<=-\d{{12}})(?=\.d\.codeartifact\.)                         # CodeArtifact domain-owner
          | "(?:Account|AccountId|accountId|account_id)"\s*:\s*"\d{{12}}(?=")      # sts get-caller-identity
          | (?i:/subscriptions/|/tenants/|login\.microsoftonline\.com/){_UUID}
          | "(?:homeTenantId|tenantId|subscriptionId|clientId|appId|objectId)"\s*:\s*"{_UUID}(?=")
          | (?:[Tt]he[ ]client|object[ ]id|application|[Tt]enant|[Ss]ubscription|identifier|directory)[ ]'{_UUID}
            (?=')                                                                 # AADSTS: identifier, directory
          | (?:[Tt]enant|TENANT|[Ss]ubscription|SUBSCRIPTION|[Dd]irectory)(?:[ _-]?(?:ID|[Ii]d))?["']?    # Tenant: <id>
            (?:[ ]?[:=][ ]?|[ ])["']?{_UUID}(?![\w-])                              # --subscription <id>, ARM_..._ID=
          | (?<![\w.-])(?:(?:(?:has[ ]not[ ]been[ ]used|is[ ]disabled|not[ ]enabled)[ ]in|on[ ]resource
                |config[ ]set)[ ]project[ ]|--project[ =]|(?:GOOGLE_CLOUD|GCLOUD|GCP|CLOUDSDK_CORE)_PROJECT(?:_ID)?=
              |"(?:project_id|projectId|quota_project_id)"\s?:\s?")                # GCP project ids
            ['"]?(?:[a-z][a-z0-9-]{{4,28}}[a-z0-9]|\d{{6,15}})(?![\w-])
          | [0-9a-f][0-9a-f]{{31}}(?<=/v2/[0-9a-f]{{32}})(?=/)                      # nova API tenant routes
          | [0-9a-f][0-9a-f]{{31}}(?<=/v2\.1/[0-9a-f]{{32}})(?=/)
          | [Aa](?<![\w-][Aa])(?i:ccount)(?:[ _-]?(?i:id|number|no\.?))?["']?        # accountId: 123456789012,
            (?:[ ]?[:=#][ ]?|[ ])["']?\d{{12}}(?![\w-])                            # "in account 123456789012"
          | g(?<![\w-]g)ke_[a-z][a-z0-9-]{{4,28}}[a-z0-9]                              # kubectl context
            (?=_[a-z]{{2,12}}-[a-z]{{2,12}}\d{{1,2}}(?:-[a-z])?_)                        # gke_<project>_<zone>_<name>
          | p(?<![\w-]p)rojects/[a-z][a-z0-9-]{{4,28}}[a-z0-9]                         # GCP resource names:
            (?=/(?:locations|zones|regions|global|datasets|topics|subscriptions|instances|secrets|serviceAccounts
                 |databases|buckets|repositories|jobs|clusters|services|logs|sinks|operations|keyRings)/)
          | c(?<![\w-]c)(?:us|tm|ust)_[A-Za-z0-9]{{10,32}}(?![\w-])                      # payment customer ids:
          | a(?<![\w-]a)cct_[A-Za-z0-9]{{10,32}}(?![\w-])                                # cus_, ctm_, acct_
        """,
        rewrite=_account,
        matches=("123456789012.dkr.ecr.us-east-1.amazonaws.com/app",
                 "https://confluent-381946205573.d.codeartifact.us-west-2.amazonaws.com/npm/x/",
                 '"Account": "123456789012"', "/subscriptions/6b161a49-4d68-4bc9-a1ad-08e5f2c7b934/resourcegroups/x",
                 "The client '500aefe7-2b09-4721-8ba0-3f1c2d7e9a64' with",
                 "with object id '7c3e19b2-5d84-4a06-b1f7-92e0c4a6d835' does not",
                 '"homeTenantId": "e2c7a519-3b08-4d6f-91a4-c58f0d2b7e63"',
                 '"GET /v2/aba12e836c102de7577ffa3ffe552a4a/servers/detail HTTP/1.1"',
                 "User with accountId: 845120637719 is not authorized", "occured in account 480317265509 by",
                 "gke_acme-prod-381204_europe-west1_payments", "projects/acme-billing-7731/locations/us/jobs/x",
                 "customer cus_Q7mX2kLp9RtZ4v", "Tenant: 3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f",
                 "was not found in the directory '9e7f0a1b-2c3d-4e5f-8a9b-0c1d2e3f4a5b'",
                 "Cloud Firestore API has not been used in project kestrel-prod-4821 before or it is disabled",
                 "gcloud config set project kestrel-prod-4821", '"project_id": "kestrel-prod-4821"'),
        must_not_match=("request 550e8400-e29b-41d4-a716-446655440000 failed", "1712345678901 ms",
                        "account 12345 created", "/v1/projects/7/forms/x", "cus_test", "focus_1234567890ab",
                        '"traceId": "550e8400-e29b-41d4-a716-446655440000"', "--project=.", "in project my-app",
                        "Subscription: active"),
    ),
    Rule(
        id="cloud.openstack",
        needs=r"\[req-",
        token="[account]",
        why="OpenStack (oslo.log) request context `[req-<uuid> <user-id> <project-id> - - -]`: user and project",
        pattern=rf"\[req-{_UUID}(?:[ ](?:{_HEX32}|-)){{2,5}}\]",
        rewrite=_oslo,
        reports=("cloud.account",),
        matches=("[req-430aaf51-6fd5-4ede-bab8-7ca540ec136c 8eccd621c4a53d17ebd6a4f964b0793b "
                 "54fadb412c4e40cdbaed9335e4c35a9e - - -]",),
        must_not_match=("[req-430aaf51-6fd5-4ede-bab8-7ca540ec136c - - - - -]",),
    ),
    Rule(
        id="cloud.resource",
        needs=r"-|\[instance:",
        token="[resource]",
        why="ids of one customer's machines: EC2 instance/volume/ENI ids (8 or 17 hex), EC2 host names that "
        "spell the IP, OpenStack `[instance: <uuid>]`",
        pattern=rf"""
            (?<![\w-])(?:i|vol|eni|snap|sg|subnet|vpc|igw|nat|eipalloc)-(?:[0-9a-f]{{17}}|[0-9a-f]{{8}})(?![\w-])
          | (?<![\w-])(?:ec2|ip)-\d{{1,3}}-\d{{1,3}}-\d{{1,3}}-\d{{1,3}}(?=\.(?:[\w-]{{1,30}}\.)?(?:compute|ec2)\b)
          | \[instance:[ ]{_UUID}(?=\])
        """,
        rewrite=_resource,
        matches=("i-0f3be71ac2d954e06", "vol-049df61146c4d7901", "ec2-3-141-88-204.us-east-2.compute.amazonaws.com",
                 "ip-10-0-1-23.ec2.internal", "[instance: f28ef27f-37e4-5720-8f1d-5bd6bc13fddb] spawned"),
        must_not_match=("i-love-rust", "sg-rules", "ami-0abcdef1234567890", "vpc-peering"),
    ),
    Rule(
        id="install_id",
        token="[id]",
        why="per-install and per-device ids: iOS app container and simulator UUIDs in paths, Android's per-install "
        "dir (/data/app/<pkg>-<random>==/), Apple crash-report `Anonymous UUID` and `CrashReporter Key`, "
        "`deviceIdentifierForVendor`, Electron's `--crash-reporter-id`, device and person ids in URL paths",
        pattern=rf"""
            (?:/(?:Bundle|Data|Shared/AppGroup|PluginKitPlugin)/Application/|/var/mobile/Applications/
               |/Containers/(?:Shared/AppGroup|Data/PluginKitPlugin)/
               |/CoreSimulator/(?:Devices/)?|\\/CoreSimulator\\/(?:Devices\\/)?){_UUID}   # iOS containers, simulator
          | (?<=/data/app/)(?:~~[\w-]{{8,32}}==/)?[\w.]{{1,200}}-[\w-]{{8,32}}==      # Android per-install dir
          | (?<=/data/app/)~~[\w-]{{8,32}}==
          | (?:Anonymous[ ]UUID|CrashReporter[ ]Key|Device[ ]ID|Installation[ ]ID):[ \t]{{1,20}}
            (?:{_UUID}|[0-9a-f]{{40}})                                                # Apple crash report header
          | "(?:deviceIdentifierForVendor|advertisingIdentifier|idfa|idfv|androidId|android_id|device_id|deviceId
               |installationId|installation_id|install_id|anonymousId|anonymous_id|machineId|machine_id)"
            \s*:\s*"[\w-]{{8,64}}(?=")
          | "(?:udid|UDID|deviceUDID|telemetry\.machineId|macMachineId|devDeviceId|sqmId|fid
               |firebase_installation_id|appInstanceId|app_instance_id)"\s*:\s*"[\w-]{{8,64}}(?=")
            # the same keys unquoted, in log lines and Python reprs: device_id=..., 'distinct_id': '...'
          | (?<![\w.-])['"]?(?i:device[_-]?id|install(?:ation)?[_-]?id|anonymous[_-]?id|android[_-]?id
               |advertising[_-]?id|idfa|idfv|gaid|adid|distinct[_-]?id|machine[_-]?id|udid)['"]?
            (?:[ ]?[=:][ ]?)['"]?(?=(?:[A-Za-z_-]{{0,60}}\d){{3}})[\w-]{{8,64}}(?![\w-])   # random: 3+ digits
            # simctl list: iPhone 15 (<UDID>) (Booted); xcodebuild destinations: platform:iOS Simulator, id:<UDID>
          | \((?={_UUID}\)[ ]\((?:Booted|Shutdown|Creating|Booting|Shutting[ ]Down)\)){_UUID}
          | platform:(?:iOS|watchOS|tvOS|visionOS|macOS|DriverKit)(?:[ ]Simulator)?,[ ](?:arch:[\w]{{1,12}},[ ])?
            (?:variant:[\w ]{{1,24}},[ ])?id:(?:{_UUID}|[0-9A-F]{{8}}-[0-9A-F]{{16}}|[0-9a-f]{{40}})
            # machine identity lines: system_profiler's Hardware UUID / Provisioning UDID, hostnamectl's Machine ID,
            # Windows systeminfo's Product ID
          | (?:Hardware[ ]UUID|Provisioning[ ]UDID):[ \t]{{1,20}}(?:{_UUID}|[0-9A-F]{{8}}-[0-9A-F]{{16}})
          | (?:Machine|Boot)[ ]ID:[ \t]{{1,20}}[0-9a-f]{{32}}
          | Product[ ]ID:[ \t]{{1,30}}[0-9A-Z]{{5}}-[0-9A-Z]{{5}}-[0-9A-Z]{{5}}-[0-9A-Z]{{5}}
            # adb devices: <serial>\tdevice
          | (?<![^\n\r])(?!emulator-)[A-Za-z0-9][A-Za-z0-9.:-]{{5,40}}(?=\t(?:device|unauthorized|offline)\b)
            # Android's default DHCP host name (android-<Android ID>), Apple device UDIDs (<chip id>-<ECID>)
          | (?<![\w-])android-[0-9a-f]{{16}}(?![\w-])
          | (?<![A-Za-z0-9])0000[0-9]{{4}}-00[0-9A-F]{{14}}(?![A-Za-z0-9])
            # LinkedIn member URN ids (ACoAA.../ACwAA...)
          | (?<![\w-])AC[ow]AA[A-Za-z0-9_-]{{28,40}}(?![\w-])
          | --crash-reporter-id[ =]{_UUID}
          | /(?:person|persons|device|devices)/{_UUID}
        """,
        rewrite=_install,
        matches=("/var/containers/Bundle/Application/6D92078A-8246-4BA4-AE5B-76104861E7DC/App.app/App",
                 "/var/mobile/Containers/Data/Application/A1F3C0D2-7B4E-4E9A-9C11-5F2E8D7B3A60/Documents",
                 "/data/app/com.example.app-Qm27Lx4pRbWcYvN_T0aJsE==/lib/arm64/libx.so",
                 "/data/app/~~Ab3dEf9hIj-kLm_12345==/com.example.app-Zy8xWv7uTs6r_54321==/base.apk",
                 "Anonymous UUID:        4B71C2E0-9D3A-5E18-A7F4-2C95D0B6E813",
                 "CrashReporter Key:   9c31d7e0b4a2f68813ce5f0a7d92b1e46c08f3aa",
                 '{"deviceIdentifierForVendor":"3F9AC1D7-62B0-5E48-A9C3-D0E71B84F256"}',
                 "https://app.posthog.com/person/0a7d9c4e-2f61-4b83-95e0-c1b3d8f6a247#activeTab=events",
                 '"udid" : "3C6E0A52-9B1F-4D27-A8E4-71F0B2D9C5E3",',
                 "/Logs/CoreSimulator/3C6E0A52-9B1F-4D27-A8E4-71F0B2D9C5E3",
                 "    iPhone 15 Pro (9A2C51E4-3B7D-4F08-8E61-C0D5A4B3F217) (Booted) ",
                 "{ platform:iOS, arch:arm64, id:00008110-001A2D8E3E38802E, name:Lena's iPhone }",
                 "      Hardware UUID: 5D4C3B2A-1F0E-4D9C-8B7A-6E5F4D3C2B1A",
                 "  Machine ID: 3f9a1c2e7b5d4e6f8a0b1c2d3e4f5a6b", "Product ID:                00330-80000-00000-AA123",
                 "List of devices attached\nR58M12ABCDE\tdevice\n", "ACwAAAKr7VgBZ1N3QhXe-JfbT8WLmsUyFpcaNQj",
                 "tracking event with device_id=9f1c2e7a5b3d4c6e", "DHCP 192.168.0.71 is android-8246fb4b9bc389bc.lan",
                 "aw-watcher-window_ios-00008030-0016459A3C88802E_screentime",
                 "/Containers/Data/PluginKitPlugin/0D212C32-F869-48B2-B2FC-3D6F552AA28F",
                 "{'distinct_id': '018f3a2b-7c4d-7e5f-a6b7-c8d9e0f1a2b3'}"),
        must_not_match=("/data/data/com.example.app/files/x.db", '"slice_uuid":"4c4c44c8-5555-3144-a171-66ea2283367f"',
                        "Incident Identifier: 4EA7B2F6-777D-4A8D-99CD-55E55F949927", "/data/app/com.example.app-1/",
                        "List of devices attached\nemulator-5554\tdevice\n", "Product ID: none",
                        "device_id=unknown", "missing device_id: required", '"deviceId": "iPhone10,2"'),
    ),
)
