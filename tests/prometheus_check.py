#!/usr/bin/env python3
"""tests/prometheus.sh's half that talks to Prometheus: what deploy/ asks of it, checked against a real one.

Subcommands (each prints "ok - …" / "not ok - …" lines; exit status 1 when any check failed):
  setup OUTDIR FOR TARGET...   OUTDIR/rules.yaml: the rule groups of deploy/base/prometheusrule.yaml with
                               every `for:` replaced by FOR (the expressions untouched); OUTDIR/prometheus.yml:
                               1 s scrape and evaluation, one job, each TARGET "HOST:PORT,NAMESPACE,POD"
                               labelled as the Prometheus Operator labels a pod (namespace, pod)
  targets PROM N DEADLINE      N targets up
  metric-names DEADLINE URL... every metric name the rules, the adapter and the dashboard reference appears
                               on some Kelpie's /metrics (polled: some series appear on first use)
  reasons URL...               every refusal reason on Kelpie's /metrics is covered by exactly one alert's
                               reason matcher (draining excepted: refusing during a shutdown is by design)
  rules PROM DEADLINE          every rule evaluated with health "ok" and no lastError
  firing PROM DEADLINE SPEC... each SPEC "Alert{label=value,…}" firing
  quiet PROM SPEC...           each SPEC neither pending nor firing
  hpa PROM NAMESPACE POD       the adapter's rule (deploy/prometheus-adapter/rules.yaml) serves the HPA's Pods
                               metric (deploy/base/hpa.yaml), and its query returns a positive value for POD
  dashboard PROM START         every query of deploy/grafana/kelpie.json (variables and panel targets)
                               returns data over [START, now], as Grafana would ask for it
"""

import json
import math
import re
import sys
import time
import urllib.parse
import urllib.request

import yaml

ROOT = __file__.rsplit("/tests/", 1)[0]
RULES = f"{ROOT}/deploy/base/prometheusrule.yaml"
ADAPTER = f"{ROOT}/deploy/prometheus-adapter/rules.yaml"
HPA = f"{ROOT}/deploy/base/hpa.yaml"
DASHBOARD = f"{ROOT}/deploy/grafana/kelpie.json"
SCRAPE_SECONDS = 1
POLL_SECONDS = 0.2

failures = 0


def ok(message):
    print(f"ok - {message}")


def not_ok(message):
    global failures
    failures += 1
    print(f"not ok - {message}")


def get(url, params=None, timeout=5):
    if params:
        url += "?" + urllib.parse.urlencode(params, doseq=True)
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()


def api(prom, path, **params):
    """GET PROM/api/v1/PATH; the `data` of a success, else raises with Prometheus's error text."""
    try:
        body = json.loads(get(f"{prom}/api/v1/{path}", params))
    except urllib.error.HTTPError as error:
        body = json.loads(error.read().decode() or "{}")
    if body.get("status") != "success":
        raise RuntimeError(f"{body.get('errorType')}: {body.get('error')}")
    return body["data"]


def poll(deadline_seconds, attempt):
    """Calls attempt() until it returns (True, detail) or the deadline passes; returns its last answer."""
    deadline = time.monotonic() + float(deadline_seconds)
    while True:
        try:
            done, detail = attempt()
        except (OSError, RuntimeError, ValueError) as error:
            done, detail = False, str(error)
        if done or time.monotonic() >= deadline:
            return done, detail
        time.sleep(POLL_SECONDS)


def rule_groups():
    with open(RULES) as handle:
        return yaml.safe_load(handle)["spec"]["groups"]


def metric_names(text):
    return set(re.findall(r"\bkelpie_[a-z0-9_]+\b", text))


def dashboard_queries():
    """(where, PromQL) for every query of the dashboard: template variables and panel targets."""
    with open(DASHBOARD) as handle:
        board = json.load(handle)
    queries = []
    for variable in board.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
            queries.append((f"variable ${variable['name']}", query))
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            label = target.get("legendFormat") or target.get("refId", "")
            queries.append((f"panel '{panel['title']}' target '{label}'", target["expr"]))
    return queries


def adapter_queries():
    with open(ADAPTER) as handle:
        return [(rule["seriesQuery"], rule["metricsQuery"]) for rule in yaml.safe_load(handle)["rules"]]


def referenced_names():
    """Metric name -> where it is used, from expressions only (comments may name anything)."""
    where = {}
    for group in rule_groups():
        for rule in group["rules"]:
            for name in metric_names(rule["expr"]):
                where.setdefault(name, []).append(f"alert {rule.get('alert') or rule.get('record')}")
    for series, metrics in adapter_queries():
        for name in metric_names(series + metrics):
            where.setdefault(name, []).append("prometheus-adapter rule")
    for place, query in dashboard_queries():
        for name in metric_names(query):
            where.setdefault(name, []).append(f"dashboard {place}")
    return where


def cmd_setup(outdir, for_duration, *targets):
    groups = rule_groups()
    shortened = 0
    for group in groups:
        for rule in group["rules"]:
            if "for" in rule:
                rule["for"] = for_duration
                shortened += 1
    with open(f"{outdir}/rules.yaml", "w") as handle:
        yaml.safe_dump({"groups": groups}, handle, sort_keys=False)
    static = []
    for target in targets:
        address, namespace, pod = target.split(",")
        static.append({"targets": [address], "labels": {"namespace": namespace, "pod": pod}})
    config = {
        "global": {"scrape_interval": f"{SCRAPE_SECONDS}s", "scrape_timeout": f"{SCRAPE_SECONDS}s",
                   "evaluation_interval": f"{SCRAPE_SECONDS}s"},
        "rule_files": [f"{outdir}/rules.yaml"],
        "scrape_configs": [{"job_name": "kelpie", "metrics_path": "/metrics", "static_configs": static}],
    }
    with open(f"{outdir}/prometheus.yml", "w") as handle:
        yaml.safe_dump(config, handle, sort_keys=False)
    count = sum(len(group["rules"]) for group in groups)
    ok(f"{count} rules from deploy/base/prometheusrule.yaml ({shortened} with for: shortened to {for_duration}), "
       f"{len(targets)} scrape targets")


def cmd_targets(prom, count, deadline):
    def attempt():
        active = api(prom, "targets")["activeTargets"]
        up = [t for t in active if t["health"] == "up"]
        return len(up) == int(count), ", ".join(f"{t['scrapeUrl']} {t['health']} {t.get('lastError', '')}" for t in active)
    done, detail = poll(deadline, attempt)
    (ok if done else not_ok)(f"Prometheus scrapes {count} Kelpie targets: {detail}")


def cmd_metric_names(deadline, *urls):
    where = referenced_names()

    def attempt():
        exposed = set()
        for url in urls:
            for line in get(url).splitlines():
                if line and not line.startswith("#"):
                    exposed.add(re.split(r"[{ ]", line, maxsplit=1)[0])
        missing = sorted(set(where) - exposed)
        return not missing, missing
    done, missing = poll(deadline, attempt)
    if done:
        ok(f"all {len(where)} metric names referenced by the rules, the adapter and the dashboard are on Kelpie's /metrics")
    else:
        for name in missing if isinstance(missing, list) else []:
            not_ok(f"{name} is not on any Kelpie's /metrics, but {'; '.join(sorted(set(where[name])))} uses it")
        if not isinstance(missing, list):
            not_ok(f"reading /metrics: {missing}")


# Refusal reasons no alert is about: a draining pod refuses new work on purpose (docs/operations.md).
UNALERTED_REASONS = {"draining"}


def cmd_reasons(*urls):
    matchers = {}
    for group in rule_groups():
        for rule in group["rules"]:
            for pattern in re.findall(r'kelpie_ingest_refusals_total\{[^}]*reason=~\s*"([^"]+)"', rule["expr"]):
                matchers[rule["alert"]] = pattern
    reasons = set()
    for url in urls:
        reasons |= set(re.findall(r'^kelpie_ingest_refusals_total\{[^}]*reason="([^"]+)"', get(url), re.MULTILINE))
    if not reasons:
        not_ok("no kelpie_ingest_refusals_total{reason} series on /metrics")
    for reason in sorted(reasons):
        alerts = sorted(alert for alert, pattern in matchers.items() if re.fullmatch(pattern, reason))
        if reason in UNALERTED_REASONS:
            (ok if not alerts else not_ok)(f"refusal reason {reason} is deliberately not alerted on (matched by {alerts or 'none'})")
        elif len(alerts) == 1:
            ok(f"refusal reason {reason} is covered by {alerts[0]}")
        else:
            not_ok(f"refusal reason {reason} is covered by {alerts or 'no alert'}; exactly one of {sorted(matchers)} must match it")


def cmd_rules(prom, deadline):
    expected = sum(len(group["rules"]) for group in rule_groups())

    def attempt():
        rules = [rule for group in api(prom, "rules")["groups"] for rule in group["rules"]]
        broken = [r for r in rules if r.get("health") == "err" or r.get("lastError")]
        if broken:  # an error does not heal by waiting
            return True, rules
        evaluated = [r for r in rules if r.get("health") == "ok"]
        return len(rules) == expected and len(evaluated) == expected, rules
    done, rules = poll(deadline, attempt)
    if not isinstance(rules, list):
        not_ok(f"reading /api/v1/rules: {rules}")
        return
    if len(rules) != expected:
        not_ok(f"Prometheus loaded {len(rules)} rules, deploy/base/prometheusrule.yaml has {expected}")
    for rule in rules:
        name = rule.get("name")
        if rule.get("health") == "ok" and not rule.get("lastError"):
            ok(f"rule {name} evaluates without error")
        else:
            not_ok(f"rule {name}: health {rule.get('health')}, lastError {rule.get('lastError')!r}, expr {rule.get('query')}")


def parse_spec(spec):
    match = re.fullmatch(r"(\w+)(?:\{(.*)\})?", spec)
    labels = dict(pair.split("=", 1) for pair in match.group(2).split(",")) if match.group(2) else {}
    return match.group(1), labels


def matching_alerts(prom, spec):
    name, labels = parse_spec(spec)
    return [a for a in api(prom, "alerts")["alerts"]
            if a["labels"].get("alertname") == name and all(a["labels"].get(k) == v for k, v in labels.items())]


def cmd_firing(prom, deadline, *specs):
    pending = list(specs)
    started = time.monotonic()
    seen = {}

    def attempt():
        for spec in list(pending):
            alerts = matching_alerts(prom, spec)
            seen[spec] = sorted({a["state"] for a in alerts})
            if any(a["state"] == "firing" for a in alerts):
                pending.remove(spec)
                ok(f"{spec} fires ({time.monotonic() - started:.1f} s after the wait began)")
        return not pending, None
    poll(deadline, attempt)
    for spec in pending:
        not_ok(f"{spec} fires within {deadline} s (states seen: {seen.get(spec) or 'none'})")


def cmd_quiet(prom, *specs):
    for spec in specs:
        alerts = matching_alerts(prom, spec)
        if alerts:
            not_ok(f"{spec} stays quiet, but is {[(a['state'], a['labels']) for a in alerts]}")
        else:
            ok(f"{spec} stays quiet")


def cmd_hpa(prom, namespace, pod):
    with open(HPA) as handle:
        hpa = yaml.safe_load(handle)
    wanted = [m["pods"]["metric"]["name"] for m in hpa["spec"]["metrics"] if m["type"] == "Pods"]
    with open(ADAPTER) as handle:
        rules = yaml.safe_load(handle)["rules"]
    for rule in rules:
        series_name = re.match(r"\s*([a-zA-Z_:][a-zA-Z0-9_:]*)", rule["seriesQuery"]).group(1)
        served = re.sub(rule["name"]["matches"], rule["name"]["as"].replace("${1}", r"\1"), series_name)
        if served not in wanted:
            continue
        ok(f"prometheus-adapter serves the HPA's Pods metric {served} from {series_name}")
        series = api(prom, "series", **{"match[]": rule["seriesQuery"]})
        pods = sorted({s.get("pod") for s in series})
        (ok if pod in pods else not_ok)(f"seriesQuery {rule['seriesQuery']} finds pod {pod} (pods: {pods})")
        # What prometheus-adapter sends for `kubectl get --raw …/pods/*/<metric>` in NAMESPACE.
        query = (rule["metricsQuery"].replace("<<.Series>>", series_name)
                 .replace("<<.LabelMatchers>>", f'namespace="{namespace}",pod=~"{pod}"')
                 .replace("<<.GroupBy>>", "pod"))
        result = api(prom, "query", query=query)["result"]
        values = {r["metric"].get("pod"): float(r["value"][1]) for r in result}
        value = values.get(pod)
        if value is not None and math.isfinite(value) and value > 0:
            ok(f"HPA query {query} = {value:.1f} events/s for {pod}")
        else:
            not_ok(f"HPA query {query} returns a positive value for {pod} (got {values})")
        wanted.remove(served)
    for name in wanted:
        not_ok(f"no prometheus-adapter rule serves the HPA's Pods metric {name}")


def cmd_dashboard(prom, start):
    with open(DASHBOARD) as handle:
        board = json.load(handle)
    # The variables at their dashboard default, "All" (allValue .*); $__rate_interval as Grafana computes it
    # for this scrape interval (4 x scrape interval, the floor for the 1 s step asked here).
    substitutions = {"$__rate_interval": f"{4 * SCRAPE_SECONDS}s"}
    for variable in board.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            substitutions[f"${variable['name']}"] = variable.get("allValue") or ".*"
    end = time.time()
    for place, query in dashboard_queries():
        concrete = query
        for name in sorted(substitutions, key=len, reverse=True):
            concrete = concrete.replace(name, substitutions[name])
        if "$" in concrete:
            not_ok(f"{place}: unsubstituted variable in {concrete}")
            continue
        try:
            match = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", concrete.strip())
            if match:
                values = api(prom, f"label/{match.group(2)}/values", **{"match[]": match.group(1)})
                (ok if values else not_ok)(f"{place}: {concrete} -> {values}")
                continue
            result = api(prom, "query_range", query=concrete, start=f"{float(start):.3f}", end=f"{end:.3f}", step="1")
        except (OSError, RuntimeError) as error:
            not_ok(f"{place}: {concrete}: {error}")
            continue
        finite = sum(1 for series in result["result"] for _, v in series["values"] if math.isfinite(float(v)))
        if finite:
            ok(f"{place}: {len(result['result'])} series, {finite} points")
        else:
            not_ok(f"{place}: no data for {concrete} ({len(result['result'])} series, none with a finite value)")


COMMANDS = {"setup": cmd_setup, "targets": cmd_targets, "metric-names": cmd_metric_names,
            "reasons": cmd_reasons, "rules": cmd_rules,
            "firing": cmd_firing, "quiet": cmd_quiet, "hpa": cmd_hpa, "dashboard": cmd_dashboard}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    try:
        COMMANDS[sys.argv[1]](*sys.argv[2:])
    except (OSError, RuntimeError, KeyError, TypeError) as error:
        not_ok(f"{sys.argv[1]}: {type(error).__name__}: {error}")
    sys.exit(1 if failures else 0)
