"""Checks kelpie's spool (`kelpie spool cat` JSON lines) against what the SDK senders recorded.

Usage: check_spool.py SPOOL.jsonl libhoney EXPECTED.json [EXPECTED.json ...]
       check_spool.py SPOOL.jsonl otel EXPECTED.json [EXPECTED.json ...]

Prints one line per check, "ok   - ..." or "FAIL - ..." followed by at most a few indented details.
libhoney: every event once, by its unique id field, with data JSON-equal to what libhoney serialised
(types strict: a bool is not an int, an int is not a float), its time and sample rate.
otel: Honeycomb's (husky's) mapping of OTLP to flat events as docs/otlp.md describes it, computed from
the SDK objects the exporters were handed: spans, span events, links, log records and metric points.
"""

import json
import math
import sys

MAX_DETAILS = 5
DURATION_TOLERANCE_MS = 1e-6


class Checks:
    def __init__(self):
        self.failed = 0

    def report(self, label, problems):
        if not problems:
            print(f"ok   - {label}")
            return
        self.failed += 1
        print(f"FAIL - {label} ({len(problems)} problems)")
        for problem in problems[:MAX_DETAILS]:
            print(f"       {problem}"[:600])


def rfc3339_nanos(text):
    """'2026-11-26T12:00:00.123456789Z' (or with an offset) → Unix nanoseconds, exactly."""
    import datetime
    date_part, _, rest = text.partition("T")
    offset_seconds = 0
    if rest.endswith("Z"):
        clock = rest[:-1]
    else:
        sign_at = max(rest.rfind("+"), rest.rfind("-"))
        clock, zone = rest[:sign_at], rest[sign_at:]
        hours, minutes = zone[1:].split(":")
        offset_seconds = (int(hours) * 3600 + int(minutes) * 60) * (1 if zone[0] == "+" else -1)
    whole, _, fraction = clock.partition(".")
    base = datetime.datetime.fromisoformat(f"{date_part}T{whole}+00:00")
    seconds = int(base.timestamp()) - offset_seconds
    return seconds * 10**9 + int((fraction + "000000000")[:9])


def strict_equal(left, right):
    """JSON equality that keeps bool, int and float apart (Python's == says True == 1 == 1.0)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(strict_equal(left[key], right[key]) for key in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(strict_equal(a, b) for a, b in zip(left, right))
    return left == right


def difference(expected, actual, path="data"):
    """First place where two JSON values differ, as a short human-readable string."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in expected:
            if key not in actual:
                return f"{path}: missing key {key!r}"
            found = difference(expected[key], actual[key], f"{path}.{key}")
            if found:
                return found
        extra = sorted(set(actual) - set(expected))
        return f"{path}: unexpected keys {extra}" if extra else None
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for index, (a, b) in enumerate(zip(expected, actual)):
            found = difference(a, b, f"{path}[{index}]")
            if found:
                return found
        return None
    if strict_equal(expected, actual):
        return None
    return f"{path}: expected {json.dumps(expected)[:120]}, got {json.dumps(actual)[:120]}"


def load_spool(path):
    events = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    events.append(json.loads(line))
                except json.JSONDecodeError as error:
                    events.append({"dataset": None, "data": {}, "_bad_line": f"line {number}: {error}"})
    return events


# MARK: libhoney

def check_libhoney(checks, spool, expectation_paths):
    bad_lines = [event["_bad_line"] for event in spool if "_bad_line" in event]
    checks.report("spool: every line is JSON", bad_lines)
    for path in expectation_paths:
        with open(path, encoding="utf-8") as handle:
            expected = json.load(handle)
        dataset, mode, sent = expected["dataset"], expected["mode"], expected["events"]
        stored = {}
        duplicates = []
        for event in spool:
            if event.get("dataset") != dataset:
                continue
            event_id = (event.get("data") or {}).get("sdk.event_id")
            if event_id in stored:
                duplicates.append(f"{event_id} stored twice")
            stored[event_id] = event
        sent_ids = {item["id"] for item in sent}
        missing = [f"{item['id']} not in the spool" for item in sent if item["id"] not in stored]
        unexpected = [f"unexpected event {event_id!r}" for event_id in stored if event_id not in sent_ids]
        checks.report(f"libhoney {mode}: {len(sent)} events in dataset {dataset}, each exactly once",
                      missing + duplicates + unexpected)

        data_problems, meta_problems = [], []
        key_ids = set()
        for item in sent:
            event = stored.get(item["id"])
            if event is None:
                continue
            found = difference(item["data"], event.get("data"))
            if found:
                data_problems.append(f"{item['id']}: {found}")
            try:
                time_ns = rfc3339_nanos(event.get("time", ""))
            except (ValueError, IndexError):
                time_ns = None
            if time_ns != item["time_ns"]:
                meta_problems.append(f"{item['id']}: time {event.get('time')!r}, expected {item['time_ns']} ns")
            if not strict_equal(event.get("samplerate"), item["samplerate"]):
                meta_problems.append(f"{item['id']}: samplerate {event.get('samplerate')!r}, expected {item['samplerate']}")
            key_ids.add(event.get("key_id"))
        checks.report(f"libhoney {mode}: every event's data JSON-equal to what libhoney sent", data_problems)
        if len(key_ids) != 1 or not isinstance(next(iter(key_ids), None), str) or not next(iter(key_ids)):
            meta_problems.append(f"key_id should be one non-empty string for one key, got {sorted(map(str, key_ids))[:3]}")
        checks.report(f"libhoney {mode}: time, samplerate and key_id of every event", meta_problems)


# MARK: OpenTelemetry (Honeycomb's mapping)

KIND_NAMES = {"internal", "server", "client", "producer", "consumer", "unspecified"}
SEVERITY_BUCKETS = [(1, "trace"), (5, "debug"), (9, "info"), (13, "warn"), (17, "error"), (21, "fatal")]


def honeycomb_trace_id(hex_id):
    """husky: a 16-byte id whose first 8 bytes are zero is shortened to its last 16 hex digits."""
    return hex_id[16:] if len(hex_id) == 32 and hex_id[:16] == "0" * 16 else hex_id


def severity_bucket(number):
    bucket = "unspecified"
    for lowest, name in SEVERITY_BUCKETS:
        if number >= lowest:
            bucket = name
    return bucket


def attribute_matches(expected, actual):
    """husky stores string/bool/int/double natively and arrays (and bytes) as JSON strings."""
    if isinstance(expected, list):
        if isinstance(actual, str):
            try:
                actual = json.loads(actual)
            except json.JSONDecodeError:
                return False
        return isinstance(actual, list) and len(actual) == len(expected) and all(
            attribute_matches(a, b) for a, b in zip(expected, actual))
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return expected == actual or (isinstance(expected, float) and math.isclose(expected, actual, rel_tol=1e-12))
    return expected == actual


def compare_fields(label, data, expected_fields, absent_fields, problems):
    for field, value in expected_fields.items():
        if field not in data:
            problems.append(f"{label}: missing {field!r} (expected {json.dumps(value)[:80]})")
        elif not attribute_matches(value, data[field]):
            problems.append(f"{label}: {field!r} is {json.dumps(data[field])[:100]}, expected {json.dumps(value)[:100]}")
    for field in absent_fields:
        if field in data:
            problems.append(f"{label}: {field!r} should be absent, is {json.dumps(data[field])[:80]}")


def compare_time(label, event, expected_ns, problems):
    try:
        actual_ns = rfc3339_nanos(event.get("time", ""))
    except (ValueError, IndexError):
        actual_ns = None
    if actual_ns != expected_ns:
        problems.append(f"{label}: time {event.get('time')!r}, expected {expected_ns} ns")


def merged_attributes(resource, scope, own):
    """Resource, then scope, then the item's own attributes: a later key overwrites an earlier one."""
    merged = dict(resource)
    merged.update((scope or {}).get("attributes") or {})
    merged.update(own)
    return merged


def sample_rate_of(attributes):
    for name in ("sampleRate", "SampleRate"):
        if name in attributes:
            value = attributes[name]
            return max(1, int(round(float(value)))), name
    return 1, None


def check_otel(checks, spool, expectation_paths):
    for path in expectation_paths:
        with open(path, encoding="utf-8") as handle:
            expected = json.load(handle)
        run = expected["run"]
        in_run = [event for event in spool if (event.get("data") or {}).get("sdk.run") == run]
        if expected["spans"]:
            check_spans(checks, run, expected, in_run)
        if expected["logs"]:
            check_logs(checks, run, expected, in_run)
        if expected["metrics"]:
            check_metrics(checks, run, expected, in_run)


def check_spans(checks, run, expected, in_run):
    dataset = expected["service_name"]
    traces = [event for event in in_run if event["data"].get("meta.signal_type") == "trace"]
    spans_by_id, annotations = {}, []
    problems = []
    for event in traces:
        data = event["data"]
        if "meta.annotation_type" in data:
            annotations.append(event)
        elif data.get("trace.span_id") in spans_by_id:
            problems.append(f"span {data.get('trace.span_id')} stored twice")
        else:
            spans_by_id[data.get("trace.span_id")] = event
    wrong_dataset = [f"{event['data'].get('name')!r} in dataset {event.get('dataset')!r}" for event in traces
                     if event.get("dataset") != dataset]
    missing = [f"span {span['name']!r} ({span['span_id']}) not in the spool" for span in expected["spans"]
               if span["span_id"] not in spans_by_id]
    checks.report(f"otel {run} traces: {len(expected['spans'])} spans stored once each, dataset {dataset} "
                  f"(service.name)", problems + missing + wrong_dataset)
    if not spans_by_id:
        return  # the field checks below would pass vacuously

    intrinsic_problems, attribute_problems = [], []
    for span in expected["spans"]:
        event = spans_by_id.get(span["span_id"])
        if event is None:
            continue
        data, label = event["data"], f"span {span['name']!r}"
        fields = {
            "trace.trace_id": honeycomb_trace_id(span["trace_id"]),
            "trace.span_id": span["span_id"],
            "name": span["name"],
            "span.kind": span["kind"],
            "type": span["kind"],
            "meta.signal_type": "trace",
            "status_code": span["status_code"],
            "span.num_events": len(span["events"]),
            "span.num_links": len(span["links"]),
            "library.name": span["scope"]["name"],
        }
        absent = []
        if span["parent_span_id"]:
            fields["trace.parent_id"] = span["parent_span_id"]
        else:
            absent.append("trace.parent_id")
        if span["status_code"] == 2:
            fields["error"] = True
        else:
            absent.append("error")
        if span["status_message"]:
            fields["status_message"] = span["status_message"]
        if span["scope"].get("version"):
            fields["library.version"] = span["scope"]["version"]
        if span["scope"].get("schema_url"):
            fields["scope.schema_url"] = span["scope"]["schema_url"]
        compare_fields(label, data, fields, absent, intrinsic_problems)
        duration_ms = (span["end_ns"] - span["start_ns"]) / 1e6
        actual_duration = data.get("duration_ms")
        if not isinstance(actual_duration, (int, float)) or isinstance(actual_duration, bool) \
                or abs(actual_duration - duration_ms) > DURATION_TOLERANCE_MS:
            intrinsic_problems.append(f"{label}: duration_ms {actual_duration!r}, expected {duration_ms}")
        compare_time(label, event, span["start_ns"], intrinsic_problems)

        attributes = merged_attributes(span["resource"], span["scope"], span["attributes"])
        sample_rate, rate_field = sample_rate_of(attributes)
        if rate_field:
            del attributes[rate_field]
        exception = next((item for item in span["events"] if item["name"] == "exception"), None)
        if exception:  # husky copies the first exception event's exception.* onto the span
            for name in ("exception.message", "exception.type", "exception.stacktrace", "exception.escaped"):
                if name in exception["attributes"] and name not in attributes:
                    attributes[name] = exception["attributes"][name]
        compare_fields(label, data, attributes, [rate_field] if rate_field else [], attribute_problems)
        if event.get("samplerate") != sample_rate:
            attribute_problems.append(f"{label}: samplerate {event.get('samplerate')!r}, expected {sample_rate}")
    checks.report(f"otel {run} traces: ids, parent, name, kind, duration_ms, status, error, library, time",
                  intrinsic_problems)
    checks.report(f"otel {run} traces: resource, scope and span attributes (arrays as JSON), sampleRate",
                  attribute_problems)

    annotation_problems = []
    for span in expected["spans"]:
        parent_error = span["status_code"] == 2
        for index, item in enumerate(span["events"]):
            label = f"span event {item['name']!r} of {span['name']!r}"
            matches = [event for event in annotations
                       if event["data"].get("meta.annotation_type") == "span_event"
                       and event["data"].get("trace.parent_id") == span["span_id"]
                       and event["data"].get("name") == item["name"]]
            if len(matches) != 1:
                annotation_problems.append(f"{label}: {len(matches)} stored, expected 1")
                continue
            fields = {
                "trace.trace_id": honeycomb_trace_id(span["trace_id"]),
                "parent_name": span["name"],
                "meta.signal_type": "trace",
                **merged_attributes(span["resource"], span["scope"], item["attributes"]),
            }
            fields.update({"error": True} if parent_error else {})
            compare_fields(label, matches[0]["data"], fields, [] if parent_error else ["error"], annotation_problems)
            compare_time(label, matches[0], item["time_ns"], annotation_problems)
        for item in span["links"]:
            label = f"link of {span['name']!r}"
            matches = [event for event in annotations
                       if event["data"].get("meta.annotation_type") == "link"
                       and event["data"].get("trace.parent_id") == span["span_id"]
                       and event["data"].get("trace.link.span_id") == item["span_id"]]
            if len(matches) != 1:
                annotation_problems.append(f"{label}: {len(matches)} stored, expected 1")
                continue
            fields = {
                "trace.trace_id": honeycomb_trace_id(span["trace_id"]),
                "trace.link.trace_id": honeycomb_trace_id(item["trace_id"]),
                "parent_name": span["name"],
                "meta.signal_type": "trace",
                **merged_attributes(span["resource"], span["scope"], item["attributes"]),
            }
            compare_fields(label, matches[0]["data"], fields, [], annotation_problems)
            compare_time(label, matches[0], span["start_ns"], annotation_problems)
    expected_count = sum(len(span["events"]) + len(span["links"]) for span in expected["spans"])
    if len(annotations) != expected_count:
        annotation_problems.append(f"{len(annotations)} span-event/link events stored, expected {expected_count}")
    checks.report(f"otel {run} traces: {expected_count} span events and links as their own events", annotation_problems)


def check_logs(checks, run, expected, in_run):
    dataset = expected["service_name"]
    logs = [event for event in in_run if event["data"].get("meta.signal_type") == "log"]
    by_id = {}
    problems = []
    for event in logs:
        log_id = event["data"].get("sdk.log_id")
        if log_id in by_id:
            problems.append(f"log {log_id} stored twice")
        by_id[log_id] = event
        if event.get("dataset") != dataset:
            problems.append(f"log {log_id} in dataset {event.get('dataset')!r}, expected {dataset}")
    missing = [f"log {record['attributes'].get('sdk.log_id')} not in the spool" for record in expected["logs"]
               if record["attributes"].get("sdk.log_id") not in by_id]
    checks.report(f"otel {run} logs: {len(expected['logs'])} records stored once each, dataset {dataset}",
                  problems + missing)
    if not by_id:
        return  # the field checks below would pass vacuously

    field_problems = []
    for record in expected["logs"]:
        log_id = record["attributes"].get("sdk.log_id")
        event = by_id.get(log_id)
        if event is None:
            continue
        label = f"log {log_id}"
        fields = {
            "severity": severity_bucket(record["severity_number"]),
            "severity_code": record["severity_number"],
            "meta.signal_type": "log",
            **merged_attributes(record["resource"], record["scope"], record["attributes"]),
        }
        absent = []
        if isinstance(record["body"], (str, int, float, bool)):
            fields["body"] = record["body"]
        if record["severity_text"]:
            fields["severity_text"] = record["severity_text"]
        if record.get("trace_id"):
            fields["trace.trace_id"] = honeycomb_trace_id(record["trace_id"])
            fields["trace.parent_id"] = record["span_id"]
            fields["meta.annotation_type"] = "span_event"
        else:
            absent += ["trace.trace_id", "trace.parent_id"]
        compare_fields(label, event["data"], fields, absent, field_problems)
        compare_time(label, event, record["time_ns"], field_problems)
    checks.report(f"otel {run} logs: body, severity, severity_code/text, trace ids, attributes, time", field_problems)


def check_metrics(checks, run, expected, in_run):
    """Kelpie keeps one event per data point (docs/otlp.md): `metric.name`, `metric.type`, the value under the
    metric's name (sum, gauge) or `<name>.count|.sum|.min|.max` (histogram), time truncated to the second."""
    dataset = expected["metrics_dataset"]
    metrics = [event for event in in_run if event["data"].get("meta.signal_type") == "metric"]
    points = [(metric, point) for metric in expected["metrics"] for point in metric["points"]]
    problems = [f"metric {event['data'].get('metric.name')!r} in dataset {event.get('dataset')!r}"
                for event in metrics if event.get("dataset") != dataset]
    if len(metrics) != len(points):
        problems.append(f"{len(metrics)} metric events stored, expected {len(points)} (one per exported data point)")
    checks.report(f"otel {run} metrics: {len(points)} data points, one event each, dataset {dataset} "
                  f"(x-honeycomb-dataset)", problems)
    if not metrics:
        return  # the field checks below would pass vacuously

    problems = []
    unmatched = list(metrics)
    for metric, point in points:
        name = metric["name"]
        label = f"{name} {json.dumps(point['attributes'], sort_keys=True)}"
        wanted = {
            "metric.name": name,
            "metric.type": metric["type"],
            **merged_attributes(metric["resource"], metric["scope"], point["attributes"]),
        }
        if metric["unit"]:
            wanted["metric.unit"] = metric["unit"]
        if metric["type"] == "histogram":
            for part in ("count", "sum", "min", "max"):
                wanted[f"{name}.{part}"] = point[part]
        else:
            wanted[name] = point["value"]
        second_ns = point["time_ns"] - point["time_ns"] % 10**9

        def matches(event):
            return all(key in event["data"] and attribute_matches(value, event["data"][key])
                       for key, value in wanted.items())
        candidate = next((event for event in unmatched if matches(event) and _time_is(event, second_ns)), None)
        if candidate is None:
            own = {key: value for key, value in wanted.items() if key not in metric["resource"]}
            near = [{key: value for key, value in event["data"].items() if key not in metric["resource"]} | {"time": event.get("time")}
                    for event in metrics if event["data"].get("metric.name") == name]
            problems.append(f"{label}: no event with {json.dumps(own)[:240]} at second {second_ns // 10**9} "
                            f"(+ resource attributes); stored for it: {json.dumps(near[:1])[:300]}")
        else:
            unmatched.remove(candidate)
    checks.report(f"otel {run} metrics: name, type, unit, value(s), attributes and time of every data point", problems)


def _time_is(event, expected_ns):
    try:
        return rfc3339_nanos(event.get("time", "")) == expected_ns
    except (ValueError, IndexError):
        return False


def main():
    if len(sys.argv) < 4 or sys.argv[2] not in ("libhoney", "otel"):
        print(__doc__, file=sys.stderr)
        return 2
    checks = Checks()
    spool = load_spool(sys.argv[1])
    if sys.argv[2] == "libhoney":
        check_libhoney(checks, spool, sys.argv[3:])
    else:
        check_otel(checks, spool, sys.argv[3:])
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
