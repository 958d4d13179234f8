#!/usr/bin/env python3
"""Turns one `make bench` work directory into bench/results/<date>.json, two PNG plots, and the generated
section of docs/benchmarks.md (between <!-- bench:begin --> and <!-- bench:end -->; the rest of the file is
left as it is).

Usage: report.py WORK_DIR REPO_ROOT
"""
import json
import os
import re
import sys

BEGIN = "<!-- bench:begin -->"
END = "<!-- bench:end -->"

WORKLOAD_TITLES = {
    "single": "single events (368 B JSON, /1/events)",
    "batch": "JSON batches (100 events, ~48 KB)",
    "batch-gzip": "JSON batches, gzip",
    "msgpack-zstd": "msgpack batches, zstd",
    "otlp": "OTLP traces (512 spans, protobuf)",
}
TARGET_TITLES = {
    "nginx": "nginx (baseline)",
    "kelpie-memory": "Kelpie --ack=memory",
    "kelpie-durable": "Kelpie --ack=durable",
    "kelpie-null-memory": "Kelpie --sink=null --ack=memory",
    "kelpie-null-durable": "Kelpie --sink=null --ack=durable (WAL + forwarder)",
    "kelpie-kafka-memory": "Kelpie --sink=kafka --ack=memory",
    "kelpie-kafka-durable": "Kelpie --sink=kafka --ack=durable (WAL + forwarder)",
    "kelpie-kafka-delivered": "Kelpie --sink=kafka --ack=delivered",
    "kelpie-memory-dispatch": "Kelpie --ack=memory, dispatch backend",
    "kelpie-durable-dispatch": "Kelpie --ack=durable, dispatch backend",
    "kelpie-memory-tls": "Kelpie --ack=memory, TLS 1.3",
}


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def read_json(path, default=None):
    if not os.path.exists(path):
        return default
    with open(path) as handle:
        return json.load(handle)


def parse_wrk(path, events_per_request):
    """wrk 4.1 text output with --latency."""
    text = open(path).read()
    result = {"tool": "wrk"}
    match = re.search(r"Requests/sec:\s+([\d.]+)", text)
    result["requests_per_second"] = float(match.group(1)) if match else None
    latency = {}
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
    for label, key in (("50%", "p50"), ("90%", "p90"), ("99%", "p99")):
        found = re.search(r"^\s+" + re.escape(label) + r"\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
        if found:
            latency[key] = float(found.group(1)) * units[found.group(2)]
    found = re.search(r"Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m)", text)
    if found:
        latency["max"] = float(found.group(1)) * units[found.group(2)]
    result["latency_ms"] = latency or None
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    result["non_2xx"] = int(non2xx.group(1)) if non2xx else 0
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    result["socket_errors"] = sum(int(x) for x in socket_errors.groups()) if socket_errors else 0
    cpu = re.search(r"cpu_seconds ([\d.]+) ([\d.]+)", text)
    result["client_cpu_seconds"] = float(cpu.group(1)) + float(cpu.group(2)) if cpu else None
    total = re.search(r"(\d+) requests in", text)
    result["requests"] = int(total.group(1)) if total else None
    result["error_rate"] = (result["non_2xx"] + result["socket_errors"]) / max(1, result["requests"] or 0) \
        if result["requests"] else None
    rps = result["requests_per_second"]
    # wrk does not read batch replies; events/s assumes every event of a 2xx reply was accepted.
    if rps is not None and result["requests"]:
        ok_share = 1 - result["non_2xx"] / max(1, result["requests"])
        result["events_per_second"] = rps * events_per_request * ok_share
    else:
        result["events_per_second"] = None
    return result


def parse_kelpie_load(path):
    data = read_json(path)
    if data is None:
        return None
    summary = data["summary"]
    return {
        "tool": "kelpie-load",
        "requests_per_second": summary["requests_per_second"],
        "events_per_second": summary["events_per_second"],
        "latency_ms": summary["latency_ms"],
        "target_requests_per_second": summary["target_requests_per_second"],
        "error_rate": summary["stats"]["error_rate"],
        "requests_failed": summary["stats"]["requests_failed"],
        "requests_missed": summary["stats"]["requests_missed"],
        "status_counts": summary["stats"]["status_counts"],
        "event_status_counts": summary["stats"]["event_status_counts"],
        "mean_body_bytes": data["mean_body_bytes"],
        "client_cpu_seconds": data.get("client_cpu_seconds"),
        # Everything the client did while its CPU was counted: warm-up and drain included.
        "requests_total": data["totals"]["requests_completed"],
        "events_accepted_total": data["totals"]["events_accepted"],
        "phases": [
            {"target_requests_per_second": p["target_requests_per_second"],
             "requests_per_second": p["requests_per_second"], "events_per_second": p["events_per_second"],
             "latency_ms": p["latency_ms"], "requests_missed": p["stats"]["requests_missed"],
             "error_rate": p["stats"]["error_rate"]}
            for p in data["phases"]
        ],
    }


def collect(work):
    runs = []
    for entry in read_jsonl(os.path.join(work, "runs.jsonl")):
        path = entry["file"]
        if not os.path.exists(path):
            continue
        if entry["tool"] == "wrk":
            parsed = parse_wrk(path, entry["events_per_request"])
        else:
            parsed = parse_kelpie_load(path)
        if parsed is None:
            continue
        parsed.update({k: entry[k] for k in ("target", "workload", "mode", "connections", "events_per_request")})
        # Kelpie's (and the Kafka broker's) CPU seconds over the same window as the client's, where measured.
        parsed["server_cpu_seconds"] = entry.get("server_cpu_seconds")
        parsed["broker_cpu_seconds"] = entry.get("broker_cpu_seconds")
        runs.append(parsed)
    return runs


def find(runs, target, workload, tool, mode):
    """The matching run; with repeats, the one with the highest request rate."""
    matches = [r for r in runs if (r["target"], r["workload"], r["tool"], r["mode"]) == (target, workload, tool, mode)]
    if not matches:
        return None
    return max(matches, key=lambda r: r.get("requests_per_second") or 0)


def cpu_per_request(run, count_key):
    cpu, count = run.get("client_cpu_seconds"), run.get(count_key)
    if not cpu or not count:
        return None
    return cpu * 1e6 / count


def cpu_per_event(run, key):
    """CPU µs per accepted event (warm-up included on both sides) of the process whose seconds are in `key`."""
    cpu, events = run.get(key), run.get("events_accepted_total")
    if cpu is None or not events:
        return None
    return cpu * 1e6 / events


def fmt(value, digits=0, suffix=""):
    if value is None:
        return "n/a"
    if isinstance(value, float) and digits == 0:
        return f"{value:,.0f}{suffix}"
    return f"{value:,.{digits}f}{suffix}"


def ratio(a, b):
    if a is None or b in (None, 0):
        return None
    return a / b


def make_plots(runs, results_dir, stamp, workloads, targets):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        return []
    files = []
    # Throughput per workload: events/s, closed loop, one bar per target (kelpie-load).
    fig, ax = plt.subplots(figsize=(10, 5))
    width = 0.8 / max(1, len(targets))
    for index, target in enumerate(targets):
        values = []
        for workload in workloads:
            run = find(runs, target, workload, "kelpie-load", "closed")
            values.append((run or {}).get("events_per_second") or 0)
        positions = [w + index * width for w in range(len(workloads))]
        ax.bar(positions, values, width, label=TARGET_TITLES.get(target, target))
    ax.set_xticks([w + width * (len(targets) - 1) / 2 for w in range(len(workloads))])
    ax.set_xticklabels(workloads)
    ax.set_ylabel("events/s (closed loop, kelpie-load)")
    ax.set_yscale("log")
    ax.set_title("Maximum throughput per workload")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    name = f"{stamp}-throughput.png"
    fig.tight_layout()
    fig.savefig(os.path.join(results_dir, name), dpi=110)
    plt.close(fig)
    files.append(name)

    # Latency percentiles against offered load (open-loop step runs).
    step_runs = [r for r in runs if r["mode"] == "steps"]
    if step_runs:
        fig, axes = plt.subplots(1, len(step_runs), figsize=(5 * len(step_runs), 4.5), squeeze=False)
        for ax, run in zip(axes[0], step_runs):
            offered = [(p["target_requests_per_second"] or 0) * run["events_per_request"] for p in run["phases"]]
            for key, style in (("p50", "o-"), ("p90", "s-"), ("p99", "^-"), ("p99_9", "v-")):
                values = [(p["latency_ms"] or {}).get(key) for p in run["phases"]]
                points = [(x, y) for x, y in zip(offered, values) if y is not None]
                if points:
                    ax.plot([x for x, _ in points], [y for _, y in points], style, label=key.replace("_", "."))
            ax.set_yscale("log")
            ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(
                lambda x, _: f"{x / 1e6:g} M" if x >= 1e6 else f"{x / 1e3:g} k" if x > 0 else "0"))
            ax.set_xlabel(f"offered load, events/s ({run['workload']})")
            ax.set_ylabel("latency, ms (from scheduled send)")
            ax.set_title(TARGET_TITLES.get(run["target"], run["target"]), fontsize=10)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
        name = f"{stamp}-latency.png"
        fig.tight_layout()
        fig.savefig(os.path.join(results_dir, name), dpi=110)
        plt.close(fig)
        files.append(name)
    return files


def main():
    work, root = sys.argv[1], sys.argv[2]
    meta = read_json(os.path.join(work, "meta.json"), {})
    runs = collect(work)
    rss = read_json(os.path.join(work, "rss.json"), {})
    ready = read_json(os.path.join(work, "ready.json"))
    callgrind = read_json(os.path.join(work, "callgrind.json"))
    skipped = read_jsonl(os.path.join(work, "skipped.jsonl"))
    failures = read_jsonl(os.path.join(work, "failures.jsonl"))
    otlp_grpc = read_json(os.path.join(work, "otlp-grpc.json"))
    stamp = meta.get("date", "unknown")
    results_dir = os.path.join(root, "bench", "results")
    os.makedirs(results_dir, exist_ok=True)

    workloads = [w for w in WORKLOAD_TITLES if any(r["workload"] == w for r in runs)]
    targets = [t for t in TARGET_TITLES if any(r["target"] == t for r in runs)]

    document = {"meta": meta, "runs": runs, "rss_kb": rss, "start_to_ready": ready, "callgrind": callgrind,
                "otlp_grpc": otlp_grpc, "skipped": skipped, "failures": failures}
    partial = bool(meta.get("partial"))
    if partial:
        stamp += "-partial"
    with open(os.path.join(results_dir, f"{stamp}.json"), "w") as handle:
        json.dump(document, handle, indent=1, sort_keys=True)
        handle.write("\n")
    plots = make_plots(runs, results_dir, stamp, workloads, [t for t in targets if t in
                       ("nginx", "kelpie-memory", "kelpie-durable")])

    lines = [BEGIN, "", f"_Generated by `make bench` (bench/run.sh) on {meta.get('date_time', stamp)}; "
             f"raw results: [bench/results/{stamp}.json](../bench/results/{stamp}.json)._", ""]
    lines += ["### Setup", "",
              f"- commit `{meta.get('commit', '?')}`{' (working tree had uncommitted changes)' if meta.get('dirty') else ''}",
              f"- machine: {meta.get('nproc', '?')} CPUs ({meta.get('cpu', '?')}), {meta.get('memory', '?')}, "
              f"kernel {meta.get('kernel', '?')}; load generator and server share the CPUs",
              f"- {meta.get('nginx', 'nginx')} with {meta.get('nginx_workers', '?')} worker(s); {meta.get('wrk', 'wrk')}; "
              f"kelpie-load and wrk each use {meta.get('load_threads', 1)} thread(s)",
              f"- closed loop: {meta.get('warmup', '?')} warm-up + {meta.get('duration', '?')} measured per run "
              f"(against nginx each tool runs {meta.get('nginx_repeats', 1)}×, interleaved, best kept); "
              f"open loop at 50 % of the closed-loop maximum for {meta.get('duration', '?')}; "
              f"connections: {meta.get('connections_single', '?')} for single events, "
              f"{meta.get('connections_batch', '?')} for batches; kelpie-load cycles through {meta.get('pool', '?')} "
              "pre-generated bod(ies) per workload, wrk sends the first of them (same bytes and headers)",
              "- Kelpie with the spool sink in both ack modes, and with the null sink (`--sink null`: the server "
              "without storage; with `--ack=durable` the WAL is still written and a forwarder reads it back), and "
              "with the Kafka sink into Tansu on the same box (acks=all, idempotent, zstd) in every ack mode", ""]

    # Targets.
    def closed(target, workload, tool="kelpie-load"):
        return find(runs, target, workload, tool, "closed")

    lines += ["### Against the targets", "", "| target | measured | verdict |", "|---|---|---|"]
    checks = []
    nginx_single = closed("nginx", "single")
    kelpie_single = closed("kelpie-memory", "single")
    single_ratio = ratio((kelpie_single or {}).get("requests_per_second"), (nginx_single or {}).get("requests_per_second"))
    checks.append(("single events ≥ 0.6× nginx req/s (memory ack, kelpie-load)",
                   f"{fmt(single_ratio, 2)}×" if single_ratio else "n/a", single_ratio is not None and single_ratio >= 0.6))
    for target, floor in (("kelpie-memory", 2e6), ("kelpie-durable", 1e6)):
        run = closed(target, "batch")
        eps = (run or {}).get("events_per_second")
        checks.append((f"100-event JSON batches ≥ {floor / 1e6:.0f} M events/s ({TARGET_TITLES[target]})",
                       f"{fmt(eps)} events/s", eps is not None and eps >= floor))
    for target in ("kelpie-memory", "kelpie-durable"):
        for workload in ("single", "batch"):
            run = find(runs, target, workload, "kelpie-load", "open50")
            p99 = ((run or {}).get("latency_ms") or {}).get("p99")
            checks.append((f"p99 at 50 % of max ≤ 5 ms ({TARGET_TITLES[target]}, {workload})",
                           f"{fmt(p99, 2)} ms", p99 is not None and p99 <= 5))
    idle = (rss.get("kelpie-memory") or {}).get("idle_kb")
    checks.append(("idle RSS ≤ 30 MB", f"{fmt(idle / 1024, 1) if idle else 'n/a'} MB", idle is not None and idle <= 30 * 1024))
    median = (ready or {}).get("median_ms")
    checks.append((f"start → ready ≤ 20 ms (median of {len((ready or {}).get('samples_ms', [])) or 'n/a'})", f"{fmt(median, 1)} ms", median is not None and median <= 20))
    for workload in workloads:
        ours = closed("nginx", workload)
        theirs = closed("nginx", workload, "wrk")
        value = ratio((ours or {}).get("requests_per_second"), (theirs or {}).get("requests_per_second"))
        checks.append((f"kelpie-load drives nginx at least as hard as wrk ({workload})",
                       f"{fmt(value, 2)}× wrk" if value else "n/a", value is not None and value >= 1.0))
    for label, measured, passed in checks:
        lines.append(f"| {label} | {measured} | {'met' if passed else '**not met**'} |")
    lines.append("")

    # Throughput table with ratios.
    lines += ["### Maximum throughput (closed loop)", "",
              "Responses/s and accepted events/s (kelpie-load counts per-event 202s in batch replies; wrk's events/s "
              "assume every event of a 2xx reply was accepted). The ratio is Kelpie / nginx in responses/s, measured "
              "with the same tool in this run; where a share of requests failed (e.g. 503 when Kelpie's queue is "
              "full) the cell says so.", ""]
    backend_targets = [t for t in targets if t.endswith("-dispatch")]
    tls_targets = [t for t in targets if t.endswith("-tls")]
    targets = [t for t in targets if not t.endswith("-dispatch") and not t.endswith("-tls")]
    header = "| workload | tool | " + " | ".join(TARGET_TITLES[t] for t in targets) + " | " + \
        " | ".join(f"{TARGET_TITLES[t]} / nginx" for t in targets if t != "nginx") + " |"
    lines += [header, "|" + "---|" * (2 + len(targets) + len([t for t in targets if t != "nginx"]))]
    for workload in workloads:
        for tool in ("kelpie-load", "wrk"):
            base = closed("nginx", workload, tool)
            cells = []
            for target in targets:
                run = closed(target, workload, tool)
                if run is None:
                    cells.append("—")
                else:
                    cell = f"{fmt(run['requests_per_second'])} req/s<br>{fmt(run['events_per_second'])} ev/s"
                    if (run.get("error_rate") or 0) > 0.001:
                        cell += f"<br>({run['error_rate'] * 100:.0f} % failed)"
                    cells.append(cell)
            ratios = []
            for target in targets:
                if target == "nginx":
                    continue
                value = ratio((closed(target, workload, tool) or {}).get("requests_per_second"),
                              (base or {}).get("requests_per_second"))
                ratios.append(f"{value:.2f}×" if value else "—")
            lines.append(f"| {workload} | {tool} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    lines.append("")

    if backend_targets:
        lines += ["### I/O backends, single events", "",
                  "| configuration | kelpie-load req/s | wrk req/s | / nginx (kelpie-load) | p99 at 50 % of max |",
                  "|---|---|---|---|---|"]
        base = (closed("nginx", "single") or {}).get("requests_per_second")
        for target in ("kelpie-memory", "kelpie-memory-dispatch", "kelpie-durable", "kelpie-durable-dispatch"):
            ours, theirs = closed(target, "single"), closed(target, "single", "wrk")
            if not ours and not theirs:
                continue
            label = TARGET_TITLES[target] + ("" if target.endswith("-dispatch") else ", epoll backend")
            p99 = ((find(runs, target, "single", "kelpie-load", "open50") or {}).get("latency_ms") or {}).get("p99")
            value = ratio((ours or {}).get("requests_per_second"), base)
            lines.append(f"| {label} | {fmt((ours or {}).get('requests_per_second'))} | "
                         f"{fmt((theirs or {}).get('requests_per_second'))} | {fmt(value, 2)}× | {fmt(p99, 2)} ms |")
        lines.append("")

    if tls_targets:
        lines += ["### TLS", "",
                  "wrk over https (TLS 1.3, keep-alive: the handshake is paid once per connection) against the "
                  "same server over plain HTTP, same workload and connection count.", "",
                  "| workload | plain HTTP req/s | TLS req/s | TLS / plain | TLS p99 |", "|---|---|---|---|---|"]
        for target in tls_targets:
            plain_target = target[:-len("-tls")]
            for workload in workloads:
                tls_run, plain_run = closed(target, workload, "wrk"), closed(plain_target, workload, "wrk")
                if not tls_run:
                    continue
                value = ratio(tls_run.get("requests_per_second"), (plain_run or {}).get("requests_per_second"))
                p99 = (tls_run.get("latency_ms") or {}).get("p99")
                lines.append(f"| {workload} | {fmt((plain_run or {}).get('requests_per_second'))} | "
                             f"{fmt(tls_run.get('requests_per_second'))} | {fmt(value, 2)}× | {fmt(p99, 2)} ms |")
        lines.append("")

    # Errors in closed-loop kelpie-load runs (saturation shows up as 503s, not as lower numbers).
    error_rows = [r for r in runs if r["tool"] == "kelpie-load" and (r.get("requests_failed") or 0) > 0]
    if error_rows:
        lines += ["Runs with failed requests (status counts as seen by kelpie-load):", ""]
        for run in error_rows:
            lines.append(f"- {run['target']} / {run['workload']} / {run['mode']}: {run['requests_failed']} failed "
                         f"(status counts {run.get('status_counts')}, error rate {run.get('error_rate', 0):.4f}; "
                         "transport errors and timeouts make up the rest)")
        lines.append("")

    # Sinks side by side: Kelpie's own CPU per event, and the Kafka broker's.
    sink_targets = [t for t in targets if t.startswith("kelpie-")]
    if any(closed(t, "batch") for t in sink_targets):
        lines += ["### Sinks side by side (100-event JSON batches)", "",
                  "Closed-loop events/s, latency of the open-loop run at 50 % of that maximum, and CPU per accepted "
                  "event: Kelpie's user + system time from /proc/PID/stat over the closed-loop run (warm-up included) "
                  "over the events accepted in it; for the Kafka rows also the broker's (Tansu, on the same CPUs, "
                  "acks=all, zstd). The Kafka rows run 100-event batches only.", "",
                  "| configuration | events/s | p50 at 50 % | p99 at 50 % | Kelpie CPU µs/event | broker CPU µs/event |",
                  "|---|---|---|---|---|---|"]
        for target in sink_targets:
            run = closed(target, "batch")
            if run is None:
                continue
            latency = (find(runs, target, "batch", "kelpie-load", "open50") or {}).get("latency_ms") or {}
            lines.append(f"| {TARGET_TITLES[target]} | {fmt(run['events_per_second'])} | "
                         f"{fmt(latency.get('p50'), 2)} ms | {fmt(latency.get('p99'), 2)} ms | "
                         f"{fmt(cpu_per_event(run, 'server_cpu_seconds'), 2)} | "
                         f"{fmt(cpu_per_event(run, 'broker_cpu_seconds'), 2)} |")
        lines.append("")

    # Latency at 50 %.
    lines += ["### Latency at 50 % of maximum (open loop, kelpie-load)", "",
              "The offered rate is half the closed-loop maximum of accepted events (in requests/s). Latency counts "
              "from each request's scheduled send time (coordinated omission corrected).", "",
              "| target | workload | offered req/s | achieved req/s | p50 | p90 | p99 | p99.9 | max |",
              "|---|---|---|---|---|---|---|---|---|"]
    for target in targets:
        for workload in workloads:
            run = find(runs, target, workload, "kelpie-load", "open50")
            if run is None:
                continue
            latency = run.get("latency_ms") or {}
            lines.append(f"| {TARGET_TITLES[target]} | {workload} | {fmt(run.get('target_requests_per_second'))} | "
                         f"{fmt(run['requests_per_second'])} | " +
                         " | ".join(f"{fmt(latency.get(k), 2)} ms" for k in ("p50", "p90", "p99", "p99_9", "max")) + " |")
    lines.append("")

    # Load generators side by side.
    lines += ["### kelpie-load and wrk against nginx (same workload, same connections)", "",
              "Best of the interleaved runs for each tool. CPU per request is the load generator's own user + system "
              "time (kelpie-load: getrusage over the run; wrk: /usr/bin/time) over the requests it completed; it is "
              "the figure least disturbed by other processes on the machine.", "",
              "| workload | connections | wrk req/s | kelpie-load req/s | kelpie-load / wrk | wrk p99 | kelpie-load p99 "
              "| wrk CPU µs/request | kelpie-load CPU µs/request |",
              "|---|---|---|---|---|---|---|---|---|"]
    for workload in workloads:
        ours, theirs = closed("nginx", workload), closed("nginx", workload, "wrk")
        if not ours or not theirs:
            continue
        value = ratio(ours["requests_per_second"], theirs["requests_per_second"])
        lines.append(f"| {workload} | {ours['connections']} | {fmt(theirs['requests_per_second'])} | "
                     f"{fmt(ours['requests_per_second'])} | {fmt(value, 2)}× | "
                     f"{fmt((theirs.get('latency_ms') or {}).get('p99'), 2)} ms | "
                     f"{fmt((ours.get('latency_ms') or {}).get('p99'), 2)} ms | "
                     f"{fmt(cpu_per_request(theirs, 'requests'), 2)} | {fmt(cpu_per_request(ours, 'requests_total'), 2)} |")
    lines.append("")

    # Resources.
    lines += ["### Memory and start-up", "", "| figure | value |", "|---|---|"]
    for target, values in sorted(rss.items()):
        lines.append(f"| RSS idle, {TARGET_TITLES.get(target, target)} | {fmt((values.get('idle_kb') or 0) / 1024, 1)} MB |")
        if values.get("load_peak_kb"):
            lines.append(f"| RSS peak under load ({values.get('load_workload', 'batch')}, closed loop), "
                         f"{TARGET_TITLES.get(target, target)} | {fmt(values['load_peak_kb'] / 1024, 1)} MB |")
    if ready:
        lines.append(f"| start → ready (exec to first 200 on /readyz), median of {len(ready['samples_ms'])} | "
                     f"{fmt(ready['median_ms'], 1)} ms (min {fmt(ready['min_ms'], 1)}, max {fmt(ready['max_ms'], 1)}) |")
    lines.append("")
    lines += ["How these are measured: RSS is `VmRSS` from `/proc/PID/status` 1 s after readiness (idle) and the "
              "peak of samples every 0.2 s during the closed-loop batch run. Start → ready is bench/start_to_ready.py.", ""]

    if otlp_grpc:
        lines += ["### OTLP/gRPC beside OTLP/HTTP (h2load, ack=memory, sink=null)", "",
                  "| row | protocol | connections × streams | spans/s accepted | Kelpie CPU µs per span "
                  "| requests accepted / done (h2load) |", "|---|---|---|---|---|---|"]
        for row in otlp_grpc:
            lines.append(f"| {row['row']} | {row['protocol']} | {row['connections']} × {row['streams_per_connection']} | "
                         f"{fmt(row['spans_per_second'])} | {fmt(row['kelpie_cpu_us_per_span'], 2)} | "
                         f"{fmt(row['requests_accepted'])} / {fmt(row['h2load_requests_done'])} |")
        lines += ["", "bench/otlp_grpc.sh: the same 512-span protobuf export as `POST /v1/traces` over HTTP/1.1 and as "
                  "`TraceService/Export` over h2c; spans/s from `kelpie_ingest_events_accepted_total`, CPU from "
                  "`/proc/PID/stat` over each row.", ""]

    callgrind_runs = (callgrind or {}).get("runs") or []
    if callgrind_runs:
        lines += ["### Instructions per event (callgrind, in-process path, no sockets)", "",
                  "| workload | requests × events | wire bytes/request | instructions | instructions per event "
                  "| spool bytes per event |", "|---|---|---|---|---|---|"]
        titles = {"batch": "JSON batch, identity: decode + reply + WAL",
                  "batch-decode-only": "JSON batch, identity: decode + reply only (no pipeline)",
                  "msgpack-zstd": "msgpack batch, zstd: decode + reply + WAL",
                  "otlp": "OTLP traces, protobuf, 500 spans/request: decode + reply + WAL"}
        for run in callgrind_runs:
            per_request = run["events"] // max(1, run["requests"])
            lines.append(f"| {titles.get(run['workload'], run['workload'])} | {run['requests']} × {per_request} | "
                         f"{fmt(run['wire_bytes_per_request'])} | {fmt(run['instructions'])} | "
                         f"{fmt(float(run['instructions_per_event']))} | "
                         f"{fmt(float(run['wal_bytes_per_event'])) if run.get('pipeline') else '—'} |")
        lines.append("")
        lines += ["Measured with `bench/micro/callgrind-bench` (release, `objcopy --strip-debug`) under "
                  "`valgrind --tool=callgrind --instr-atstart=no --dump-instr=no`: the server's own code path for "
                  "`POST /1/batch` and `POST /v1/traces` after the HTTP layer (`ContentDecoder`, `HoneycombDecoder` or "
                  "`OTLPDecoder`, the reply body, `EventPipeline.submit` with `--ack=memory`, which encodes the WAL "
                  "lines, and the WAL writer thread's writes up to `stop`, which flushes and fdatasyncs), on the same "
                  "body the load runs send, after a 10-request warm-up through a separate pipeline. "
                  "`CALLGRIND_START/STOP_INSTRUMENTATION` bracket the measured requests; instructions of all threads "
                  "count, kernel instructions (the `writev` copy into the page cache, page faults) do not. Sockets, the "
                  "HTTP parser and encoder, routing, key lookup and metrics are **excluded**: Valgrind 3.19 (Debian 12) "
                  "cannot run the kelpie server (it rejects the DWARF 5 debug info, and without it dies with an internal "
                  "SIGSEGV at a signal syscall).", ""]
    elif callgrind is not None:
        lines += ["(callgrind produced no result; see Skipped and failed.)", ""]

    if plots:
        lines += ["### Plots", ""]
        for name in plots:
            lines.append(f"![{name}](../bench/results/{name})")
            lines.append("")

    if skipped or failures:
        lines += ["### Skipped and failed", ""]
        for item in skipped:
            lines.append(f"- skipped {item['what']}: {item['reason']}")
        for item in failures:
            lines.append(f"- **failed** {item['what']}: {item['reason']}")
        lines.append("")
    lines.append(END)
    generated = "\n".join(lines)

    if partial:
        # A selection (BENCH_CONFIGS) is not the whole comparison: print it, keep docs/benchmarks.md as it is.
        print(generated)
        print(f"wrote bench/results/{stamp}.json (partial run: docs/benchmarks.md left alone)")
        return
    docs_path = os.path.join(root, "docs", "benchmarks.md")
    os.makedirs(os.path.dirname(docs_path), exist_ok=True)
    if os.path.exists(docs_path):
        current = open(docs_path).read()
    else:
        current = ("# Benchmarks\n\nEverything between the bench markers below is regenerated by `make bench` "
                   "(bench/run.sh, bench/report.py); write notes outside them.\n\n" + BEGIN + "\n" + END + "\n")
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        updated = head + generated + tail
    else:
        updated = current.rstrip("\n") + "\n\n" + generated + "\n"
    with open(docs_path, "w") as handle:
        handle.write(updated)
    print(f"wrote bench/results/{stamp}.json, {', '.join(plots) or 'no plots'}, docs/benchmarks.md")


if __name__ == "__main__":
    main()
