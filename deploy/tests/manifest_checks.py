#!/usr/bin/env python3
"""Checks on rendered Kelpie manifests, used by scripts/check-deploy.sh and tests/deploy.sh.

Subcommands (each exits non-zero with a message on the first class of problems it finds):
  split RENDERED OUTDIR       core kinds -> OUTDIR/core.yaml, CRD kinds -> OUTDIR/crds.yaml
  crds FILE                   structural checks on ServiceMonitor/PrometheusRule (no schema is bundled)
  rules RENDERED OUT          extract the PrometheusRule's groups into a plain promtool rule file
  consistency RENDERED        probes, ports, shutdown budget, security, WAL sizing, HPA metric, metric names,
                              the self-telemetry chain (environments.yaml order) and its key Secret
  probes RENDERED             print "PORT PATH..." : the container port and every probe/scrape path
  live-metrics METRICS_TEXT   every referenced metric family must be in a real /metrics output
"""

import json
import os
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
DEPLOY = os.path.dirname(HERE)
ROOT = os.path.dirname(DEPLOY)

CRD_GROUPS = ("monitoring.coreos.com/",)

# Metric families Kelpie exposes (the contract the dashboard, alerts and HPA are written against).
METRIC_CONTRACT = {
    "kelpie_http_requests_total", "kelpie_http_request_duration_seconds", "kelpie_http_open_connections",
    "kelpie_ingest_events_accepted_total", "kelpie_ingest_events_rejected_total",
    "kelpie_ingest_dataset_events_total", "kelpie_ingest_bytes_total", "kelpie_ingest_refusals_total",
    "kelpie_pipeline_queued_bytes", "kelpie_pipeline_queue_capacity_bytes", "kelpie_pipeline_saturated",
    "kelpie_wal_bytes", "kelpie_wal_segments", "kelpie_wal_appended_bytes_total",
    "kelpie_wal_appended_events_total", "kelpie_wal_fsync_duration_seconds", "kelpie_wal_write_errors_total",
    "kelpie_sink_errors_total", "kelpie_ready", "kelpie_draining", "kelpie_build_info",
}
# Families that a server may legitimately not print until the first event of their kind
# (a labelled counter with no observation yet). Only these may be missing from live /metrics.
MAY_APPEAR_LATE = {"kelpie_ingest_events_rejected_total"}

HPA_PODS_METRIC = "kelpie_ingest_events_accepted_per_second"
# Endpoint-removal lag is typically a few seconds; the preStop sleep must cover it.
MIN_PRESTOP_SECONDS = 5
MIN_GRACE_MARGIN_SECONDS = 5
# Above the readiness detection time: the endpoint update reaching kube-proxy or the balancer.
DRAIN_MARGIN_SECONDS = 1


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def load_all(path):
    with open(path) as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def is_crd(doc):
    return doc.get("apiVersion", "").startswith(CRD_GROUPS)


def by_kind(docs, kind):
    return [doc for doc in docs if doc.get("kind") == kind]


def one(docs, kind):
    found = by_kind(docs, kind)
    if len(found) != 1:
        fail(f"expected exactly one {kind}, found {len(found)}")
    return found[0]


def duration_seconds(text):
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)", text.strip())
    if not match:
        fail(f"cannot parse duration '{text}'")
    value, unit = float(match.group(1)), match.group(2)
    return value * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]


def quantity_bytes(text):
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
    match = re.fullmatch(r"(\d+)([KMGT]i|[kMGT])?", str(text).strip())
    if not match:
        fail(f"cannot parse quantity '{text}'")
    return int(match.group(1)) * units.get(match.group(2) or "", 1)


def referenced_metric_families(texts):
    names = set()
    for text in texts:
        for name in re.findall(r"\bkelpie_[a-z_]+", text):
            names.add(re.sub(r"_(bucket|sum|count)$", "", name))
    return names


def cmd_split(rendered, outdir):
    docs = load_all(rendered)
    core = [doc for doc in docs if not is_crd(doc)]
    crds = [doc for doc in docs if is_crd(doc)]
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "core.yaml"), "w") as handle:
        yaml.safe_dump_all(core, handle, sort_keys=False)
    with open(os.path.join(outdir, "crds.yaml"), "w") as handle:
        yaml.safe_dump_all(crds, handle, sort_keys=False)
    print(f"{len(core)} core objects, {len(crds)} CRD objects ({', '.join(sorted(d['kind'] for d in crds)) or 'none'})")


def cmd_crds(path):
    docs = load_all(path)
    services = {}
    for doc in docs:
        kind, spec = doc.get("kind"), doc.get("spec") or {}
        name = (doc.get("metadata") or {}).get("name")
        if doc.get("apiVersion") != "monitoring.coreos.com/v1":
            fail(f"{kind}/{name}: unexpected apiVersion {doc.get('apiVersion')}")
        if not name:
            fail(f"{kind}: no metadata.name")
        if kind == "ServiceMonitor":
            allowed = {"selector", "endpoints", "namespaceSelector", "jobLabel", "podTargetLabels", "targetLabels"}
            if set(spec) - allowed:
                fail(f"ServiceMonitor/{name}: unknown spec fields {sorted(set(spec) - allowed)}")
            if not (spec.get("selector") or {}).get("matchLabels"):
                fail(f"ServiceMonitor/{name}: no selector.matchLabels")
            endpoint_fields = {"port", "path", "interval", "scrapeTimeout", "scheme", "relabelings", "metricRelabelings"}
            for endpoint in spec.get("endpoints") or fail(f"ServiceMonitor/{name}: no endpoints"):
                if set(endpoint) - endpoint_fields:
                    fail(f"ServiceMonitor/{name}: unknown endpoint fields {sorted(set(endpoint) - endpoint_fields)}")
                if not endpoint.get("port") or not str(endpoint.get("path", "")).startswith("/"):
                    fail(f"ServiceMonitor/{name}: endpoint needs a port name and an absolute path")
                for field in ("interval", "scrapeTimeout"):
                    if field in endpoint:
                        duration_seconds(endpoint[field])
            services[name] = spec
        elif kind == "PrometheusRule":
            if set(spec) != {"groups"}:
                fail(f"PrometheusRule/{name}: spec must hold only 'groups'")
            for group in spec["groups"]:
                if not group.get("name") or not group.get("rules"):
                    fail(f"PrometheusRule/{name}: a group without name or rules")
                for rule in group["rules"]:
                    if not (rule.get("alert") or rule.get("record")) or not rule.get("expr"):
                        fail(f"PrometheusRule/{name}: rule without alert/record or expr: {rule}")
                    if rule.get("alert") and not (rule.get("annotations") or {}).get("runbook"):
                        fail(f"PrometheusRule/{name}: alert {rule['alert']} has no runbook annotation")
        else:
            fail(f"unexpected CRD kind {kind}")
    print(f"{len(docs)} CRD objects structurally valid ({', '.join(sorted(d['kind'] for d in docs))})")


def cmd_rules(rendered, out):
    rule = one(load_all(rendered), "PrometheusRule")
    with open(out, "w") as handle:
        yaml.safe_dump({"groups": rule["spec"]["groups"]}, handle, sort_keys=False)
    print(f"{sum(len(g['rules']) for g in rule['spec']['groups'])} rules -> {out}")


def kelpie_container(deployment):
    containers = deployment["spec"]["template"]["spec"]["containers"]
    for container in containers:
        if container["name"] == "kelpie":
            return container
    fail("no container named kelpie")


def config_data(docs, container):
    names = [ref["configMapRef"]["name"] for ref in container.get("envFrom", []) if "configMapRef" in ref]
    maps = {doc["metadata"]["name"]: doc.get("data", {}) for doc in by_kind(docs, "ConfigMap")}
    data = {}
    for name in names:
        if name not in maps:
            fail(f"envFrom references ConfigMap {name}, which is not rendered")
        data.update(maps[name])
    for env in container.get("env", []):
        if "value" in env:
            data[env["name"]] = env["value"]
    return data


def named_port(container, port):
    for item in container.get("ports", []):
        if port in (item.get("name"), item.get("containerPort")):
            return item["containerPort"]
    fail(f"probe/target port {port!r} is not a port of the kelpie container")


def dockerfile_facts():
    text = open(os.path.join(ROOT, "Dockerfile")).read()
    expose = re.findall(r"^EXPOSE\s+(\d+)", text, re.M)
    user = re.findall(r"^USER\s+(\d+)", text, re.M)
    listen = re.findall(r"KELPIE_LISTEN=[^:\s]+:(\d+)", text)
    data_dir = re.findall(r"KELPIE_DATA_DIR=(\S+)", text)
    return {"expose": expose, "user": user, "listen": listen, "data_dir": data_dir}


def cmd_consistency(rendered):
    docs = load_all(rendered)
    deployment = one(docs, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    container = kelpie_container(deployment)
    config = config_data(docs, container)
    problems = []

    def check(condition, message):
        if not condition:
            problems.append(message)

    # Probes: paths and ports against what Kelpie serves (the live half is the drift test).
    probes = {kind: container.get(kind) for kind in ("startupProbe", "livenessProbe", "readinessProbe")}
    for kind, probe in probes.items():
        check(probe and "httpGet" in probe, f"{kind} missing or not an httpGet probe")
    if all(probe and "httpGet" in probe for probe in probes.values()):
        check(probes["livenessProbe"]["httpGet"]["path"] == "/healthz", "livenessProbe must use /healthz (never sink-dependent)")
        check(probes["startupProbe"]["httpGet"]["path"] == "/healthz", "startupProbe must use /healthz")
        check(probes["readinessProbe"]["httpGet"]["path"] == "/readyz", "readinessProbe must use /readyz")
        for kind, probe in probes.items():
            check(named_port(container, probe["httpGet"]["port"]) == container["ports"][0]["containerPort"],
                  f"{kind} probes a port other than the serving port")
        liveness = probes["livenessProbe"]
        check(liveness.get("successThreshold", 1) == 1, "livenessProbe successThreshold must be 1")
        check(liveness.get("failureThreshold", 3) * liveness.get("periodSeconds", 10) >= 30,
              "livenessProbe restarts after less than 30s of failures (cascading restarts under load)")
        startup = probes["startupProbe"]
        check(startup.get("failureThreshold", 3) * startup.get("periodSeconds", 10) >= 30,
              "startupProbe budget below 30s (WAL replay at start)")
    container_port = container["ports"][0]["containerPort"]
    listen = config.get("KELPIE_LISTEN", "")
    check(listen.rsplit(":", 1)[-1] == str(container_port),
          f"KELPIE_LISTEN {listen!r} does not listen on containerPort {container_port}")

    # Service and ServiceMonitor reach that port.
    service = one(docs, "Service")
    template_labels = deployment["spec"]["template"]["metadata"]["labels"]
    check(all(template_labels.get(k) == v for k, v in service["spec"]["selector"].items()),
          "Service selector does not match the pod template labels")
    # OTLP/gRPC's own listener (KELPIE_GRPC_LISTEN) is the container port named grpc; every other container
    # port would have nothing listening behind it.
    grpc_listen = config.get("KELPIE_GRPC_LISTEN", "")
    grpc_port = int(grpc_listen.rsplit(":", 1)[-1]) if grpc_listen else None
    named_ports = {item.get("name"): item["containerPort"] for item in container.get("ports", [])}
    check(named_ports.get("grpc") == grpc_port,
          f"KELPIE_GRPC_LISTEN {grpc_listen!r} does not listen on the grpc containerPort {named_ports.get('grpc')}")
    check(set(named_ports.values()) <= {container_port, grpc_port},
          f"container ports {sorted(named_ports.values())} other than KELPIE_LISTEN's and KELPIE_GRPC_LISTEN's")
    service_ports = {p["name"]: p for p in service["spec"]["ports"]}
    for port in service_ports.values():
        expected = grpc_port if port["name"] == "grpc" else container_port
        check(named_port(container, port["targetPort"]) == expected,
              f"Service port {port['name']} misses the container port {expected}")
    if grpc_port:
        check("grpc" in service_ports, "the Service does not expose the grpc port")
    for monitor in by_kind(docs, "ServiceMonitor"):
        for endpoint in monitor["spec"]["endpoints"]:
            check(endpoint["port"] in service_ports, f"ServiceMonitor port {endpoint['port']} is not a Service port name")
            check(endpoint.get("path") == "/metrics", "ServiceMonitor must scrape /metrics")
        check(all(service["metadata"]["labels"].get(k) == v for k, v in monitor["spec"]["selector"]["matchLabels"].items()),
              "ServiceMonitor selector does not match the Service labels")

    # Dockerfile agrees with the manifests.
    docker = dockerfile_facts()
    check(docker["expose"] == [str(container_port)], f"Dockerfile EXPOSE {docker['expose']} != containerPort {container_port}")
    check(docker["listen"] == [str(container_port)], f"Dockerfile KELPIE_LISTEN port {docker['listen']} != {container_port}")
    check(docker["user"] == [str(pod["securityContext"]["runAsUser"])], "Dockerfile USER != runAsUser")

    # Shutdown budget: preStop + drain delay + shutdown timeout + margin <= grace period.
    prestop = ((container.get("lifecycle") or {}).get("preStop") or {}).get("sleep", {}).get("seconds")
    check(isinstance(prestop, int) and prestop >= MIN_PRESTOP_SECONDS,
          f"preStop sleep must be >= {MIN_PRESTOP_SECONDS}s (endpoint removal lag), got {prestop}")
    drain = duration_seconds(config.get("KELPIE_DRAIN_DELAY", "5s"))
    shutdown = duration_seconds(config.get("KELPIE_SHUTDOWN_TIMEOUT", "20s"))
    grace = pod.get("terminationGracePeriodSeconds", 30)
    needed = (prestop or 0) + drain + shutdown + MIN_GRACE_MARGIN_SECONDS
    check(grace >= needed, f"terminationGracePeriodSeconds {grace} < preStop {prestop} + drain {drain} + shutdown {shutdown} + margin {MIN_GRACE_MARGIN_SECONDS}")
    # The drain delay outlasts a load balancer's detection of the failed readiness, which comes at most
    # periodSeconds x failureThreshold after SIGTERM (measured by tests/rolling-restart.sh).
    readiness = probes.get("readinessProbe") or {}
    detection = readiness.get("periodSeconds", 10) * readiness.get("failureThreshold", 3)
    check(drain >= detection + DRAIN_MARGIN_SECONDS,
          f"KELPIE_DRAIN_DELAY {drain}s < readiness detection {detection}s (periodSeconds x failureThreshold) + margin {DRAIN_MARGIN_SECONDS}s")

    # Security context.
    pod_security = pod.get("securityContext") or {}
    security = container.get("securityContext") or {}
    check(pod_security.get("runAsNonRoot") is True, "runAsNonRoot must be true")
    check(security.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem must be true")
    check(security.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation must be false")
    check((security.get("capabilities") or {}).get("drop") == ["ALL"], "capabilities must drop ALL")

    # Resources: CPU request is what the HPA's utilization is measured against.
    resources = container.get("resources") or {}
    for section, key in (("requests", "cpu"), ("requests", "memory"), ("limits", "memory")):
        check(key in (resources.get(section) or {}), f"resources.{section}.{key} missing")
    queue_bytes = int(config.get("KELPIE_MAX_QUEUE_BYTES", "0"))
    memory_limit = quantity_bytes((resources.get("limits") or {}).get("memory", "0"))
    check(queue_bytes and queue_bytes * 2 <= memory_limit,
          f"KELPIE_MAX_QUEUE_BYTES {queue_bytes} must be set and at most half the memory limit {memory_limit}")

    # WAL volume: mounted at the data dir, bigger than retention.
    data_dir = config.get("KELPIE_DATA_DIR")
    check(docker["data_dir"] == [data_dir], f"Dockerfile KELPIE_DATA_DIR {docker['data_dir']} != ConfigMap {data_dir}")
    mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
    check(data_dir in mounts, f"nothing mounted at KELPIE_DATA_DIR {data_dir} (the root FS is read-only)")
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    retention = int(config.get("KELPIE_RETENTION_MAX_BYTES", "0"))
    check(retention > 0, "KELPIE_RETENTION_MAX_BYTES must be set")
    # A remote sink with --ack delivered (or memory) keeps no WAL: the data dir only holds dead letters,
    # so its volume need not hold the retention. The spool sink, or --ack durable, writes the WAL there.
    sink = config.get("KELPIE_SINK", "spool")
    ack = config.get("KELPIE_ACK", "durable")
    stateless = sink != "spool" and ack != "durable"
    if sink == "kafka":
        check(config.get("KELPIE_KAFKA_BROKERS"), "KELPIE_SINK=kafka needs KELPIE_KAFKA_BROKERS in a ConfigMap")
    wal = volumes.get(mounts.get(data_dir))
    if stateless and wal and "emptyDir" in wal:
        check(wal["emptyDir"].get("sizeLimit"), "the data dir's emptyDir (dead letters) needs a sizeLimit")
    elif wal and "emptyDir" in wal:
        limit = wal["emptyDir"].get("sizeLimit")
        check(limit and quantity_bytes(limit) > retention, f"WAL emptyDir sizeLimit {limit} must exceed retention {retention}")
    elif wal and "ephemeral" in wal:
        size = wal["ephemeral"]["volumeClaimTemplate"]["spec"]["resources"]["requests"]["storage"]
        check(quantity_bytes(size) > retention, f"WAL PVC size {size} must exceed retention {retention}")
    else:
        problems.append("the WAL volume must be an emptyDir with sizeLimit or an ephemeral PVC")

    # Alert threshold constant follows retention.
    for rule_doc in by_kind(docs, "PrometheusRule"):
        for group in rule_doc["spec"]["groups"]:
            for rule in group["rules"]:
                if rule.get("alert") == "KelpieWALNearRetention":
                    constants = [int(n) for n in re.findall(r"\b\d{6,}\b", rule["expr"])]
                    check(constants == [retention], f"KelpieWALNearRetention uses {constants}, retention is {retention}")

    # Self-telemetry: each environment describes itself to the next one of the chain in environments.yaml
    # (prod -> dogfood -> kibble; the last sends nowhere), with its key from a Secret mounted where
    # KELPIE_SELF_TELEMETRY_KEY_FILE points, and the downward-API context.
    # The URL names the next environment (its in-cluster Service, or an external URL with its name in it)
    # and no other one.
    namespace = deployment["metadata"].get("namespace")
    environments = yaml.safe_load(open(os.path.join(DEPLOY, "environments.yaml")))["environments"]
    chain = [(name, env["namespace"]) for name, env in environments.items()]
    names = [name for name, env_namespace in chain if env_namespace == namespace]
    check(names, f"namespace {namespace} is not an environment of deploy/environments.yaml")
    telemetry_url = config.get("KELPIE_SELF_TELEMETRY_URL", "")
    if names:
        position = [name for name, _ in chain].index(names[0])
        following = chain[position + 1][0] if position + 1 < len(chain) else None
        if following is None:
            check(telemetry_url == "", f"{names[0]} ends the chain, yet KELPIE_SELF_TELEMETRY_URL is {telemetry_url!r}")
        else:
            others = [name for name, _ in chain if name != following]
            check(re.match(r"https?://", telemetry_url) and following in telemetry_url
                  and not any(other in telemetry_url for other in others),
                  f"KELPIE_SELF_TELEMETRY_URL is {telemetry_url!r}; {names[0]} must describe itself to {following}")
    if telemetry_url:
        key_file = config.get("KELPIE_SELF_TELEMETRY_KEY_FILE", "")
        key_dir = os.path.dirname(key_file)
        mount = next((m for m in container.get("volumeMounts", []) if m["mountPath"] == key_dir), None)
        check(key_file and mount, f"KELPIE_SELF_TELEMETRY_KEY_FILE {key_file!r} is not in a mounted volume")
        if mount:
            secret = volumes.get(mount["name"], {}).get("secret", {})
            check(secret.get("secretName") and not secret.get("optional") and secret.get("secretName") != "kelpie-keys",
                  f"the self-telemetry key must come from a Secret of its own (not kelpie-keys), not optional: {secret}")
    downward = {env["name"]: env.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") for env in container.get("env", [])}
    for name, field in (("KELPIE_POD_NAME", "metadata.name"), ("KELPIE_POD_NAMESPACE", "metadata.namespace"),
                        ("KELPIE_NODE_NAME", "spec.nodeName")):
        check(downward.get(name) == field, f"{name} must come from the downward API's {field}")

    # Scheduling and availability.
    check("replicas" not in deployment["spec"], "Deployment sets replicas although the HPA owns them")
    check(pod.get("topologySpreadConstraints"), "topologySpreadConstraints missing")
    for pdb in by_kind(docs, "PodDisruptionBudget"):
        check(str(pdb["spec"].get("maxUnavailable", "")) not in ("", "0", "0%"), "PDB maxUnavailable must be set and not 0")
        check(all(template_labels.get(k) == v for k, v in pdb["spec"]["selector"]["matchLabels"].items()),
              "PDB selector does not match the pod template labels")
    hpa = one(docs, "HorizontalPodAutoscaler")
    check(hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment["metadata"]["name"]},
          "HPA does not target the Deployment")
    check(hpa["spec"]["minReplicas"] >= 2, "HPA minReplicas below 2 (no redundancy during a rollout or drain)")
    metric_types = {m["type"]: m for m in hpa["spec"]["metrics"]}
    check(metric_types.get("Resource", {}).get("resource", {}).get("name") == "cpu", "HPA has no CPU metric")
    check(metric_types.get("Pods", {}).get("pods", {}).get("metric", {}).get("name") == HPA_PODS_METRIC,
          f"HPA Pods metric must be {HPA_PODS_METRIC}")

    # The adapter rule really produces the HPA's metric name.
    adapter = yaml.safe_load(open(os.path.join(DEPLOY, "prometheus-adapter", "rules.yaml")))
    produced = set()
    for rule in adapter["rules"]:
        series = re.match(r"\s*([a-z_:]+)", rule["seriesQuery"]).group(1)
        matches, replacement = rule["name"]["matches"], rule["name"]["as"]
        produced.add(re.sub(matches, replacement.replace("${1}", r"\1"), series))
    check(HPA_PODS_METRIC in produced, f"prometheus-adapter rules produce {sorted(produced)}, not {HPA_PODS_METRIC}")

    # Every metric the dashboard, alerts and adapter use is one Kelpie exposes.
    texts = [yaml.safe_dump(d) for d in by_kind(docs, "PrometheusRule")]
    texts.append(open(os.path.join(DEPLOY, "grafana", "kelpie.json")).read())
    texts.append(open(os.path.join(DEPLOY, "prometheus-adapter", "rules.yaml")).read())
    unknown = referenced_metric_families(texts) - METRIC_CONTRACT - {HPA_PODS_METRIC}
    check(not unknown, f"metrics referenced but not in Kelpie's contract: {sorted(unknown)}")

    if problems:
        for problem in problems:
            print(f"FAIL: {problem}", file=sys.stderr)
        sys.exit(1)
    store = f"sink {sink}, ack {ack}, no WAL" if stateless else f"WAL {retention} B retention"
    telemetry = f"self-telemetry to {telemetry_url}" if telemetry_url else "self-telemetry off"
    print(f"consistent: port {container_port}{f' (gRPC {grpc_port})' if grpc_port else ''}, probes /healthz /readyz, grace {grace}s >= {needed:g}s, {store}, {telemetry}")


def cmd_probes(rendered):
    docs = load_all(rendered)
    container = kelpie_container(one(docs, "Deployment"))
    paths = []
    for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
        path = container[kind]["httpGet"]["path"]
        if path not in paths:
            paths.append(path)
    for monitor in by_kind(docs, "ServiceMonitor"):
        for endpoint in monitor["spec"]["endpoints"]:
            if endpoint["path"] not in paths:
                paths.append(endpoint["path"])
    print(container["ports"][0]["containerPort"], *paths)


def cmd_live_metrics(metrics_path):
    text = open(metrics_path).read()
    exposed = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            exposed.add(line.split()[2])
        elif line and not line.startswith("#"):
            exposed.add(re.sub(r"_(bucket|sum|count)$", "", re.split(r"[{ ]", line, 1)[0]))
    texts = [open(os.path.join(DEPLOY, "base", "prometheusrule.yaml")).read(),
             open(os.path.join(DEPLOY, "grafana", "kelpie.json")).read(),
             open(os.path.join(DEPLOY, "prometheus-adapter", "rules.yaml")).read()]
    referenced = referenced_metric_families(texts) - {HPA_PODS_METRIC}
    missing = sorted(referenced - exposed - MAY_APPEAR_LATE)
    late = sorted((referenced - exposed) & MAY_APPEAR_LATE)
    if missing:
        fail(f"referenced by deploy/ but not exposed by the running kelpie: {missing}")
    note = f" (not yet exposed, allowed to appear on first use: {late})" if late else ""
    print(f"{len(referenced)} referenced metric families exposed by the running kelpie{note}")


COMMANDS = {
    "split": (cmd_split, 2), "crds": (cmd_crds, 1), "rules": (cmd_rules, 2),
    "consistency": (cmd_consistency, 1), "probes": (cmd_probes, 1), "live-metrics": (cmd_live_metrics, 1),
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS or len(sys.argv) - 2 != COMMANDS[sys.argv[1]][1]:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    COMMANDS[sys.argv[1]][0](*sys.argv[2:])
