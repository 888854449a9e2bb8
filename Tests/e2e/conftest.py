"""Black-box tests of the running bus, driven the way users drive it: the maestro CLI,
confluent-kafka, the cloudevents SDK and kcat. `make test` provides the environment."""
import os
import subprocess
import uuid

import pytest


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
