"""The alert rules and the dashboard against a real Prometheus (Debian's `prometheus` package) scraping a live
`consentry serve` (a worker and a writer) on 127.0.0.1 every second.

The collector starts healthy: no alert. Then its storage breaks under the writer (the events table's directory in
the embedded engine is swapped for a plain file, so every insert fails with a real ClickHouse error) while clients
keep sending: the writer fails and inserts nothing, the small spool fills, intake answers 503 spool_full and
/readyz 503. Through Prometheus's HTTP API the test sees ConsentryWriterFailing, ConsentryWriterStalled,
ConsentrySpoolFull and ConsentryNotReady go pending, then firing. Storage is repaired: the writer drains the
spool, /readyz is ready and ConsentryNotReady resolves. Every query of the Grafana dashboard is then evaluated by
that Prometheus without error.

The rules are the shipped file with every `for:` cut to 3 s (expressions unchanged) so pending turns to firing
within the test. Bounded: each phase has a deadline, the whole test stops within about three minutes."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from serving import EXE, free_port, wait_healthy
from support import make_batch

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "k8s" / "monitoring"
DRIVEN = ("ConsentryWriterFailing", "ConsentryWriterStalled", "ConsentrySpoolFull", "ConsentryNotReady")
FOR = "3s"


def _get(url: str, timeout: float = 5) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _post_batch(base: str, install_ids: list[str]) -> int:
    batch = make_batch(200, props={"mode": "split", "note": "n" * 200})
    install_ids.append(batch["install_id"])
    request = urllib.request.Request(base + "/v1/events", data=msgspec.json.encode(batch),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        error.read()
        return error.code


class Prometheus:
    def __init__(self, base: str) -> None:
        self.base = base

    def query(self, expr: str) -> list[dict[str, Any]]:
        status, body = _get(f"{self.base}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        answer = json.loads(body)
        assert status == 200 and answer["status"] == "success", (expr, answer)
        return answer["data"]["result"]

    def query_range(self, expr: str, start: float, end: float) -> list[dict[str, Any]]:
        params = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": "2"})
        status, body = _get(f"{self.base}/api/v1/query_range?{params}")
        answer = json.loads(body)
        assert status == 200 and answer["status"] == "success", (expr, answer)
        return answer["data"]["result"]

    def evaluated(self) -> bool:
        """The Consentry rule group has been evaluated at least once, with every rule healthy."""
        status, body = _get(f"{self.base}/api/v1/rules")
        groups = json.loads(body)["data"]["groups"] if status == 200 else []
        return bool(groups) and not groups[0]["lastEvaluation"].startswith("0001") and all(
            rule["health"] == "ok" for rule in groups[0]["rules"])

    def alerts(self) -> dict[str, str]:
        """alertname -> state (pending / firing) of the Consentry alerts active now."""
        status, body = _get(f"{self.base}/api/v1/alerts")
        assert status == 200
        return {a["labels"]["alertname"]: a["state"] for a in json.loads(body)["data"]["alerts"]
                if a["labels"]["alertname"].startswith("Consentry")}


def _stop(proc: subprocess.Popen[bytes], timeout: float) -> int | None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return None
    return proc.returncode


@pytest.fixture
def stack() -> Iterator[tuple[str, Prometheus, dict[str, str], Path]]:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("prometheus not installed (Debian package `prometheus`; .ci/run installs it when it can)")
    work = Path(tempfile.mkdtemp(prefix="cs-prom-"))
    port, prom_port = free_port(), free_port()
    env = {**os.environ, "CONSENTRY_DATA_DIR": str(work / "data"), "CONSENTRY_HTTP_PORT": str(port),
           "CONSENTRY_HTTP_WORKERS": "1", "CONSENTRY_SPOOL_MAX_BYTES": str(1 << 20),
           "CONSENTRY_SPOOL_SEGMENT_BYTES": str(64 << 10), "CONSENTRY_WRITER_BACKOFF_MAX_MS": "1000",
           "CONSENTRY_JOBS_SCHEDULE": "false", "CONSENTRY_LOG_FORMAT": "json"}
    rules = (MONITORING / "consentry.rules.yml").read_text(encoding="utf-8")
    (work / "rules.yml").write_text(re.sub(r"(?m)^(\s+)for: \S+$", rf"\1for: {FOR}", rules), encoding="utf-8")
    (work / "prometheus.yml").write_text(json.dumps({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "900ms"},
        "rule_files": [str(work / "rules.yml")],
        "scrape_configs": [{"job_name": "consentry", "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}],
    }), encoding="utf-8")
    serve_log = (work / "serve.log").open("wb")
    serve = subprocess.Popen([EXE, "serve"], env=env, stdout=serve_log, stderr=subprocess.STDOUT)
    prom_log = (work / "prometheus.log").open("wb")
    prom = subprocess.Popen([binary, f"--config.file={work / 'prometheus.yml'}",
                             f"--storage.tsdb.path={work / 'tsdb'}", f"--web.listen-address=127.0.0.1:{prom_port}",
                             "--log.level=warn"], stdout=prom_log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, serve, timeout_s=90)
        deadline = time.monotonic() + 30
        while prom.poll() is None and _get(f"http://127.0.0.1:{prom_port}/-/ready")[0] != 200:
            assert time.monotonic() < deadline, "prometheus did not become ready"
            time.sleep(0.3)
        assert prom.poll() is None, (work / "prometheus.log").read_text()[-2000:]
        yield base, Prometheus(f"http://127.0.0.1:{prom_port}"), env, work
    finally:
        _stop(prom, 20)
        _stop(serve, 60)
        serve_log.close()
        prom_log.close()
        shutil.rmtree(work, ignore_errors=True)


def _events_table_dir(env: dict[str, str]) -> Path:
    done = subprocess.run([EXE, "query", "--format", "json", "SELECT data_paths FROM system.tables "
                           "WHERE database = 'consentry' AND name = 'events'"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    [path] = json.loads(done.stdout.splitlines()[0])["data_paths"]
    return Path(path.rstrip("/"))


def _until(what: str, check: Any, timeout_s: float, every: Any = None) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        if every is not None:
            every()
        time.sleep(0.3)


def _dashboard_queries() -> list[str]:
    dashboard = json.loads((MONITORING / "grafana-dashboard.json").read_text(encoding="utf-8"))
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def _grafana(expr: str) -> str:
    """Grafana's variables as it would expand them: the rate window, and every pod."""
    return expr.replace("$__rate_interval", "30s").replace("$instance", ".*")


def test_alerts_go_pending_then_firing_and_every_dashboard_query_evaluates(
        stack: tuple[str, Prometheus, dict[str, str], Path]) -> None:
    base, prom, env, work = stack
    started = time.time()
    _until("the first scrape", lambda: prom.query('up{job="consentry"} == 1'), 30)
    _until("the rules to be evaluated", prom.evaluated, 30)
    time.sleep(3)  # a few evaluations of a healthy, idle collector
    assert prom.alerts() == {}, "alerts active on a healthy collector"

    # --- storage breaks under the writer; clients keep sending ---------------------------------------------------
    table = _events_table_dir(env)
    away = table.with_name(table.name + ".away")
    table.rename(away)
    table.touch()  # a file where the table's directory was: every insert into events fails
    install_ids: list[str] = []
    seen: dict[str, set[str]] = {name: set() for name in DRIVEN}
    statuses: list[int] = []

    def drive() -> None:
        statuses.append(_post_batch(base, install_ids))
        _get(base + "/readyz")  # as the kubelet's readiness probe does
        for name, state in prom.alerts().items():
            seen.setdefault(name, set()).add(state)

    try:
        _until("every driven alert to fire", lambda: all("firing" in seen[name] for name in DRIVEN), 120,
               every=drive)
    finally:
        table.unlink()
        away.rename(table)  # storage repaired
    print(f"driven: {len(statuses)} batches, {statuses.count(503)} refused; alerts seen: {seen}")
    assert 202 in statuses and 503 in statuses, statuses
    for name in DRIVEN:
        assert seen[name] == {"pending", "firing"}, (name, seen[name])
    # Nothing else: no intake errors (spool_full is not one), the registry kept refreshing, no job or deletion
    # alert. SpoolFillingUp may join: the spool does grow toward its cap.
    assert set(seen) - set(DRIVEN) <= {"ConsentrySpoolFillingUp"}, seen
    assert prom.query("consentry_writer_failures_total > 0")
    assert prom.query("consentry_spool_full == 1")

    # --- recovery: the writer drains, the pod is ready again, NotReady resolves ------------------------------------
    def ready() -> bool:
        return _get(base + "/readyz")[0] == 200

    _until("the writer to drain the spool", ready, 90)
    _until("ConsentryNotReady to resolve", lambda: "ConsentryNotReady" not in prom.alerts(), 30,
           every=lambda: _get(base + "/readyz"))
    for _ in range(3):
        assert _post_batch(base, install_ids) == 202
    _until("inserts to show in Prometheus", lambda: prom.query("consentry_insert_rows_count > 0"), 30)
    time.sleep(2)

    # --- every dashboard query evaluates against this Prometheus ------------------------------------------------
    queries = _dashboard_queries()
    assert len(queries) >= 20
    empty = []
    for expr in queries:
        result = prom.query(_grafana(expr))
        prom.query_range(_grafana(expr), started, time.time())
        if not result:
            empty.append(expr)
    must_have_data = ("consentry_events_accepted_total", "consentry_refusals_total", "consentry_spool_bytes",
                      "consentry_request_seconds_bucket", "consentry_insert_rows_sum", "consentry_insert_seconds",
                      "consentry_redactions_total", "ALERTS")
    print(f"{len(queries)} dashboard queries evaluated, {len(empty)} without data now: {empty}")
    for expr in empty:
        assert not any(name in expr for name in must_have_data), f"no data for {expr}"

    # The writer's failures were logged, and no line names an install.
    log = (work / "serve.log").read_text(encoding="utf-8")
    assert "insert failed" in log
    assert not any(install_id in log for install_id in install_ids)
