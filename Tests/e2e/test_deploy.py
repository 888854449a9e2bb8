"""The deployment files, proven against the code: the Dockerfile lints and installs every library
the binaries load; compose and both Kubernetes overlays render and validate; every variable a
service requires is set for it and none is set that no code reads; ports, probes and topics
equal what the code and asyncapi.yaml say; the dashboard names real metrics; and the compose
configuration works (scripts/compose-smoke.py)."""
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TOOLS = Path(sys.executable).parent  # hadolint, kubectl, kubernetes-validate and check-jsonschema, from requirements.txt
KUBERNETES_VERSION = "1.34.0"

spec = importlib.util.spec_from_file_location("compose_smoke", ROOT / "scripts/compose-smoke.py")
compose_smoke = importlib.util.module_from_spec(spec)
spec.loader.exec_module(compose_smoke)


def run(*argv, **kwargs):
    return subprocess.run([str(part) for part in argv], capture_output=True, text=True, timeout=300, **kwargs)


@pytest.fixture(scope="module")
def bin_dir(maestro_bin):
    return Path(maestro_bin).parent


@pytest.fixture(scope="module")
def services(maestro_bin):
    """The services that exist (a folder under Services/), with their catalog ports."""
    listed = run(maestro_bin, "services").stdout.splitlines()
    ports = {line.split("\t")[0]: int(line.split("\t")[2]) for line in listed}
    existing = {path.name for path in (ROOT / "Services").iterdir() if path.is_dir()}
    assert existing and existing <= ports.keys()
    return {name: ports[name] for name in sorted(existing)}


@pytest.fixture(scope="module")
def required(services, bin_dir):
    """What each binary requires in production, as it says itself when given nothing."""
    result = {}
    for name in services:
        answer = run(bin_dir / f"maestro-{name}", env={"MAESTRO_ENVIRONMENT": "production"})
        assert answer.returncode == 2, answer.stderr
        result[name] = set(re.findall(r"^  (MAESTRO_[A-Z0-9_]+): required", answer.stderr, re.M))
        assert {"MAESTRO_POSTGRES_URL", "MAESTRO_KAFKA_BROKERS"} <= result[name]
    return result


@pytest.fixture(scope="module")
def read_by_code(services):
    """Per service, the MAESTRO_* names its binary's sources hold in string literals (the kit's
    and its own; comments do not count), and the prefixes it completes by interpolation
    ("MAESTRO_KAFKA_OAUTH_\\(name)")."""
    shared = "".join(path.read_text() for path in (ROOT / "Shared").rglob("*.swift"))
    result = {}
    for name in services:
        code = shared + "".join(path.read_text() for path in (ROOT / "Services" / name).rglob("*.swift"))
        names = set(re.findall(r'"(MAESTRO_[A-Z0-9_]*[A-Z0-9])"', code))
        prefixes = set(re.findall(r'"(MAESTRO_[A-Z0-9_]+_)\\\(', code))
        result[name] = (names, prefixes)
    return result


def is_read(variable, read):
    names, prefixes = read
    return variable in names or any(variable.startswith(prefix) for prefix in prefixes)


@pytest.fixture(scope="module")
def secrets(tmp_path_factory, maestro_bin):
    folder = tmp_path_factory.mktemp("deploy") / "secrets"
    assert run(maestro_bin, "secrets", folder).returncode == 0
    return folder


@pytest.fixture(scope="module")
def compose(tmp_path_factory, secrets):
    """compose/ as an operator has it, with `maestro secrets` run into compose/secrets."""
    folder = tmp_path_factory.mktemp("compose") / "compose"
    shutil.copytree(ROOT / "compose", folder, ignore=shutil.ignore_patterns("secrets"))
    shutil.copytree(secrets, folder / "secrets")
    return folder, yaml.safe_load((folder / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, secrets):
    """Each kustomization rendered by kubectl kustomize: {"base"|"dev"|"production": (file, objects)}."""
    folder = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(ROOT / "k8s", folder, ignore=shutil.ignore_patterns("secrets"))
    shutil.copytree(secrets, folder / "overlays/dev/secrets")
    result = {}
    for name, path in [("base", "base"), ("dev", "overlays/dev"), ("production", "overlays/production")]:
        answer = run(TOOLS / "kubectl", "kustomize", folder / path)
        assert answer.returncode == 0, f"kubectl kustomize {path}: {answer.stderr}"
        output = folder.parent / f"{name}.yaml"
        output.write_text(answer.stdout)
        result[name] = (output, [doc for doc in yaml.safe_load_all(answer.stdout) if doc])
    return result


def maestro_deployments(objects):
    """{service: Deployment} for the Deployments that run a Maestro service binary."""
    result = {}
    for obj in objects:
        if obj["kind"] == "Deployment":
            container = obj["spec"]["template"]["spec"]["containers"][0]
            command = (container.get("command") or [""])[0]
            if command.startswith("maestro-"):
                result[command.removeprefix("maestro-")] = obj
    return result


# The image

def test_the_dockerfile_passes_hadolint():
    answer = run(TOOLS / "hadolint", "--config", ROOT / ".hadolint.yaml", ROOT / "Dockerfile")
    assert answer.returncode == 0, answer.stdout + answer.stderr


def test_the_image_uses_the_toolchain_the_package_needs_and_runs_unprivileged():
    dockerfile = (ROOT / "Dockerfile").read_text()
    tools_version = re.search(r"swift-tools-version:\s*(\d+)\.(\d+)", (ROOT / "Package.swift").read_text()).groups()
    image = re.search(r"ARG SWIFT_IMAGE=swift:(\d+)\.(\d+)(?:\.\d+)?-bookworm", dockerfile)
    assert image and image.group(1) == tools_version[0] and int(image.group(2)) >= int(tools_version[1])
    assert "ARG RUNTIME_IMAGE=debian:bookworm-slim" in dockerfile
    assert re.search(r"^USER 10001:10001$", dockerfile, re.M)
    assert re.search(r'^HEALTHCHECK .*CMD \["maestro", "health"\]$', dockerfile, re.M)
    assert "*.resources" in dockerfile, "each binary's resources bundle must be copied next to it"
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".build", ".maestro", "compose/secrets", "k8s/overlays/dev/secrets"} <= set(ignored)


def test_the_runtime_stage_installs_every_library_the_binaries_load(services, bin_dir):
    """Each shared library a service binary loads (but the Swift runtime, linked statically in
    the image) comes from a package the runtime stage installs, one it depends on, or the base."""
    runtime = (ROOT / "Dockerfile").read_text().split("FROM ${RUNTIME_IMAGE}")[1]
    installed = set(re.search(r"--no-install-recommends ([^\\\n]+)", runtime).group(1).split())
    depends = run("apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts", "--no-breaks",
                  "--no-replaces", "--no-enhances", *sorted(installed)).stdout
    available = installed | {line.strip().split(": ")[-1].strip("<>") for line in depends.splitlines()} | {"libc6", "libgcc-s1", "libstdc++6"}
    for name in services:
        libraries = re.findall(r"=> (/\S+)", run("ldd", bin_dir / f"maestro-{name}").stdout)
        for library in libraries:
            if library.startswith("/opt/swift") or "/usr/share/swift" in library or library.startswith(str(ROOT)):
                continue
            owners = [run("dpkg", "-S", path).stdout.split(":")[0] for path in {library, os.path.realpath(library), "/usr" + library}]
            owner = next((o for o in owners if o), None)
            assert owner, f"maestro-{name} loads {library}, which no Debian package provides"
            assert owner in available, f"maestro-{name} loads {library} from {owner}, which the runtime stage does not install"


# docker-compose

def test_the_compose_file_follows_the_compose_specification():
    answer = run(TOOLS / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", ROOT / "compose/docker-compose.yml")
    assert answer.returncode == 0, answer.stdout + answer.stderr


def test_compose_sets_what_each_service_requires_and_nothing_no_code_reads(compose, services, required, read_by_code):
    folder, compose_file = compose
    declared = compose_smoke.maestro_services(compose_file["services"])
    assert set(declared) == set(services), "every service of Services/ is in compose, and nothing else runs a Maestro binary"
    for name, service in declared.items():
        env = compose_smoke.container_environment(folder, service, {})
        assert required[name] <= env.keys(), f"{name}: compose leaves {sorted(required[name] - env.keys())} unset"
        unread = [variable for variable in env if not is_read(variable, read_by_code[name])]
        assert not unread, f"{name}: compose sets {unread}, which no code of maestro-{name} reads"
        assert int(env["MAESTRO_HTTP_PORT"]) == services[name]
        assert f"{services[name]}:{services[name]}" in service["ports"]
        assert service["healthcheck"]["test"] == ["CMD", "maestro", "health", "--ready"]
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"]
        assert all(not str(value).startswith(("mk_", "postgres://")) for value in (service.get("environment") or {}).values()), \
            f"{name}: a secret is written in the compose file"
        if name != "governance":
            assert service["depends_on"]["governance"]["condition"] == "service_healthy"
        for infrastructure in ("postgres", "redis"):
            assert service["depends_on"][infrastructure]["condition"] == "service_healthy"
        assert service["depends_on"]["kafka-topics"]["condition"] == "service_completed_successfully"


def test_kafka_in_compose_and_the_dev_overlay_formats_its_storage_with_a_valid_cluster_id(compose, rendered):
    """The apache/kafka image formats KRaft storage with CLUSTER_ID, which must be a Kafka UUID."""
    import base64
    _, compose_file = compose
    ids = [compose_file["services"]["kafka"]["environment"]["CLUSTER_ID"]]
    for obj in rendered["dev"][1]:
        if obj["kind"] == "StatefulSet" and obj["metadata"]["name"] == "kafka":
            ids += [entry["value"] for entry in obj["spec"]["template"]["spec"]["containers"][0]["env"] if entry["name"] == "CLUSTER_ID"]
    assert len(ids) == 2
    for cluster_id in ids:
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", cluster_id) and len(base64.urlsafe_b64decode(cluster_id + "==")) == 16, cluster_id


def test_the_compose_configuration_works(bin_dir):
    """Every service starts natively with compose's environment, gets ready, accepts an admin
    token, registers its event key; a missing or malformed variable stops it at once."""
    answer = subprocess.run([sys.executable, ROOT / "scripts/compose-smoke.py", "--bin", bin_dir],
                            capture_output=True, text=True, timeout=900)
    print(answer.stdout)
    assert answer.returncode == 0, answer.stdout[-4000:] + answer.stderr[-4000:]
    assert "the compose configuration works" in answer.stdout


# Kubernetes

@pytest.mark.parametrize("target", ["base", "dev", "production"])
def test_each_kustomization_renders_and_validates(rendered, target):
    output, objects = rendered[target]
    answer = run(TOOLS / "kubernetes-validate", "--strict", "-k", KUBERNETES_VERSION, output)
    assert answer.returncode == 0, answer.stdout[-4000:] + answer.stderr[-4000:]
    # kubernetes-validate has no schema for Strimzi's KafkaTopic: it only warns; those are checked below.
    unvalidated = {obj["kind"] for obj in objects if obj["apiVersion"].split("/")[0].endswith("strimzi.io")}
    assert unvalidated <= {"KafkaTopic"}


@pytest.mark.parametrize("overlay", ["dev", "production"])
def test_each_overlay_sets_what_each_service_requires_and_nothing_no_code_reads(rendered, overlay, services, required, read_by_code):
    _, objects = rendered[overlay]
    config_maps = {obj["metadata"]["name"]: obj.get("data", {}) for obj in objects if obj["kind"] == "ConfigMap"}
    deployments = maestro_deployments(objects)
    assert set(deployments) == set(services), "every service of Services/ has a Deployment"
    kubernetes_services = {obj["metadata"]["name"]: obj for obj in objects if obj["kind"] == "Service"}
    budgets = {obj["spec"]["selector"]["matchLabels"].get("app.kubernetes.io/name") for obj in objects if obj["kind"] == "PodDisruptionBudget"}
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        env = {entry["name"]: entry.get("value") for entry in container.get("env", [])}
        for source in container.get("envFrom", []):
            assert "configMapRef" in source, f"{name}: secrets come one variable at a time (env.valueFrom), so parity is visible"
            env.update(config_maps[source["configMapRef"]["name"]])
        assert required[name] <= env.keys(), f"{name} ({overlay}): {sorted(required[name] - env.keys())} unset"
        unread = [variable for variable in env if not is_read(variable, read_by_code[name])]
        assert not unread, f"{name} ({overlay}): sets {unread}, which no code of maestro-{name} reads"
        assert int(env["MAESTRO_HTTP_PORT"]) == services[name]
        assert container["ports"] == [{"name": "http", "containerPort": services[name], "protocol": "TCP"}]
        served = yaml.safe_load((ROOT / "Services" / name / "openapi.yaml").read_text())["paths"]
        assert {"/health/live", "/health/ready", "/metrics"} <= served.keys(), f"{name} does not document the paths its probes use"
        assert container["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": "http"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "http"}
        assert container["resources"]["requests"] and container["resources"]["limits"]
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] and not security["allowPrivilegeEscalation"] and security["capabilities"]["drop"] == ["ALL"]
        assert pod["securityContext"]["runAsNonRoot"] and pod["securityContext"]["runAsUser"] == 10001
        service = kubernetes_services[name]
        assert [(port["port"], port["targetPort"]) for port in service["spec"]["ports"]] == [(services[name], "http")]
        assert name in budgets, f"{name}: no PodDisruptionBudget"
    assert any(obj["kind"] == "NetworkPolicy" and obj["spec"]["podSelector"] == {} for obj in objects), "no default-deny NetworkPolicy"
    if overlay == "production":
        scaled = {obj["spec"]["scaleTargetRef"]["name"] for obj in objects if obj["kind"] == "HorizontalPodAutoscaler"}
        assert scaled and scaled <= set(deployments)


# Topics

def contract_topics():
    document = yaml.safe_load((ROOT / "asyncapi.yaml").read_text())
    return {channel["address"]: (channel["bindings"]["kafka"]["partitions"], int(channel["bindings"]["kafka"]["topicConfiguration"]["retention.ms"]))
            for channel in document["channels"].values()}


def test_the_topic_job_creates_every_topic_of_the_contract(tmp_path):
    shim = tmp_path / "kafka-topics"
    shim.write_text(f"#!/bin/sh\nexec {sys.executable} {ROOT / 'scripts/compose-smoke.py'} kafka-topics \"$@\"\n")
    shim.chmod(0o755)
    answer = run("sh", ROOT / "compose/kafka/create-topics.sh",
                 env={"PATH": os.environ["PATH"], "KAFKA_TOPICS": str(shim), "SMOKE_TOPICS_FILE": str(tmp_path / "topics.jsonl")})
    assert answer.returncode == 0, answer.stderr
    created = [json.loads(line) for line in (tmp_path / "topics.jsonl").read_text().splitlines()]
    assert {topic["topic"]: (topic["partitions"], int(topic["config"]["retention.ms"])) for topic in created} == contract_topics()
    assert len(created) == len(contract_topics())
    for copy in ("create-topics.sh", "init-roles.sh"):
        original = ROOT / ("compose/kafka" if copy == "create-topics.sh" else "compose/postgres") / copy
        assert (ROOT / "k8s/overlays/dev/scripts" / copy).read_bytes() == original.read_bytes(), f"k8s's {copy} differs from compose's"
        # The postgres image's entrypoint runs an executable init script and sources any other.
        assert os.access(original, os.X_OK), f"{original} is not executable"


def test_strimzi_creates_every_topic_of_the_contract_for_production(rendered):
    _, objects = rendered["production"]
    topics = [obj for obj in objects if obj["kind"] == "KafkaTopic"]
    assert {obj["spec"]["topicName"]: (obj["spec"]["partitions"], int(obj["spec"]["config"]["retention.ms"])) for obj in topics} == contract_topics()
    for topic in topics:
        assert topic["spec"]["replicas"] == 3 and int(topic["spec"]["config"]["min.insync.replicas"]) == 2
        assert topic["metadata"]["labels"]["strimzi.io/cluster"]


# Observability

def test_prometheus_scrapes_every_service_and_the_dashboard_names_real_metrics(services):
    prometheus = yaml.safe_load((ROOT / "compose/prometheus/prometheus.yml").read_text())
    scraped = {(target, static["labels"]["service"]) for job in prometheus["scrape_configs"] for static in job["static_configs"]
               for target in static["targets"]}
    assert {(f"{name}:{port}", name) for name, port in services.items()} <= scraped, "Prometheus scrapes every service, labelled by name"
    dashboard = json.loads((ROOT / "compose/grafana/dashboards/maestro.json").read_text())
    panels = dashboard["panels"] + [inner for panel in dashboard["panels"] for inner in panel.get("panels", [])]
    expressions = [target["expr"] for panel in panels for target in panel.get("targets", [])]
    assert len(expressions) >= len([panel for panel in panels if panel["type"] != "row"])
    code = "".join(path.read_text() for path in (ROOT / "Shared").rglob("*.swift"))
    code += "".join(path.read_text() for path in (ROOT / "Services").rglob("*.swift"))
    used = {re.sub(r"_(bucket|sum|count)$", "", metric) for expr in expressions for metric in re.findall(r"\b(?:maestro|http)_[a-z_]+", expr)}
    unknown = sorted(metric for metric in used if not re.search(rf"\b{metric}\b", code))
    assert not unknown, f"the dashboard names metrics no code exports: {unknown}"


# The tools the deployment files rely on

def test_secrets_keep_every_value_and_fill_in_what_is_missing(maestro_bin, tmp_path):
    folder = tmp_path / "secrets"
    assert run(maestro_bin, "secrets", folder).returncode == 0
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert all(oct(path.stat().st_mode & 0o777) == "0o600" for path in folder.iterdir())
    before = {path.name: path.read_text() for path in folder.iterdir()}
    (folder / "registry.env").unlink()
    (folder / "audit-signing.key").unlink()
    assert run(maestro_bin, "secrets", folder).returncode == 0
    after = {path.name: path.read_text() for path in folder.iterdir()}
    assert after["registry.env"] == before["registry.env"], "registry's values come back from governance's list and postgres.env"
    assert after["audit-signing.key"] != before["audit-signing.key"] and len(after["audit-signing.key"].strip()) == 44
    assert {name: text for name, text in after.items() if name != "audit-signing.key"} == \
        {name: text for name, text in before.items() if name != "audit-signing.key"}
    governance = compose_smoke.read_env_file(folder / "governance.env")
    postgres = compose_smoke.read_env_file(folder / "postgres.env")
    registry = compose_smoke.read_env_file(folder / "registry.env")
    assert f"registry={registry['MAESTRO_SERVICE_ACCOUNT_KEY']}" in governance["MAESTRO_GOVERNANCE_SERVICE_ACCOUNT_KEYS"].split(",")
    assert registry["MAESTRO_POSTGRES_URL"].startswith(f"postgres://registry_app:{postgres['REGISTRY_DB_PASSWORD']}@postgres:5432/")
    assert re.fullmatch(r"mk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", governance["MAESTRO_BOOTSTRAP_ADMIN_KEY"])


def test_the_health_check_fails_clearly_when_nothing_answers(maestro_bin):
    port = compose_smoke.free_port()
    answer = run(maestro_bin, "health", "--port", port, "--timeout", "2")
    assert answer.returncode == 1 and f"http://127.0.0.1:{port}/health/live" in answer.stderr
    answer = run(maestro_bin, "health", "--ready", env={"PATH": os.environ["PATH"]})
    assert answer.returncode == 1 and "MAESTRO_HTTP_PORT" in answer.stderr
