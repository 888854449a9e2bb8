import os
import signal
import socket
import subprocess
import tempfile
import time

import pytest
import requests

from otlp_receiver import OTLPReceiver

POSTGRES_PORT = 7632
REDIS_PORT = 7579


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def start(maestro_bin: str, directory: str, *options: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([maestro_bin, "dev", "up", "--dir", directory, "--postgres-port", str(POSTGRES_PORT),
                                "--redis-port", str(REDIS_PORT), *options], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
        if "Press Ctrl-C to stop." in line:
            return process, "".join(output)
    process.kill()
    raise AssertionError("maestro dev up did not report ready:\n" + "".join(output))


def stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=60)
    assert process.returncode == 0, rest
    return rest


@pytest.fixture
def stack_dir():
    # The postgres user must be able to reach the directory when the tests run as root.
    directory = tempfile.mkdtemp(prefix="maestro-dev-up-", dir="/tmp")
    os.chmod(directory, 0o755)
    yield os.path.join(directory, "stack")
    subprocess.run(["rm", "-rf", directory], check=False)


def test_dev_up_reports_ready_serves_and_stops_cleanly_on_sigint(maestro_bin, stack_dir):
    process, banner = start(maestro_bin, stack_dir)
    try:
        assert f"postgres://maestro@127.0.0.1:{POSTGRES_PORT}/maestro" in banner
        token = banner.split("Admin token (tenant default, 12 h):\n")[1].splitlines()[0]
        assert token.count(".") == 2 and token.startswith("eyJ")

        query = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(POSTGRES_PORT), "-U", "maestro", "-d", "maestro", "-tAc",
                                "CREATE TABLE kept (n int); INSERT INTO kept VALUES (42); SELECT n FROM kept"],
                               capture_output=True, text=True, timeout=30)
        assert query.stdout.strip().splitlines()[-1] == "42", query.stderr
        assert subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "set", "kept", "yes"], capture_output=True, text=True).stdout.strip() == "OK"
        bootstrap = open(os.path.join(stack_dir, "run", "kafka.bootstrap")).read().strip()
        listing = subprocess.run(["kcat", "-L", "-b", bootstrap], capture_output=True, text=True, timeout=30)
        assert "maestro.registry.events" in listing.stdout

        # The registry runs in the stack and accepts the printed token.
        assert "http://127.0.0.1:7101" in banner
        models = requests.get("http://127.0.0.1:7101/v1/models", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert models.status_code == 200, models.text
        assert models.json() == {"items": []}
        # It connects as its own role, which row-level security binds (no superuser, no BYPASSRLS).
        role = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(POSTGRES_PORT), "-U", "maestro", "-d", "maestro", "-tAc",
                               "SELECT rolsuper OR rolbypassrls, (SELECT count(*) > 0 FROM pg_stat_activity WHERE usename = 'registry_app') "
                               "FROM pg_roles WHERE rolname = 'registry_app'"], capture_output=True, text=True, timeout=30)
        assert role.stdout.strip() == "f|t", role.stdout + role.stderr

        # MLflow's own client works with the governance-issued token.
        os.environ["MLFLOW_TRACKING_TOKEN"] = token
        try:
            from mlflow import MlflowClient
            mlflow = MlflowClient(tracking_uri="http://127.0.0.1:7101", registry_uri="http://127.0.0.1:7101")
            mlflow.create_registered_model("dev-up-model", tags={"team": "risk"})
            assert mlflow.get_registered_model("dev-up-model").tags == {"team": "risk"}
        finally:
            del os.environ["MLFLOW_TRACKING_TOKEN"]

        # Audit records what just happened, as its own role, and the log verifies against its pinned key.
        assert "http://127.0.0.1:7103" in banner
        key_file = os.path.join(stack_dir, "keys", "audit-signing.key")
        assert oct(os.stat(key_file).st_mode & 0o777) == "0o600"
        public_key = requests.get("http://127.0.0.1:7103/v1/audit/public-keys", timeout=10).json()["keys"][0]["public_key"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            report = requests.get("http://127.0.0.1:7103/v1/audit/reports/models/dev-up-model", headers={"Authorization": f"Bearer {token}"}, timeout=10)
            if report.status_code == 200 and report.json()["entries"]:
                break
            time.sleep(0.5)
        assert report.json()["entries"][0]["type"] == "io.maestro.registry.model.created.v1", report.text
        verified = subprocess.run([maestro_bin, "audit", "verify", "--url", "http://127.0.0.1:7103", "--public-key", public_key],
                                  capture_output=True, text=True, timeout=120, env={**os.environ, "MAESTRO_TOKEN": token})
        assert verified.returncode == 0 and "intact" in verified.stdout, verified.stderr

        # Governance issued the token: its key set is what every service verifies against.
        assert "http://127.0.0.1:7102" in banner
        api_key = banner.split("Admin API key (tenant default; exchange it at POST /v1/tokens):\n")[1].splitlines()[0]
        exchanged = requests.post("http://127.0.0.1:7102/v1/tokens", json={"api_key": api_key}, timeout=10)
        assert exchanged.status_code == 200, exchanged.text
        me = requests.get("http://127.0.0.1:7102/v1/me", headers={"Authorization": f"Bearer {exchanged.json()['access_token']}"}, timeout=10)
        assert me.json()["subject"] == "admin" and me.json()["roles"] == ["admin"]

        # The token works: a service built with the kit, verifying against governance's key set URL, accepts it.
        http = subprocess.Popen([os.path.join(os.path.dirname(maestro_bin), "HTTPBench")],
                                env={"PATH": os.environ["PATH"], "MAESTRO_JWKS_URL": "http://127.0.0.1:7102/.well-known/jwks.json",
                                     "MAESTRO_HTTP_PORT": "7197", "MAESTRO_LOG_LEVEL": "warning"},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while not port_open(7197) and time.monotonic() < deadline:
                time.sleep(0.1)
            accepted = requests.get("http://127.0.0.1:7197/v1/ping", headers={"Authorization": f"Bearer {token}"}, timeout=10)
            assert accepted.status_code == 200, accepted.text
            header, payload, signature = token.split(".")
            forged = requests.get("http://127.0.0.1:7197/v1/ping",
                                  headers={"Authorization": f"Bearer {header}.{payload}.{signature[:-4]}AAAA"}, timeout=10)
            assert forged.status_code == 401
            assert forged.headers["content-type"].startswith("application/problem+json")
        finally:
            http.terminate()
            http.wait(timeout=30)

        minted = subprocess.run([maestro_bin, "dev", "token", "--dir", stack_dir, "--tenant", "acme", "--sub", "ana",
                                 "--roles", "viewer,editor", "--ttl", "15m"], capture_output=True, text=True, timeout=30)
        assert minted.returncode == 0, minted.stderr
        assert minted.stdout.strip().count(".") == 2
        bad_role = subprocess.run([maestro_bin, "dev", "token", "--dir", stack_dir, "--roles", "root"], capture_output=True, text=True)
        assert bad_role.returncode != 0 and "--roles" in bad_role.stderr
    finally:
        rest = stop(process)
    assert "stopped" in rest
    assert not port_open(POSTGRES_PORT) and not port_open(REDIS_PORT)
    assert not os.path.exists(os.path.join(stack_dir, "run", "kafka.bootstrap"))

    # --otlp takes an http(s) URL only.
    refused = subprocess.run([maestro_bin, "dev", "up", "--dir", stack_dir, "--otlp", "localhost:4318"], capture_output=True, text=True, timeout=30)
    assert refused.returncode != 0 and "--otlp" in refused.stderr, refused.stderr

    # The next start keeps the data, and with --otlp every service sends its traces to the collector.
    with OTLPReceiver() as receiver:
        process, banner = start(maestro_bin, stack_dir, "--otlp", receiver.endpoint)
        try:
            assert receiver.endpoint in banner
            query = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(POSTGRES_PORT), "-U", "maestro", "-d", "maestro", "-tAc",
                                    "SELECT n FROM kept"], capture_output=True, text=True, timeout=30)
            assert query.stdout.strip() == "42", query.stderr
            assert subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "get", "kept"], capture_output=True, text=True).stdout.strip() == "yes"
            # The audit log survives the restart (the broker's topics do not) and still verifies with the same key.
            exchanged = requests.post("http://127.0.0.1:7102/v1/tokens", json={"api_key": api_key}, timeout=10).json()["access_token"]
            verified = subprocess.run([maestro_bin, "audit", "verify", "--url", "http://127.0.0.1:7103", "--public-key", public_key],
                                      capture_output=True, text=True, timeout=120, env={**os.environ, "MAESTRO_TOKEN": exchanged})
            assert verified.returncode == 0 and "intact" in verified.stdout, verified.stderr
            models = requests.get("http://127.0.0.1:7101/v1/models", headers={"Authorization": f"Bearer {exchanged}"}, timeout=10)
            assert models.status_code == 200, models.text
            served = {"maestro-governance": "/v1/tokens", "maestro-audit": "/v1/audit/export", "maestro-registry": "/v1/models"}

            def traced(spans):
                names = {(span["service"], span["name"]) for span in spans if span["kind"] == "SPAN_KIND_SERVER"}
                return all(item in names for item in served.items())

            receiver.wait_for_spans(traced, 30)
        finally:
            stop(process)
