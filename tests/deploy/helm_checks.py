"""Checks of the Helm chart's rendered manifests against the code they deploy. Each takes
one rendering (the list of manifests `helm template` printed) and returns its problems, one
sentence each, so a test can also feed it a broken copy."""

from __future__ import annotations

import base64
import functools
import json
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from switchboard.contracts.topics import ALL_TOPICS, dead_letter_topic
from switchboard.servicekit.settings import ServiceSettings

from .compose_checks import FOREIGN_VARIABLES, TRACE_EXPORTERS, _subcommands, only_environment
from .compose_model import (
    APPS,
    DOCKERFILE,
    ROOT,
    console_scripts,
    env_names,
    parse_dockerfile,
    pom_kafka_version,
    project_version,
    settings_class,
)

CHART = ROOT / "deploy" / "helm" / "switchboard"
PRODUCTION_VALUES = ROOT / "deploy" / "helm" / "values-production.yaml"
HELM_PACKAGE = "helm.sh/helm/v4/cmd/helm@v4.3.2"
ESCALATION_EXAMPLE = ROOT / "services" / "escalation" / "config" / "escalation.example.yaml"
# Container variables the chart sets that no service reads: the parts of a database URL
# taken from a CloudNativePG-style Secret, joined into DATABASE_URL by `$(...)`.
URL_PARTS = {"DB_USERNAME", "DB_PASSWORD", "DB_HOST", "DB_PORT", "DB_DBNAME"}
HOOKS = {"pre-install", "pre-upgrade"}
PROBES = {"readinessProbe": "/readyz", "livenessProbe": "/healthz", "startupProbe": "/healthz"}
AUTOSCALED = {"intake", "routing"}

Manifest = dict[str, Any]


def helm_binary() -> Path:
    """The pinned helm, built from the Go module proxy once (deploy/tools/go-install.sh)."""
    result = subprocess.run(
        ["bash", str(ROOT / "deploy" / "tools" / "go-install.sh"), HELM_PACKAGE],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    return Path(result.stdout.strip().splitlines()[-1])


def render(helm: Path, *args: str) -> list[Manifest]:
    result = subprocess.run(
        [str(helm), "template", "switchboard", str(CHART), "--namespace", "switchboard", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


# --- reading a rendering ---------------------------------------------------------------


def of_kind(manifests: list[Manifest], kind: str) -> list[Manifest]:
    return [m for m in manifests if m["kind"] == kind]


def named(manifests: list[Manifest], kind: str, name: str) -> Manifest | None:
    return next((m for m in of_kind(manifests, kind) if m["metadata"]["name"] == name), None)


def component(manifest: Manifest) -> str:
    return str(manifest["metadata"].get("labels", {}).get("app.kubernetes.io/component", ""))


def deployments(manifests: list[Manifest]) -> dict[str, Manifest]:
    """Each service's Deployment, by service."""
    return {component(m): m for m in of_kind(manifests, "Deployment")}


def migration_jobs(manifests: list[Manifest]) -> dict[str, Manifest]:
    return {
        component(m): m
        for m in of_kind(manifests, "Job")
        if m["metadata"]["name"].endswith("-migrate")
    }


def pod_spec(workload: Manifest) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def container(workload: Manifest) -> dict[str, Any]:
    (only,) = pod_spec(workload)["containers"]
    result: dict[str, Any] = only
    return result


def hook_weight(manifest: Manifest) -> int | None:
    annotations = manifest["metadata"].get("annotations") or {}
    hooks = set(str(annotations.get("helm.sh/hook", "")).split(","))
    if not hooks >= HOOKS:
        return None
    return int(annotations.get("helm.sh/hook-weight", "0"))


def _decoded(secret: Manifest) -> dict[str, str]:
    data = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
    return data | dict(secret.get("stringData") or {})


@functools.cache
def external_secret(name: str, key: str) -> str:
    """What an operator's Secret (not rendered by the chart) holds under a key the chart
    reads: a random value of the kind the key names, the same for every reader."""
    token = base64.urlsafe_b64encode(os.urandom(32)).decode()
    if key == "jwt-secret":
        return token
    if key == "intake-adapter-secret-keys":
        return token
    if key == "feedback-link-secrets":
        return json.dumps([token])
    if key.endswith(("url", "uri")):
        return f"postgresql+asyncpg://app:{token.rstrip('=')}@{name}-rw:5432/app"
    return {"port": "5432", "host": f"{name}-rw", "password": token.rstrip("=")}.get(key, "app")


def environment(
    manifests: list[Manifest],
    workload: Manifest,
    external: Callable[[str, str], str] = external_secret,
) -> dict[str, str]:
    """The environment the workload's container starts with, as the kubelet builds it:
    envFrom first, then env in order, `$(NAME)` expanded from what is defined so far.
    Secrets the chart renders give their values, others a fresh value (external_secret).
    A reference to a ConfigMap, Secret or key that is not there raises KeyError."""
    spec = container(workload)
    env: dict[str, str] = {}
    for source in spec.get("envFrom", []):
        ref = source["configMapRef"]["name"]
        config_map = named(manifests, "ConfigMap", ref)
        if config_map is None:
            raise KeyError(f"ConfigMap {ref} is not rendered")
        env |= {k: str(v) for k, v in (config_map.get("data") or {}).items()}
    for entry in spec.get("env", []):
        if "value" in entry:
            env[entry["name"]] = _expand(str(entry["value"]), env)
            continue
        ref = entry["valueFrom"]["secretKeyRef"]
        secret = named(manifests, "Secret", ref["name"])
        if secret is None:
            env[entry["name"]] = external(ref["name"], ref["key"])
        elif ref["key"] in _decoded(secret):
            env[entry["name"]] = _decoded(secret)[ref["key"]]
        else:
            raise KeyError(f"Secret {ref['name']} has no key {ref['key']}")
    return env


def _expand(value: str, defined: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        if match.group(0).startswith("$$"):
            return match.group(0)[1:]
        return defined.get(match.group(1), match.group(0))

    return re.sub(r"\$?\$\(([A-Za-z_][A-Za-z0-9_]*)\)", one, value)


def load_settings(env: dict[str, str], app: str) -> ServiceSettings:
    with only_environment(env):
        return settings_class(app).load()


def _each_service(manifests: list[Manifest]) -> Iterator[tuple[str, Manifest | None]]:
    found = deployments(manifests)
    for app in APPS:
        yield app, found.get(app)


# --- checks ------------------------------------------------------------------------------


def settings(manifests: list[Manifest]) -> list[str]:
    """Every service's pods and its migration Job start with settings its code accepts in
    production, every variable one it reads and reaching its field."""
    problems = []
    jobs = migration_jobs(manifests)
    for app, deployment in _each_service(manifests):
        if deployment is None:
            problems.append(f"{app}: no Deployment")
            continue
        known = env_names(settings_class(app))
        for workload in (deployment, jobs.get(app)):
            if workload is None:
                continue
            where = f"{workload['kind']} {workload['metadata']['name']}"
            try:
                env = environment(manifests, workload)
                loaded = load_settings(env, app)
            except (KeyError, ValidationError) as error:
                problems.append(f"{where}: settings refused: {error}")
                continue
            for variable in env:
                field = known.get(variable)
                if field is None:
                    if variable not in URL_PARTS | FOREIGN_VARIABLES:
                        problems.append(f"{where}: {variable} is no setting of {app}")
                elif field not in loaded.model_fields_set:
                    problems.append(f"{where}: {variable} does not reach {field}")
            if loaded.environment != "production":
                problems.append(f"{where}: ENVIRONMENT is {loaded.environment!r}")
            if loaded.otel_exporter not in TRACE_EXPORTERS:
                problems.append(f"{where}: unknown trace exporter {loaded.otel_exporter!r}")
            if not loaded.database_url.startswith("postgresql+asyncpg://"):
                problems.append(f"{where}: DATABASE_URL is not postgresql+asyncpg")
    return problems


def migrations(manifests: list[Manifest]) -> list[str]:
    """Each service's `migrate` runs as a hook Job before its pods roll, with the pods'
    settings, and only reads what exists before the release's own resources do."""
    problems = []
    jobs = migration_jobs(manifests)
    for app, deployment in _each_service(manifests):
        job = jobs.get(app)
        if job is None or deployment is None:
            problems.append(f"{app}: no migration Job")
            continue
        if hook_weight(job) is None:
            problems.append(f"{app}: the migration Job is no pre-install/pre-upgrade hook")
        for workload, verb in ((job, "migrate"), (deployment, "serve")):
            command = container(workload).get("command") or []
            scripts = console_scripts(app)
            if not command or command[0] not in scripts:
                problems.append(f"{app}: {command} names no console script of {app}")
            elif command[1:] != [verb] or verb not in _subcommands(scripts[command[0]]):
                problems.append(f"{app}: {command} does not run {verb}")
        try:
            same = environment(manifests, job) == environment(manifests, deployment)
        except KeyError:
            same = True  # the settings check names the missing reference
        if not same:
            problems.append(f"{app}: the migration Job's settings differ from the pods'")
        if container(job).get("envFrom"):
            problems.append(f"{app}: the migration Job reads a ConfigMap made after hooks")
    return problems + _hook_order(manifests)


def _hook_order(manifests: list[Manifest]) -> list[str]:
    """A hook Job reads only Secrets that exist before it: an operator's, or a hook of
    lower weight (pre-install hooks run before the release's resources are created)."""
    problems = []
    for job in of_kind(manifests, "Job"):
        weight = hook_weight(job)
        for entry in container(job).get("env", []):
            ref = entry.get("valueFrom", {}).get("secretKeyRef")
            secret = named(manifests, "Secret", ref["name"]) if ref else None
            if secret is None or weight is None:
                continue
            own = hook_weight(secret)
            if own is None or own >= weight:
                problems.append(
                    f"Job {job['metadata']['name']}: Secret {ref['name']} is not created before it"
                )
    return sorted(set(problems))


def probes(manifests: list[Manifest]) -> list[str]:
    """Probes ask the service's own port for /readyz and /healthz, which servicekit serves."""
    from switchboard.servicekit.http.app import create_app

    served = {route.path for route in create_app(title="probe", version="0", runtime=None).routes}  # type: ignore[attr-defined]
    problems = []
    for app, deployment in _each_service(manifests):
        if deployment is None:
            continue
        spec = container(deployment)
        ports = {p.get("name"): p["containerPort"] for p in spec.get("ports", [])}
        for probe, path in PROBES.items():
            get = (spec.get(probe) or {}).get("httpGet")
            if not get:
                problems.append(f"{app}: no {probe}")
                continue
            if get["path"] != path or path not in served:
                problems.append(f"{app}: {probe} asks {get['path']}, not {path}")
            if ports.get(get["port"], get["port"]) != _http_port(manifests, deployment, app):
                problems.append(f"{app}: {probe} asks port {get['port']}, not the service's")
    return problems


def _http_port(manifests: list[Manifest], deployment: Manifest, app: str) -> int:
    try:
        return load_settings(environment(manifests, deployment), app).http_port
    except (KeyError, ValidationError):
        return -1


def ports(manifests: list[Manifest]) -> list[str]:
    """Service → container port → HTTP_PORT → the image's EXPOSE, one number per service."""
    dockerfile = parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))
    problems = []
    for app, deployment in _each_service(manifests):
        if deployment is None:
            continue
        port = _http_port(manifests, deployment, app)
        settings_ = _loaded(manifests, deployment, app)
        if settings_ is not None and settings_.http_host != "0.0.0.0":
            problems.append(f"{app}: HTTP_HOST must be 0.0.0.0 in a pod")
        exposed = set(dockerfile.inherited(app, "expose"))
        container_ports = {p["containerPort"] for p in container(deployment).get("ports", [])}
        if {port} != exposed or {port} != container_ports:
            problems.append(f"{app}: ports {container_ports}, EXPOSE {exposed}, HTTP_PORT {port}")
        selector = deployment["spec"]["selector"]["matchLabels"]
        services = [s for s in of_kind(manifests, "Service") if s["spec"]["selector"] == selector]
        if len(services) != 1:
            problems.append(f"{app}: {len(services)} Services select its pods")
            continue
        for service_port in services[0]["spec"]["ports"]:
            target = service_port.get("targetPort", service_port["port"])
            named_ports = {
                p.get("name"): p["containerPort"] for p in container(deployment)["ports"]
            }
            if named_ports.get(target, target) != port:
                problems.append(f"{app}: its Service sends port {service_port['port']} elsewhere")
    return problems


def _loaded(manifests: list[Manifest], deployment: Manifest, app: str) -> ServiceSettings | None:
    try:
        return load_settings(environment(manifests, deployment), app)
    except (KeyError, ValidationError):
        return None


def topics(manifests: list[Manifest]) -> list[str]:
    """The topics Job creates what the services read, write and dead-letter to, with their
    partition count, on their broker, with the Kafka release the project tests against."""
    (job,) = [m for m in of_kind(manifests, "Job") if component(m) == "topics"] or [None]
    if job is None:
        return []
    problems = []
    env = {e["name"]: e.get("value", "") for e in container(job).get("env", [])}
    created = set(env.get("TOPICS", "").split())
    expected = {topic.name for topic in ALL_TOPICS}
    for app, deployment in _each_service(manifests):
        loaded = _loaded(manifests, deployment, app) if deployment else None
        if loaded is None:
            continue
        expected.add(dead_letter_topic(loaded.consumer_group))
        if str(loaded.topic_partitions) != env.get("TOPIC_PARTITIONS"):
            problems.append(f"{app}: expects {loaded.topic_partitions} partitions per topic")
        if loaded.kafka_bootstrap_servers != env.get("BOOTSTRAP_SERVER"):
            problems.append(f"{app}: another broker than the topics Job's")
    if created != expected:
        problems.append(f"topics: missing {expected - created}, unknown {created - expected}")
    if container(job)["image"] != f"apache/kafka:{pom_kafka_version()}":
        problems.append(f"topics: image {container(job)['image']} is not the pom's Kafka")
    if hook_weight(job) is None:
        problems.append("topics: the Job is no pre-install/pre-upgrade hook")
    return problems


def security(manifests: list[Manifest]) -> list[str]:
    """Every pod runs as a non-root user (the images' own for Switchboard's), cannot gain
    privileges, drops every capability and has a read-only root file system."""
    uid = re.search(r"useradd [^\n]*--uid (\d+)", DOCKERFILE.read_text(encoding="utf-8"))
    problems = []
    for workload in of_kind(manifests, "Deployment") + of_kind(manifests, "Job"):
        name = workload["metadata"]["name"]
        pod = pod_spec(workload).get("securityContext") or {}
        spec = container(workload)
        box = spec.get("securityContext") or {}
        if pod.get("runAsNonRoot") is not True or not pod.get("runAsUser"):
            problems.append(f"{name}: not run as a non-root user")
        if "switchboard-" in spec["image"] and uid and pod.get("runAsUser") != int(uid.group(1)):
            problems.append(f"{name}: runs as {pod.get('runAsUser')}, not the image's user")
        if box.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{name}: may escalate privileges")
        if box.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{name}: writable root file system")
        if "ALL" not in (box.get("capabilities") or {}).get("drop", []):
            problems.append(f"{name}: keeps capabilities")
        if pod_spec(workload).get("automountServiceAccountToken") is not False:
            problems.append(f"{name}: mounts a service account token it does not use")
    return problems


def resources(manifests: list[Manifest]) -> list[str]:
    problems = []
    for workload in of_kind(manifests, "Deployment") + of_kind(manifests, "Job"):
        given = container(workload).get("resources") or {}
        for kind in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if resource not in (given.get(kind) or {}):
                    problems.append(f"{workload['metadata']['name']}: no {resource} {kind}")
    return problems


def config_files(manifests: list[Manifest]) -> list[str]:
    """Escalation's configuration (and routing's policies, when given) are mounted where
    the setting points, from a ConfigMap the service's own parser accepts."""
    from switchboard.escalation.domain.configuration import load_config
    from switchboard.routing.adapters.policy_file import read_policy_file

    problems = []
    chart_copy = (CHART / "files" / "escalation.yaml").read_text(encoding="utf-8")
    if chart_copy != ESCALATION_EXAMPLE.read_text(encoding="utf-8"):
        problems.append("files/escalation.yaml is not escalation.example.yaml")
    found = deployments(manifests)
    for app, setting in (("escalation", "config_file"), ("routing", "policies_file")):
        deployment = found.get(app)
        loaded = _loaded(manifests, deployment, app) if deployment else None
        if loaded is None:
            continue
        path = getattr(loaded, setting)
        if path is None:
            if app == "escalation":
                problems.append("escalation: CONFIG_FILE is not set")
            continue
        text = _mounted_file(manifests, deployment, str(path))  # type: ignore[arg-type]
        if text is None:
            problems.append(f"{app}: nothing is mounted at {setting} {path}")
            continue
        try:
            if app == "escalation":
                load_config(text)
            else:
                _read_text_as_policy_file(read_policy_file, text)
        except (ValueError, yaml.YAMLError) as error:
            problems.append(f"{app}: its {setting} is refused: {error}")
    return problems


def _read_text_as_policy_file(read: Any, text: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "policies.yaml"
        path.write_text(text, encoding="utf-8")
        read(path)


def _mounted_file(manifests: list[Manifest], deployment: Manifest, path: str) -> str | None:
    volumes = {v["name"]: v for v in pod_spec(deployment).get("volumes", [])}
    for mount in container(deployment).get("volumeMounts", []):
        volume = volumes.get(mount["name"], {})
        if "configMap" not in volume:
            continue
        config_map = named(manifests, "ConfigMap", volume["configMap"]["name"])
        data = (config_map or {}).get("data") or {}
        if mount["mountPath"] == path and mount.get("subPath") in data:
            return str(data[mount["subPath"]])
        if path.startswith(mount["mountPath"].rstrip("/") + "/"):
            key = path[len(mount["mountPath"].rstrip("/")) + 1 :]
            if key in data and "subPath" not in mount:
                return str(data[key])
    return None


def images(manifests: list[Manifest]) -> list[str]:
    """Each service runs its own image at the services' version (the chart's appVersion)."""
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text(encoding="utf-8"))
    problems = []
    for app, deployment in _each_service(manifests):
        if project_version(app) != chart["appVersion"]:
            problems.append(
                f"{app}: version {project_version(app)}, appVersion {chart['appVersion']}"
            )
        workloads = [deployment, migration_jobs(manifests).get(app)]
        for workload in filter(None, workloads):
            image = container(workload)["image"]
            repository, _, tag = image.rpartition(":")
            if repository.rpartition("/")[2] != f"switchboard-{app}" or not re.search(r"\d", tag):
                problems.append(f"{workload['metadata']['name']}: image {image}")
    return problems


def availability(manifests: list[Manifest]) -> list[str]:
    """Each service has a PodDisruptionBudget over its pods; intake and routing scale by
    an HPA on their Deployment, which then leaves replicas to it."""
    problems = []
    budgets = of_kind(manifests, "PodDisruptionBudget")
    scalers = {
        m["spec"]["scaleTargetRef"]["name"]: m
        for m in of_kind(manifests, "HorizontalPodAutoscaler")
    }
    for app, deployment in _each_service(manifests):
        if deployment is None:
            continue
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        selector = deployment["spec"]["selector"]["matchLabels"]
        if not selector.items() <= labels.items():
            problems.append(f"{app}: its selector does not match its pods")
        if not any(b["spec"]["selector"]["matchLabels"].items() <= labels.items() for b in budgets):
            problems.append(f"{app}: no PodDisruptionBudget covers its pods")
        scaler = scalers.get(deployment["metadata"]["name"])
        if app in AUTOSCALED and scaler is None:
            problems.append(f"{app}: no HorizontalPodAutoscaler")
        if scaler is not None and "replicas" in deployment["spec"]:
            problems.append(f"{app}: sets replicas its HPA owns (every upgrade would reset them)")
        if scaler is not None and scaler["spec"]["scaleTargetRef"]["kind"] != "Deployment":
            problems.append(f"{app}: its HPA scales something else")
    return problems


def public_urls(manifests: list[Manifest]) -> list[str]:
    """With an Ingress, every service's public URL the others are told is its host."""
    ingresses = of_kind(manifests, "Ingress")
    if not ingresses:
        return []
    hosts = {
        rule["host"]: rule["http"]["paths"][0]["backend"]["service"]["name"]
        for ingress in ingresses
        for rule in ingress["spec"]["rules"]
    }
    found = deployments(manifests)
    loaded = {app: _loaded(manifests, d, app) for app, d in found.items()}
    told = {
        "intake": getattr(loaded.get("routing"), "workspace_intake_url", None),
        "routing": getattr(loaded.get("escalation"), "console_routing_url", None),
        "feedback": getattr(loaded.get("escalation"), "console_feedback_url", None),
    }
    problems = []
    for app, url in told.items():
        host = re.sub(r"^https?://([^/:]+).*$", r"\1", url or "")
        if hosts.get(host) != found[app]["metadata"]["name"]:
            problems.append(f"{app}: told to browsers as {url}, not an Ingress host of it")
    return problems
