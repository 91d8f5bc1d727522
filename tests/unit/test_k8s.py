"""The Kubernetes manifests (k8s/) and the Dockerfile: valid, and in step with the code they deploy.

Every manifest is checked against the Kubernetes OpenAPI schemas shipped by `kubernetes-validate` (offline), for
KUBE_VERSION. Overlays are rendered with `kubectl kustomize` when kubectl is on the PATH (those tests skip
otherwise); the per-file checks below run either way. Drift checks: every CONSENTRY_* name is a setting and the
values load, every command parses with the CLI's own parser, probes hit real routes on the configured port.
"""

from __future__ import annotations

import base64
import functools
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from ingest.app import create_app
from ingest.cli import _parser
from ingest.durable.jobs import selected
from ingest.serve import SHUTDOWN_TIMEOUT_S
from ingest.settings import ConfigError, Settings, load_settings, setting_names

ROOT = Path(__file__).parents[2]
K8S = ROOT / "k8s"
KUBE_VERSION = "1.30.0"
TARGETS = ("base", "overlays/local", "overlays/production")
# The example Secret each target is meant to run with (base and production never carry a real one).
EXAMPLE_SECRETS = {
    "base": "base/secret.example.yaml",
    "overlays/production": "overlays/production/secrets.example.yaml",
}
CRON_JOBS = {"deidentify", "expire", "deletions", "rescrub"}
WRITABLE = {"/var/lib/consentry", "/tmp"}

Doc = dict[str, Any]


def _docs(path: Path) -> list[Doc]:
    with path.open(encoding="utf-8") as stream:
        return [doc for doc in yaml.safe_load_all(stream) if doc is not None]


def _yaml_files() -> list[Path]:
    return sorted(K8S.rglob("*.yaml"))


def _kustomizations() -> list[Path]:
    return sorted(K8S.rglob("kustomization.yaml"))


def _local_refs(kustomization: Path) -> tuple[list[Path], list[Path]]:
    """(resource paths, patch paths) of a kustomization, as absolute paths."""
    spec = _docs(kustomization)[0]
    here = kustomization.parent
    resources = [(here / ref).resolve() for ref in spec.get("resources", [])]
    patches = [(here / patch["path"]).resolve() for patch in spec.get("patches", []) if "path" in patch]
    return resources, patches


def _manifest_files() -> list[Path]:
    """Files that hold whole objects: listed resources (not directories) and the example Secrets."""
    files = {path for k in _kustomizations() for path in _local_refs(k)[0] if path.suffix == ".yaml"}
    return sorted(files | set(K8S.rglob("*.example.yaml")))


def _rel(path: Path) -> str:
    return str(path.relative_to(K8S))


@functools.cache
def _rendered(target: str) -> tuple[Doc, ...]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl (with its built-in kustomize) is not installed")
    done = subprocess.run([kubectl, "kustomize", str(K8S / target)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return tuple(doc for doc in yaml.safe_load_all(done.stdout) if doc is not None)


def _validate(doc: Doc, where: str) -> None:
    if doc["apiVersion"].startswith("monitoring.coreos.com/"):
        return  # a Prometheus Operator CRD, not in the Kubernetes schemas: tests/unit/test_alerts.py checks it
    try:
        kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        path = ".".join(str(part) for part in exc.path)
        pytest.fail(f"{where}: {doc['kind']} {doc['metadata'].get('name')}: {path}: {exc.message}")


def _pod_spec(doc: Doc) -> Doc | None:
    if doc["kind"] in ("StatefulSet", "Deployment", "DaemonSet", "Job"):
        return doc["spec"]["template"]["spec"]
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return None


def _consentry_containers(docs: tuple[Doc, ...]) -> Iterator[tuple[Doc, Doc, Doc]]:
    """(workload, pod spec, container) for every container running the consentry image."""
    for doc in docs:
        pod = _pod_spec(doc)
        for container in (pod or {}).get("containers", []):
            if re.search(r"(^|/)consentry(:|$)", container["image"]):
                yield doc, pod or {}, container


def _by_kind(docs: tuple[Doc, ...], kind: str) -> list[Doc]:
    return [doc for doc in docs if doc["kind"] == kind]


def _collector(docs: tuple[Doc, ...]) -> tuple[Doc, Doc, Doc]:
    [found] = [item for item in _consentry_containers(docs) if item[0]["kind"] == "StatefulSet"]
    return found


def _secret_values(target: str, docs: tuple[Doc, ...]) -> dict[str, str]:
    secrets = [doc for doc in docs if doc["kind"] == "Secret" and doc["metadata"]["name"].startswith("consentry-")]
    if not secrets:
        assert target in EXAMPLE_SECRETS, f"{target} renders no Secret and has no example"
        example = _docs(K8S / EXAMPLE_SECRETS[target])
        secrets = [doc for doc in example if doc["metadata"]["name"] == "consentry-secrets"]
    values: dict[str, str] = {}
    for secret in secrets:
        values.update(secret.get("stringData", {}))
        values.update({k: base64.b64decode(v).decode() for k, v in secret.get("data", {}).items()})
    return values


def _environment(target: str, docs: tuple[Doc, ...], container: Doc) -> dict[str, str]:
    """The CONSENTRY_* environment the container gets: its ConfigMaps, then env (Secret values from the example)."""
    config_maps = {doc["metadata"]["name"]: doc.get("data", {}) for doc in _by_kind(docs, "ConfigMap")}
    secrets = _secret_values(target, docs)
    environ: dict[str, str] = {}
    for source in container.get("envFrom", []):
        environ.update(config_maps[source["configMapRef"]["name"]])
    for var in container.get("env", []):
        if "value" in var:
            environ[var["name"]] = var["value"]
        elif "secretKeyRef" in var["valueFrom"]:
            key = var["valueFrom"]["secretKeyRef"]["key"]
            assert key in secrets, f"{target}: {var['name']} needs key {key!r} in the Secret (or its example)"
            environ[var["name"]] = secrets[key]
    return {name: value for name, value in environ.items() if name.startswith("CONSENTRY_")}


def _settings(environ: dict[str, str]) -> Settings:
    """Load the settings as the pod would. File settings (*_FILE: TLS material, CA bundles) must be readable at
    load time; they live on Secret volumes here, so they read this file instead (their mounts are checked apart)."""
    here = str(Path(__file__))
    try:
        return load_settings(environ={k: here if k.endswith("_FILE") else v for k, v in environ.items()})
    except ConfigError as exc:
        pytest.fail(f"the manifests' settings do not load: {exc}")


def _quantity_bytes(quantity: str) -> int:
    units = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "": 1}
    match = re.fullmatch(r"(\d+)(Ki|Mi|Gi|Ti|)", quantity)
    assert match, f"unexpected quantity {quantity}"
    return int(match.group(1)) * units[match.group(2)]


def _cpu(quantity: str) -> float:
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


@functools.cache
def _routes() -> frozenset[str]:
    import tempfile

    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app(load_settings(environ={"CONSENTRY_DATA_DIR": data_dir}), embedded_writer=False)
        return frozenset(resource.canonical for resource in app.router.resources())


# --- files ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", _yaml_files(), ids=_rel)
def test_every_file_parses(path: Path) -> None:
    docs = _docs(path)
    assert docs and all(isinstance(doc, dict) for doc in docs)


@pytest.mark.parametrize("kustomization", _kustomizations(), ids=_rel)
def test_kustomization_references_exist(kustomization: Path) -> None:
    resources, patches = _local_refs(kustomization)
    for path in resources:
        assert path.is_file() or (path / "kustomization.yaml").is_file(), f"{_rel(kustomization)}: {path}"
    for path in patches:
        assert path.is_file(), f"{_rel(kustomization)}: patch {path}"


def test_every_yaml_file_is_used() -> None:
    used = {path for k in _kustomizations() for group in _local_refs(k) for path in group} | set(_kustomizations())
    orphans = [_rel(p) for p in _yaml_files() if p not in used and not p.name.endswith(".example.yaml")]
    assert not orphans, f"not referenced by any kustomization.yaml: {orphans}"


@pytest.mark.parametrize("path", _manifest_files(), ids=_rel)
def test_manifest_files_validate(path: Path) -> None:
    for doc in _docs(path):
        _validate(doc, _rel(path))


def test_no_secret_is_committed() -> None:
    """Real Secrets are created out of band; only examples and the local overlay's marked placeholders exist."""
    for path in _manifest_files():
        for doc in _docs(path):
            if doc["kind"] == "Secret":
                assert path.name.endswith(".example.yaml"), f"{_rel(path)} commits a Secret"
    for kustomization in _kustomizations():
        generators = _docs(kustomization)[0].get("secretGenerator", [])
        assert not generators or kustomization.parent == K8S / "overlays/local", _rel(kustomization)
        for generator in generators:
            text = kustomization.read_text(encoding="utf-8")
            assert "PLACEHOLDER" in text and "NOT SECRETS" in text
            assert "env" not in generator and "files" not in generator, "placeholders belong in visible literals"


def test_config_literals_are_settings() -> None:
    """Per file, so a stale name is caught even where kubectl cannot render."""
    known = setting_names().keys()
    for kustomization in _kustomizations():
        for generator in _docs(kustomization)[0].get("configMapGenerator", []):
            for literal in generator.get("literals", []):
                name = literal.partition("=")[0]
                assert name in known, f"{_rel(kustomization)}: {name} is not a setting"
    for path in _yaml_files():
        for doc in _docs(path):
            for var in re.findall(r"\bCONSENTRY_[A-Z0-9_]+", yaml.safe_dump(doc)):
                assert var in known, f"{_rel(path)}: {var} is not a setting"


# --- rendered targets ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_rendered_target_validates(target: str) -> None:
    docs = _rendered(target)
    assert docs
    for doc in docs:
        _validate(doc, target)


@pytest.mark.parametrize("target", TARGETS)
def test_every_environment_variable_is_a_setting_and_loads(target: str) -> None:
    docs = _rendered(target)
    known = setting_names().keys()
    containers = list(_consentry_containers(docs))
    assert containers
    for workload, _, container in containers:
        environ = _environment(target, docs, container)
        unknown = sorted(set(environ) - known)
        assert not unknown, f"{target}: {workload['metadata']['name']} sets unknown settings {unknown}"
        settings = _settings(environ)
        # Pods never share an embedded chDB: every target talks to a ClickHouse server.
        assert settings.clickhouse.url.startswith(("http://", "https://")), target
        assert settings.privacy.hash_key, f"{target}: every pod and job needs the same privacy.hash_key"
        mounts = {mount["mountPath"] for mount in container.get("volumeMounts", [])}
        assert settings.data_dir in mounts, f"{target}: data_dir {settings.data_dir} is not a volume"
        for name, value in environ.items():
            if name.endswith("_FILE") and value:
                assert str(Path(value).parent) in mounts, f"{target}: {name}={value} is on no volume"


@pytest.mark.parametrize("target", TARGETS)
def test_every_command_is_a_cli_command(target: str) -> None:
    jobs: set[str] = set()
    for workload, _, container in _consentry_containers(_rendered(target)):
        assert container.get("command", ["consentry"]) == ["consentry"], "the image's entrypoint is `consentry`"
        args = [str(arg) for arg in container.get("args", ["serve"])]
        try:
            _parser().parse_args(args)
        except SystemExit:
            pytest.fail(f"{target}: {workload['metadata']['name']} runs `consentry {' '.join(args)}`: not a command")
        if args[:2] == ["jobs", "run"]:
            selected(args[2])  # ValueError for an unknown job
            jobs.add(args[2])
            assert workload["kind"] == "CronJob" and workload["spec"]["concurrencyPolicy"] == "Forbid"
        elif workload["kind"] == "StatefulSet":
            assert args[0] == "serve"
    assert jobs == CRON_JOBS


@pytest.mark.parametrize("target", TARGETS)
def test_probes_and_ports_match_the_app(target: str) -> None:
    docs = _rendered(target)
    workload, pod, container = _collector(docs)
    settings = _settings(_environ_of_collector(target, docs))
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports["http"] == settings.http.port
    assert settings.http.host == "0.0.0.0", "probes and the Service reach the pod address, not loopback"
    tls = "CONSENTRY_TLS_CERT_FILE" in _environ_of_collector(target, docs)
    probes = {"startupProbe": "/healthz", "livenessProbe": "/healthz", "readinessProbe": "/readyz"}
    for probe, path in probes.items():
        check = container[probe]["httpGet"]
        assert check["path"] == path and path in _routes(), (target, probe)
        assert ports.get(check["port"], check["port"]) == settings.http.port, (target, probe)
        assert check.get("scheme", "HTTP") == ("HTTPS" if tls else "HTTP"), (target, probe)
    annotations = workload["spec"]["template"]["metadata"]["annotations"]
    assert int(annotations["prometheus.io/port"]) == settings.http.port
    assert annotations["prometheus.io/path"] in _routes()
    assert annotations["prometheus.io/scheme"] == ("https" if tls else "http")
    for service in _by_kind(docs, "Service"):
        if service["spec"]["selector"] == workload["spec"]["selector"]["matchLabels"]:
            assert all(port["targetPort"] in ports for port in service["spec"]["ports"]), service["metadata"]
    for policy in _by_kind(docs, "NetworkPolicy"):
        assert policy["spec"]["podSelector"]["matchLabels"] == workload["spec"]["selector"]["matchLabels"]
        for rule in policy["spec"]["ingress"]:
            assert [port["port"] for port in rule["ports"]] == [settings.http.port]


def _environ_of_collector(target: str, docs: tuple[Doc, ...]) -> dict[str, str]:
    return _environment(target, docs, _collector(docs)[2])


@pytest.mark.parametrize("target", TARGETS)
def test_shutdown_and_spool_fit_the_pod(target: str) -> None:
    docs = _rendered(target)
    workload, pod, container = _collector(docs)
    settings = _settings(_environ_of_collector(target, docs))
    pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
    needed = pre_stop + SHUTDOWN_TIMEOUT_S + settings.writer.shutdown_deadline_s
    assert pod["terminationGracePeriodSeconds"] > needed
    [claim] = workload["spec"]["volumeClaimTemplates"]
    size = _quantity_bytes(claim["spec"]["resources"]["requests"]["storage"])
    assert size > settings.spool.max_bytes + settings.spool.min_free_disk_bytes
    # http.workers 0 would start one worker per CPU of the node, not of the pod.
    assert 0 < settings.http.workers <= _cpu(container["resources"]["limits"]["cpu"])
    assert settings.jobs.schedule is False, "the CronJobs run the jobs"
    [hpa] = _by_kind(docs, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "StatefulSet",
                                            "name": workload["metadata"]["name"]}
    [pdb] = _by_kind(docs, "PodDisruptionBudget")
    assert pdb["spec"]["selector"] == workload["spec"]["selector"]


@pytest.mark.parametrize("target", TARGETS)
def test_consentry_pods_are_locked_down(target: str) -> None:
    for workload, pod, container in _consentry_containers(_rendered(target)):
        where = f"{target}: {workload['metadata']['name']}"
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0, where
        assert pod["automountServiceAccountToken"] is False, where
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True, where
        assert context["allowPrivilegeEscalation"] is False, where
        assert context["capabilities"]["drop"] == ["ALL"] and "add" not in context["capabilities"], where
        writable = {m["mountPath"] for m in container["volumeMounts"] if not m.get("readOnly")}
        assert writable == WRITABLE, where
        assert {"cpu", "memory"} <= container["resources"]["requests"].keys(), where
        assert "memory" in container["resources"]["limits"], where


def test_production_has_no_local_backends() -> None:
    docs = _rendered("overlays/production")
    names = {doc["metadata"]["name"] for doc in docs}
    assert not names & {"clickhouse", "minio"}
    assert not _by_kind(docs, "Secret"), "production Secrets are created out of band"
    assert _by_kind(docs, "NetworkPolicy")
    environ = _environ_of_collector("overlays/production", docs)
    assert {"CONSENTRY_TLS_CERT_FILE", "CONSENTRY_TLS_KEY_FILE"} <= environ.keys()
    _, pod, container = _collector(docs)
    mounted = {m["mountPath"] for m in container["volumeMounts"] if m.get("readOnly")}
    for name in ("CONSENTRY_TLS_CERT_FILE", "CONSENTRY_TLS_KEY_FILE"):
        assert str(Path(environ[name]).parent) in mounted, name
    assert any(v.get("secret", {}).get("secretName") == "consentry-tls" for v in pod["volumes"])


def test_production_jobs_run_against_the_cluster() -> None:
    """The jobs are cluster-aware: no CronJob is suspended, and every pod and job names the same cluster."""
    docs = _rendered("overlays/production")
    cronjobs = _by_kind(docs, "CronJob")
    assert cronjobs and not [job["metadata"]["name"] for job in cronjobs if job["spec"].get("suspend")]
    clusters = {_settings(_environment("overlays/production", docs, container)).clickhouse.cluster
                for _, _, container in _consentry_containers(docs)}
    assert len(clusters) == 1 and "" not in clusters, clusters


def test_local_points_at_its_backends() -> None:
    docs = _rendered("overlays/local")
    services = {doc["metadata"]["name"]: doc for doc in _by_kind(docs, "Service")}
    settings = _settings(_environ_of_collector("overlays/local", docs))
    for url in (settings.clickhouse.url, settings.s3.endpoint):
        host, _, port = url.split("@")[-1].split("//")[-1].rstrip("/").partition(":")
        assert host in services, url
        assert int(port) in [p["port"] for p in services[host]["spec"]["ports"]], url
    assert settings.object_store.url.startswith("s3://")
    assert {doc["metadata"]["name"] for doc in _by_kind(docs, "StatefulSet")} == {"consentry", "clickhouse", "minio"}


# --- Dockerfile ----------------------------------------------------------------------------------------------------


def _dockerfile() -> tuple[list[str], list[str]]:
    """(instructions of the builder stage, instructions of the final stage), continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in re.sub(r"\\\n", " ", text).splitlines() if line.strip() and not line.startswith("#")]
    starts = [i for i, line in enumerate(lines) if line.startswith("FROM ")]
    assert len(starts) == 2, "two stages: builder and final"
    return lines[starts[0]:starts[1]], lines[starts[1]:]


def test_dockerfile_final_stage() -> None:
    builder, final = _dockerfile()
    assert "AS builder" in builder[0]
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert final[0] == "FROM ${PYTHON_IMAGE}"
    final_text = "\n".join(final)
    assert not re.search(r"\b(gcc|build-essential|apt-get install|pip install)\b", final_text), "no build tools"
    assert "COPY --from=builder /opt/venv /opt/venv" in final
    [user] = [line for line in final if line.startswith("USER ")]
    assert not user.split()[1].startswith(("0", "root"))
    assert 'ENTRYPOINT ["consentry"]' in final and 'CMD ["serve"]' in final
    _parser().parse_args(["serve"])
    environ = dict(re.findall(r"\b(CONSENTRY_[A-Z0-9_]+)=(\S+)", final_text))
    assert environ and environ.keys() <= setting_names().keys()
    settings = load_settings(environ=environ)
    assert f'VOLUME ["{settings.data_dir}"]' in final
    assert f"EXPOSE {settings.http.port}" in final
    assert "/healthz" in final_text and "/healthz" in _routes()


def test_dockerignore_keeps_the_context_small() -> None:
    """Everything is ignored but what the builder copies (and each of those is let in)."""
    ignore = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert "*" in ignore
    builder, _ = _dockerfile()
    for line in builder:
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert f"!{source}" in ignore or f"!{source}/" in ignore, source
