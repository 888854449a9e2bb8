"""Black-box tests of the running bus, driven the way users drive it: the maestro CLI,
confluent-kafka, the cloudevents SDK and kcat. `make test` provides the environment."""
import contextlib
from collections import namedtuple
from urllib.parse import urlsplit
import json
import os
import subprocess
import uuid

import pytest

from otlp_receiver import OTLPReceiver


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set: run the e2e suite through `make test`")
    return value


@pytest.fixture(scope="session")
def brokers() -> str:
    return _required("MAESTRO_KAFKA_BROKERS")


@pytest.fixture(scope="session")
def maestro_bin() -> str:
    return _required("MAESTRO_BIN")


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:12]


@pytest.fixture
def maestro(maestro_bin, brokers):
    """Runs the maestro CLI and returns the completed process (never raises on exit status)."""

    def run(*args: str, stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([maestro_bin, *args], input=stdin, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "MAESTRO_KAFKA_BROKERS": brokers})

    return run


def _free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def registry(maestro_bin, brokers, tmp_path_factory, governance_event_key):
    """A running maestro-registry on its own database of the make-test PostgreSQL, with a
    signing key of its own, trusting `governance_event_key` as governance's event key (there
    is no governance); yields (base URL, a function minting tokens). Per module: two
    registries with different databases must not share the broker's consumer groups at once."""
    import requests
    import time

    admin_url = _required("MAESTRO_TEST_POSTGRES_ADMIN_URL")
    redis_url = _required("MAESTRO_REDIS_URL")
    database = f"e2e_registry_{uuid.uuid4().hex[:8]}"
    subprocess.run(["psql", admin_url, "-qc", f"CREATE DATABASE {database}"], check=True, capture_output=True)
    postgres_url = admin_url.rsplit("/", 1)[0] + f"/{database}?sslmode=disable"
    home = tmp_path_factory.mktemp("registry")
    keys = home / "keys"

    def token(tenant: str = "default", roles: str = "admin", subject: str = "e2e") -> str:
        result = subprocess.run([maestro_bin, "dev", "token", "--dir", str(home), "--tenant", tenant, "--roles", roles,
                                 "--sub", subject], capture_output=True, text=True, check=True)
        return result.stdout.strip()

    token()  # creates the signing key and its JWKS before the service loads them
    (home / "event-keys.json").write_text(json.dumps({"keys": [governance_event_key.jwk()]}))
    port = _free_port()
    binary = os.path.join(os.path.dirname(maestro_bin), "maestro-registry")
    log = open(home / "registry.log", "w")
    process = subprocess.Popen([binary], stdout=log, stderr=subprocess.STDOUT, env={
        **os.environ, "MAESTRO_HTTP_PORT": str(port), "MAESTRO_POSTGRES_URL": postgres_url, "MAESTRO_REDIS_URL": redis_url,
        "MAESTRO_KAFKA_BROKERS": brokers, "MAESTRO_JWKS_FILE": str(keys / "jwks.json"), "MAESTRO_LOG_LEVEL": "warning",
        "MAESTRO_EVENT_KEYS_FILE": str(home / "event-keys.json"), "MAESTRO_EVENT_SIGNING_KEY_FILE": str(home / "registry-events.key"),
        "MAESTRO_RATE_LIMIT_RPS": "10000", "MAESTRO_RATE_LIMIT_BURST": "10000",
        # Each fixture's services are their own deployment: groups shared with an earlier one would wait for it to leave.
        "MAESTRO_CONSUMER_GROUP_PREFIX": f"e2e-{database}-"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"maestro-registry exited with {process.returncode}: {(home / 'registry.log').read_text()}")
        try:
            if requests.get(f"{url}/health/ready", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    else:
        raise RuntimeError(f"maestro-registry did not become ready: {(home / 'registry.log').read_text()}")
    yield url, token
    # SIGTERM is a graceful shutdown: the server drains, consumers commit, the producer flushes, exit 0.
    process.terminate()
    status = process.wait(timeout=60)
    log.close()
    assert status == 0, f"maestro-registry exited with {status} on SIGTERM: {(home / 'registry.log').read_text()[-2000:]}"


@pytest.fixture(scope="session")
def governance_event_key():
    """An event key standing in for governance's, for services run without governance."""
    from maestro_api import EventKey

    return EventKey("governance")


def _api_key() -> str:
    """A new API key in governance's format, mk_<12 hex>_<43 base64url>."""
    return "mk_" + uuid.uuid4().hex[:12] + "_" + (uuid.uuid4().hex + uuid.uuid4().hex)[:43]


def _start(binary, env, home, name, port=None):
    """Starts a service binary on `port` (a free one if None) and waits until /health/ready
    answers 200; returns (process, url, log path)."""
    import requests
    import time

    port = port or _free_port()
    log_path = home / f"{name}.log"
    log = open(log_path, "w")
    environment = {key: value for key, value in {**os.environ, "MAESTRO_EVENT_SIGNING_KEY_FILE": str(home / f"{name}-events.key"), **env,
                                                  "MAESTRO_HTTP_PORT": str(port)}.items() if value is not None}
    process = subprocess.Popen([binary], stdout=log, stderr=subprocess.STDOUT, env=environment)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}: {log_path.read_text()}")
        try:
            if requests.get(f"{url}/health/ready", timeout=1).status_code == 200:
                return process, url, log_path
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{name} did not become ready: {log_path.read_text()}")


@contextlib.contextmanager
def _governance_and_registry(maestro_bin, brokers, home, environment=None, with_registry=True):
    """maestro-governance and a maestro-registry that trusts its tokens, each on its own database
    and both with `environment` added to their own; yields (governance URL, registry URL, admin API key).
    Both take governance's own URL as the token issuer. Without `with_registry` only governance
    runs and the registry URL is None."""
    admin_url = _required("MAESTRO_TEST_POSTGRES_ADMIN_URL")
    suffix = uuid.uuid4().hex[:8]
    governance_port = _free_port()
    common = {"MAESTRO_REDIS_URL": _required("MAESTRO_REDIS_URL"), "MAESTRO_KAFKA_BROKERS": brokers, "MAESTRO_LOG_LEVEL": "warning",
              "MAESTRO_RATE_LIMIT_RPS": "10000", "MAESTRO_RATE_LIMIT_BURST": "10000", "MAESTRO_CONSUMER_GROUP_PREFIX": f"e2e-{suffix}-",
              "MAESTRO_GOVERNANCE_ISSUER": f"http://127.0.0.1:{governance_port}",
              "MAESTRO_GOVERNANCE_TOKEN_REQUESTS_PER_MINUTE": "100000", "MAESTRO_GOVERNANCE_TOKEN_REQUESTS_PER_ADDRESS_PER_MINUTE": "100000",
              **(environment or {})}
    services = ("governance", "registry") if with_registry else ("governance",)
    urls = {}
    for service in services:
        subprocess.run(["psql", admin_url, "-qc", f"CREATE DATABASE e2e_{service}_{suffix}"], check=True, capture_output=True)
        urls[service] = admin_url.rsplit("/", 1)[0] + f"/e2e_{service}_{suffix}?sslmode=disable"
    admin_key = _api_key()
    # The services' accounts, provisioned by governance; each service registers its event key with its own.
    account_keys = {"registry": _api_key(), "audit": _api_key()}
    (home / "audit-account-key").write_text(account_keys["audit"])
    directory = os.path.dirname(maestro_bin)
    governance, governance_url, governance_log = _start(os.path.join(directory, "maestro-governance"), {
        **common, "MAESTRO_POSTGRES_URL": urls["governance"], "MAESTRO_BOOTSTRAP_ADMIN_KEY": admin_key,
        "MAESTRO_GOVERNANCE_SERVICE_ACCOUNT_KEYS": ",".join(f"{name}={key}" for name, key in account_keys.items()),
        "MAESTRO_GOVERNANCE_EXPIRY_SECONDS": "1"}, home, "governance", governance_port)
    started = [(governance, governance_log)]
    registry_url = None
    if with_registry:
        try:
            registry, registry_url, registry_log = _start(os.path.join(directory, "maestro-registry"), {
                **common, "MAESTRO_POSTGRES_URL": urls["registry"], "MAESTRO_JWKS_URL": f"{governance_url}/.well-known/jwks.json",
                "MAESTRO_JWKS_FILE": None, "MAESTRO_SERVICE_ACCOUNT_KEY": account_keys["registry"]}, home, "registry")
        except BaseException:
            governance.kill()  # never leave a member in the broker's consumer groups behind
            raise
        started.insert(0, (registry, registry_log))
    try:
        yield governance_url, registry_url, admin_key
    except BaseException:
        for process, _ in started:  # the caller failed while setting up: stop what runs, then report that failure
            process.terminate()
            process.wait(timeout=60)
        raise
    for process, log_path in started:
        process.terminate()
        assert process.wait(timeout=60) == 0, log_path.read_text()[-2000:]


@pytest.fixture(scope="module")
def governed(maestro_bin, brokers, tmp_path_factory):
    """maestro-governance and a maestro-registry that trusts its tokens, each on its own database;
    yields (governance URL, registry URL, admin API key)."""
    with _governance_and_registry(maestro_bin, brokers, tmp_path_factory.mktemp("governed")) as services:
        yield services


@pytest.fixture(scope="module")
def traced(maestro_bin, brokers, tmp_path_factory):
    """The services of `governed`, exporting every trace they sample (parent-based, so a sampled
    incoming `traceparent` is followed) to an OTLP receiver every 200 ms; yields (governance URL,
    registry URL, admin API key, the receiver)."""
    with OTLPReceiver() as receiver, _governance_and_registry(maestro_bin, brokers, tmp_path_factory.mktemp("traced"), {
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "200",
            "OTEL_TRACES_SAMPLER": "parentbased_always_on"}) as services:
        yield (*services, receiver)


Services = namedtuple("Services", "governance registry audit admin_key")


@pytest.fixture(scope="module")
def services(maestro_bin, brokers, tmp_path_factory):
    """Per module: the services of `governed`, and maestro-audit trusting governance's tokens, on a database
    of its own and on a Redis database of its own (so only its own revocation consumer can
    refuse a token there)."""
    home = tmp_path_factory.mktemp("revocation")
    with _governance_and_registry(maestro_bin, brokers, home) as (governance, registry, admin_key):
        admin_url = _required("MAESTRO_TEST_POSTGRES_ADMIN_URL")
        database = f"e2e_audit_{uuid.uuid4().hex[:8]}"
        subprocess.run(["psql", admin_url, "-qc", f"CREATE DATABASE {database}"], check=True, capture_output=True)
        process, audit, log_path = _start(os.path.join(os.path.dirname(maestro_bin), "maestro-audit"), {
            "MAESTRO_POSTGRES_URL": admin_url.rsplit("/", 1)[0] + f"/{database}?sslmode=disable",
            "MAESTRO_REDIS_URL": urlsplit(_required("MAESTRO_REDIS_URL"))._replace(path="/7").geturl(),
            "MAESTRO_KAFKA_BROKERS": brokers, "MAESTRO_LOG_LEVEL": "warning", "MAESTRO_CONSUMER_GROUP_PREFIX": f"e2e-{database}-",
            "MAESTRO_RATE_LIMIT_RPS": "10000", "MAESTRO_RATE_LIMIT_BURST": "10000", "MAESTRO_GOVERNANCE_ISSUER": governance,
            "MAESTRO_JWKS_URL": f"{governance}/.well-known/jwks.json", "MAESTRO_JWKS_FILE": None,
            "MAESTRO_AUDIT_SIGNING_KEY_FILE": str(home / "audit-signing.key"),
            "MAESTRO_SERVICE_ACCOUNT_KEY": (home / "audit-account-key").read_text()}, home, "audit")
        try:
            yield Services(governance, registry, audit, admin_key)
        finally:
            process.terminate()
            status = process.wait(timeout=60)
        assert status == 0, log_path.read_text()[-2000:]
