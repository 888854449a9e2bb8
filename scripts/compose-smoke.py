#!/usr/bin/env python3
"""Proves compose/docker-compose.yml is a working configuration without a container engine.

Reads the compose file and starts each Maestro service's native binary with exactly the
environment compose gives its container (`environment` over `env_file`, interpolated as
compose does), with the compose host names mapped to local servers:
- postgres: the local PostgreSQL (a fresh database), prepared by compose/postgres/init-roles.sh
  run with the postgres service's env_file;
- redis: a redis-server started with the redis service's own command;
- kafka: an embedded broker with only the topics the kafka-topics job's own script creates
  (its kafka-topics command answered by `kafka-topics` below);
- each Maestro service's name: 127.0.0.1 (ports are the compose container ports);
- each volume's mount point: a folder of its own.
Then every service must pass its compose health check (run as compose would, with the
container's environment), governance must issue an admin token for the bootstrap key, every
service must accept it (and refuse no token), and every other service's event key must be
registered with governance. Last, each binary must exit at once (status 2, one line naming the
variable) when any required variable is missing from its compose environment, or malformed.

    compose-smoke.py --bin .build/debug --postgres-admin-url postgres://maestro@127.0.0.1:7433/postgres
    compose-smoke.py kafka-topics ARGS...     (the stand-in for Kafka's kafka-topics.sh)
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
INFRASTRUCTURE = {"postgres", "redis", "kafka", "kafka-topics"}


def kafka_topics(argv):
    """kafka-topics.sh --bootstrap-server B --create --if-not-exists --topic T --partitions N
    --replication-factor R --config k=v ...: records the topic in $SMOKE_TOPICS_FILE for the
    embedded broker, which librdkafka's mock cluster creates only in process."""
    parser = argparse.ArgumentParser(prog="kafka-topics")
    parser.add_argument("--bootstrap-server", required=True)
    parser.add_argument("--create", action="store_true", required=True)
    parser.add_argument("--if-not-exists", action="store_true")
    parser.add_argument("--topic", required=True)
    parser.add_argument("--partitions", type=int, required=True)
    parser.add_argument("--replication-factor", type=int, required=True)
    parser.add_argument("--config", action="append", default=[])
    args = parser.parse_args(argv)
    config = dict(item.split("=", 1) for item in args.config)
    with open(os.environ["SMOKE_TOPICS_FILE"], "a") as topics:
        topics.write(json.dumps({"topic": args.topic, "partitions": args.partitions, "config": config}) + "\n")
    print(f"Created topic {args.topic}.")


def interpolate(value, variables):
    """Compose's ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error} and $$."""
    if not isinstance(value, str):
        return value

    def substitute(match):
        if match.group(0) == "$$":
            return "$"
        name, operator, argument = match.group(1), match.group(2) or "", match.group(3) or ""
        given = variables.get(name)
        if operator in (":-", "-"):
            return given if given or (operator == "-" and given is not None) else argument
        if operator in (":?", "?"):
            if not given:
                sys.exit(f"compose: {name} is required: {argument}")
            return given
        return given or ""

    return re.sub(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?])?([^}]*)\}", substitute, value)


def read_env_file(path):
    values = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value
    return values


def container_environment(compose_dir, service, variables):
    """What compose puts in the container: env_file entries, then `environment` over them."""
    env = {}
    for env_file in service.get("env_file") or []:
        env.update(read_env_file(compose_dir / (env_file if isinstance(env_file, str) else env_file["path"])))
    declared = service.get("environment") or {}
    if isinstance(declared, list):
        declared = dict(item.split("=", 1) for item in declared)
    env.update({name: str(interpolate(value, variables)) for name, value in declared.items()})
    return env


def maestro_services(services):
    """The compose services that run a Maestro service binary (`command: ["maestro-<name>"]`)."""
    return {name: service for name, service in services.items() if str((service.get("command") or [""])[0]).startswith("maestro-")}


def start_order(services):
    """Maestro services, each after those it depends on."""
    ordered, seen = [], set()

    def visit(name):
        if name in seen or name in INFRASTRUCTURE:
            return
        seen.add(name)
        depends = services[name].get("depends_on") or {}
        for dependency in depends if isinstance(depends, list) else depends.keys():
            visit(dependency)
        ordered.append(name)

    for name in maestro_services(services):
        visit(name)
    return ordered


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http(method, url, body=None, token=None):
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def authenticated_get(service_name):
    """A GET of the service's own API that needs a token and no path or required query parameter."""
    document = yaml.safe_load((ROOT / "Services" / service_name / "openapi.yaml").read_text())
    for path, item in document["paths"].items():
        operation = item.get("get")
        if "{" in path or not operation or operation.get("security") == []:
            continue
        if any(parameter.get("required") for parameter in operation.get("parameters", []) if "$ref" not in parameter):
            continue
        return path
    sys.exit(f"{service_name}: openapi.yaml has no GET without parameters that needs a token")


class Smoke:
    def __init__(self, args):
        self.args = args
        self.bin = Path(args.bin).resolve()
        self.work = Path(tempfile.mkdtemp(prefix="maestro-compose-smoke."))
        self.processes = []
        self.failures = []

    def log(self, message):
        print(f"compose-smoke: {message}", flush=True)

    def fail(self, message):
        self.failures.append(message)
        self.log(f"FAIL {message}")

    def spawn(self, name, argv, env, cwd=None):
        log = open(self.work / f"{name}.log", "w")
        process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append((name, process))
        return process

    def stop_all(self):
        for _, process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _, process in reversed(self.processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def show_log(self, name):
        path = self.work / f"{name}.log"
        if path.exists():
            print(f"--- {name}.log (last lines) ---\n" + "\n".join(path.read_text(errors="replace").splitlines()[-40:]), flush=True)

    def run(self):
        # The compose folder as an operator has it: the file, its scripts, and `maestro secrets`.
        compose_dir = self.work / "compose"
        shutil.copytree(ROOT / "compose", compose_dir, ignore=shutil.ignore_patterns("secrets"))
        subprocess.run([self.bin / "maestro", "secrets", compose_dir / "secrets"], check=True, stdout=subprocess.DEVNULL)
        compose = yaml.safe_load((compose_dir / "docker-compose.yml").read_text())
        services = compose["services"]
        variables = {}  # compose's own variables: none set, so every ${…:-default} applies

        # Host names and mount points as this host has them.
        database = f"compose_smoke_{os.getpid()}"
        admin = self.args.postgres_admin_url
        pg_host, pg_port = re.match(r"postgres://[^@]+@([^:/]+):(\d+)/", admin).groups()
        redis_port = free_port()
        mapping = [(f"@postgres:5432/{read_env_file(compose_dir / 'secrets/postgres.env')['POSTGRES_DB']}?", f"@{pg_host}:{pg_port}/{database}?"),
                   ("@redis:6379", f"@127.0.0.1:{redis_port}")]

        # PostgreSQL: a fresh database, then the compose init script with the postgres env_file.
        subprocess.run(["psql", admin, "-v", "ON_ERROR_STOP=1", "-qc", f'CREATE DATABASE "{database}"'], check=True)
        postgres_env = container_environment(compose_dir, services["postgres"], variables)
        init = next(v.split(":")[0] for v in services["postgres"]["volumes"] if "docker-entrypoint-initdb.d" in v)
        init_env = {**postgres_env, "POSTGRES_DB": database, "PGHOST": pg_host, "PGPORT": pg_port, "PATH": os.environ["PATH"]}
        result = subprocess.run(["sh", compose_dir / init], env=init_env, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"init-roles.sh failed:\n{result.stdout}{result.stderr}")
        self.log(f"PostgreSQL database {database}: " + ", ".join(re.findall(r"role (\w+) is ready", result.stdout)))

        # Redis: the compose command, on a local port.
        redis = services["redis"]
        redis_env = {**container_environment(compose_dir, redis, variables), "PATH": os.environ["PATH"]}
        command = [part.replace("$$", "$") for part in redis["command"]]
        command[-1] += f" --port {redis_port} --bind 127.0.0.1 --dir {self.work}"
        self.spawn("redis", command, redis_env)
        for _ in range(100):
            if subprocess.run(["redis-cli", "-p", str(redis_port), "-a", redis_env["REDIS_PASSWORD"], "--no-auth-warning", "ping"],
                              capture_output=True, text=True).stdout.strip() == "PONG":
                break
            time.sleep(0.1)
        else:
            self.show_log("redis")
            sys.exit("redis did not start with the compose command")

        # Kafka: the topic job's own script names the topics; the embedded broker starts with
        # exactly those (it cannot create topics over the protocol) and none of its own.
        job = services["kafka-topics"]
        shim = self.work / "kafka-topics"
        shim.write_text(f"#!/bin/sh\nexec {sys.executable} {Path(__file__).resolve()} kafka-topics \"$@\"\n")
        shim.chmod(0o755)
        script = next(v.split(":")[0] for v in job["volumes"])
        topics_file = self.work / "topics.jsonl"
        job_env = {**container_environment(compose_dir, job, variables), "KAFKA_TOPICS": str(shim), "SMOKE_TOPICS_FILE": str(topics_file),
                   "PATH": os.environ["PATH"]}
        result = subprocess.run(["sh", compose_dir / script], env=job_env, capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            sys.exit(f"the kafka-topics job failed:\n{result.stdout}{result.stderr}")
        topics = [json.loads(line) for line in topics_file.read_text().splitlines()]
        run_dir = self.work / "broker"
        self.spawn("kafka", [self.bin / "maestro", "dev", "broker", "--no-catalog-topics", "--run-dir", run_dir]
                   + [f"--topic={t['topic']}:{t['partitions']}" for t in topics], {"PATH": os.environ["PATH"]})
        for _ in range(100):
            if (run_dir / "kafka.bootstrap").exists():
                break
            time.sleep(0.1)
        bootstrap = (run_dir / "kafka.bootstrap").read_text().strip()
        mapping.append(("kafka:9092", bootstrap))
        self.log(f"kafka-topics job: {len(topics)} topics, on the broker at {bootstrap}")

        order = start_order(services)
        ports = {name: int(services[name]["environment"]["MAESTRO_HTTP_PORT"]) for name in order}
        for name, port in ports.items():
            mapping.append((f"//{name}:{port}", f"//127.0.0.1:{port}"))
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    sys.exit(f"port {port} ({name}) is taken on this host: stop what listens there first")

        def native_environment(name):
            env = container_environment(compose_dir, services[name], variables)
            volume_dir = self.work / "volumes" / name
            volume_dir.mkdir(parents=True, exist_ok=True)
            for volume in services[name].get("volumes") or []:
                mapping_target = volume.split(":")[1]
                env = {key: value.replace(mapping_target, str(volume_dir)) for key, value in env.items()}
            for container_value, host_value in mapping:
                env = {key: value.replace(container_value, host_value) for key, value in env.items()}
            return env, volume_dir

        # Every service, in dependency order, each healthy before the next starts (depends_on: service_healthy).
        environments = {}
        for name in order:
            env, volume_dir = native_environment(name)
            environments[name] = env
            binary = services[name]["command"][0]
            self.spawn(name, [self.bin / binary], env, cwd=volume_dir)
            health = [self.bin / part if part == "maestro" else part for part in services[name]["healthcheck"]["test"][1:]]
            deadline = time.time() + 120
            healthy = False
            while not healthy and time.time() < deadline and self.processes[-1][1].poll() is None:
                healthy = subprocess.run(health, env=env, capture_output=True).returncode == 0
                time.sleep(0 if healthy else 0.5)
            if not healthy:
                self.show_log(name)
                self.fail(f"{name} did not pass its compose health check ({' '.join(map(str, services[name]['healthcheck']['test'][1:]))})")
                return
            self.log(f"{name} healthy on port {ports[name]} with {len(env)} variables from compose")

        # An admin token from the bootstrap key, accepted by every service.
        governance = ports["governance"]
        bootstrap_key = read_env_file(compose_dir / "secrets/governance.env")["MAESTRO_BOOTSTRAP_ADMIN_KEY"]
        status, body = http("POST", f"http://127.0.0.1:{governance}/v1/tokens", {"api_key": bootstrap_key})
        if status != 200:
            self.fail(f"governance refused the bootstrap admin key: {status} {body[:300]!r}")
            return
        token = json.loads(body)["access_token"]
        issuer = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{governance}/.well-known/openid-configuration", timeout=10).read())["issuer"]
        self.log(f"admin token issued by {issuer}")
        for name in order:
            path = authenticated_get(name)
            status, body = http("GET", f"http://127.0.0.1:{ports[name]}{path}", token=token)
            anonymous, _ = http("GET", f"http://127.0.0.1:{ports[name]}{path}")
            if status != 200 or anonymous != 401:
                self.fail(f"{name} GET {path}: {status} with the admin token (want 200), {anonymous} without (want 401): {body[:300]!r}")
            else:
                self.log(f"{name} GET {path}: 200 with the admin token, 401 without")

        # Every other service registered its event key with its service account.
        deadline = time.time() + 60
        expected = set(order) - {"governance"}
        while time.time() < deadline:
            keys = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{governance}/v1/event-keys", timeout=10).read())["keys"]
            registered = {key.get("maestro_service") for key in keys}
            if expected <= registered:
                break
            time.sleep(1)
        if not expected <= registered:
            self.fail(f"event keys not registered with governance: {sorted(expected - registered)}")
        else:
            self.log(f"event keys registered with governance: {', '.join(sorted(registered))}")

        # Bad input: the compose environment minus one required variable, or with a malformed one.
        for name in order:
            binary = self.bin / services[name]["command"][0]
            probe = subprocess.run([binary], env={"MAESTRO_ENVIRONMENT": "production"}, capture_output=True, text=True, timeout=30)
            required = re.findall(r"^  (MAESTRO_[A-Z0-9_]+): required", probe.stderr, re.M)
            if probe.returncode != 2 or not required:
                self.fail(f"{name}: with MAESTRO_ENVIRONMENT=production alone it exited {probe.returncode}: {probe.stderr[:300]}")
                continue
            cases = [(f"without {variable}", {k: v for k, v in environments[name].items() if k != variable}, variable) for variable in required]
            cases.append(("with MAESTRO_KAFKA_BROKERS=kafka", {**environments[name], "MAESTRO_KAFKA_BROKERS": "kafka"}, "MAESTRO_KAFKA_BROKERS"))
            for label, env, variable in cases:
                started = time.time()
                try:
                    result = subprocess.run([binary], env=env, capture_output=True, text=True, timeout=20)
                except subprocess.TimeoutExpired:
                    self.fail(f"{name} {label}: still running after 20 s")
                    continue
                problems = [line for line in result.stderr.splitlines() if line.startswith("  ")]
                if result.returncode != 2 or len(problems) != 1 or not problems[0].strip().startswith(variable + ":"):
                    self.fail(f"{name} {label}: exit {result.returncode}, stderr {result.stderr.strip()[:300]!r}")
            self.log(f"{name}: exits with status 2 and one line naming the variable, without each of {len(required)} required variables and with a malformed one")

    def cleanup(self):
        self.stop_all()
        subprocess.run(["psql", self.args.postgres_admin_url, "-qc", f'DROP DATABASE IF EXISTS "compose_smoke_{os.getpid()}" WITH (FORCE)'],
                       capture_output=True)
        if self.failures:
            for name, _ in self.processes:
                if name not in {"redis", "kafka"}:
                    self.show_log(name)
        shutil.rmtree(self.work, ignore_errors=True)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "kafka-topics":
        return kafka_topics(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=str(ROOT / ".build/debug"), help="the folder of the built binaries")
    parser.add_argument("--postgres-admin-url", default=os.environ.get("MAESTRO_TEST_POSTGRES_ADMIN_URL"),
                        help="a superuser URL of a local PostgreSQL (default: $MAESTRO_TEST_POSTGRES_ADMIN_URL)")
    args = parser.parse_args()
    if not args.postgres_admin_url:
        sys.exit("--postgres-admin-url or MAESTRO_TEST_POSTGRES_ADMIN_URL is required")
    smoke = Smoke(args)
    try:
        smoke.run()
    finally:
        smoke.cleanup()
    if smoke.failures:
        sys.exit(f"compose-smoke: {len(smoke.failures)} failure(s)")
    print("compose-smoke: the compose configuration works", flush=True)


if __name__ == "__main__":
    main()
