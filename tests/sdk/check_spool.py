"""Checks kelpie's spool (`kelpie spool cat` JSON lines) against what the SDK senders recorded.

Usage: check_spool.py SPOOL.jsonl libhoney EXPECTED.json [EXPECTED.json ...]
       check_spool.py SPOOL.jsonl otel EXPECTED.json [EXPECTED.json ...]
       check_spool.py SPOOL.jsonl same-events A.json B.json [C.json D.json ...]

Prints one line per check, "ok   - ..." or "FAIL - ..." followed by at most a few indented details.
libhoney: every event once, by its unique id field, with data JSON-equal to what libhoney serialised
(types strict: a bool is not an int, an int is not a float), its time and sample rate.
otel: Honeycomb's (husky's) mapping of OTLP to flat events as docs/otlp.md describes it, computed from
the SDK objects the exporters were handed: spans, span events, links, log records and metric points.
same-events: the events of run B equal those of run A (pairwise: the OTLP/HTTP and the OTLP/gRPC run of
the same telemetry), once what differs between two runs by nature is set aside: the run name, trace and
span ids, times and durations, and `service.instance.id` (random per SDK process).
"""

import json
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


# MARK: OpenTelemetry (Honeycomb's mapping as docs/otlp.md describes it)

SEVERITY_BUCKETS = [(1, "trace"), (5, "debug"), (9, "info"), (13, "warn"), (17, "error"), (21, "fatal"), (25, "unspecified")]
PROMOTED_EXCEPTION_STRINGS = ("exception.message", "exception.type", "exception.stacktrace")


def honeycomb_trace_id(hex_id):
    """A 16-byte id whose first 8 bytes are zero is shortened to its last 16 hex digits (husky)."""
    return hex_id[16:] if len(hex_id) == 32 and hex_id[:16] == "0" * 16 else hex_id


def severity_bucket(number):
    bucket = "unspecified"
    for lowest, name in SEVERITY_BUCKETS:
        if number >= lowest:
            bucket = name
    return bucket


def go_number(value):
    """A float64 as Go's encoding/json writes it: shortest digits, positional between 1e-6 and 1e21."""
    if isinstance(value, bool) or not isinstance(value, float):
        return json.dumps(value)
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    if 1e-6 <= abs(value) < 1e21:
        from decimal import Decimal
        return format(Decimal(repr(value)), "f")
    mantissa, exponent = repr(value).split("e")
    return f"{mantissa}e{exponent[0]}{exponent[1:].lstrip('0')}"


def go_json(value):
    """Go encoding/json text of an SDK attribute value (arrays of scalars here)."""
    if isinstance(value, list):
        return "[" + ",".join(go_json(item) for item in value) + "]"
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") \
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return go_number(value)


def stored_attributes(mapping):
    """Attributes as Kelpie stores them: scalars natively, arrays as Go JSON text plus a newline."""
    return {key: (go_json(value) + "\n" if isinstance(value, list) else value) for key, value in mapping.items()}


def scope_fields(scope):
    fields = {}
    if scope.get("name"):
        fields["library.name"] = scope["name"]
    if scope.get("version"):
        fields["library.version"] = scope["version"]
    fields.update(stored_attributes(scope.get("attributes") or {}))
    if scope.get("schema_url"):
        fields["scope.schema_url"] = scope["schema_url"]
    return fields


def resource_fields(resource, schema_url=""):
    fields = stored_attributes(resource)
    if schema_url:
        fields["resource.schema_url"] = schema_url
    return fields


def compare_event(label, data, expected_fields, problems, approximate=None):
    """Exactly the expected fields, each strictly equal (bool, int, float and string kept apart); fields in
    `approximate` are numbers compared within a tolerance."""
    approximate = approximate or {}
    for field, value in expected_fields.items():
        if field not in data:
            problems.append(f"{label}: missing {field!r} (expected {json.dumps(value)[:80]})")
        elif not strict_equal(value, data[field]):
            problems.append(f"{label}: {field!r} is {json.dumps(data[field])[:100]}, expected {json.dumps(value)[:100]}")
    for field, value in approximate.items():
        actual = data.get(field)
        if not isinstance(actual, float) or abs(actual - value) > DURATION_TOLERANCE_MS:
            problems.append(f"{label}: {field!r} is {json.dumps(actual)}, expected {value} (a double)")
    extra = sorted(set(data) - set(expected_fields) - set(approximate))
    if extra:
        problems.append(f"{label}: unexpected fields {extra[:8]}")


def compare_time(label, event, expected_ns, problems):
    if not _time_is(event, expected_ns):
        problems.append(f"{label}: time {event.get('time')!r}, expected {expected_ns} ns")


def _time_is(event, expected_ns):
    try:
        return rfc3339_nanos(event.get("time", "")) == expected_ns
    except (ValueError, IndexError):
        return False


def take_sample_rate(attributes):
    """Removes `sampleRate`/`SampleRate` (string, int or double) and returns the rate it sets, else None."""
    rate = None
    for name in ("sampleRate", "SampleRate"):
        value = attributes.get(name)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            del attributes[name]
            if rate is None:
                try:
                    rate = min(max(1, int(round(float(value)))), 2**31 - 1)
                except ValueError:
                    rate = 1
    return rate


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


def span_sample_rate(span):
    for source in (span["attributes"], span["scope"].get("attributes") or {}, span["resource"]):
        rate = take_sample_rate(dict(source))
        if rate is not None:
            return rate
    return 1


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
    problems += [f"{event['data'].get('name')!r} in dataset {event.get('dataset')!r}" for event in traces
                 if event.get("dataset") != dataset]
    problems += [f"span {span['name']!r} ({span['span_id']}) not in the spool" for span in expected["spans"]
                 if span["span_id"] not in spans_by_id]
    checks.report(f"{run} traces: {len(expected['spans'])} spans, each once, in dataset {dataset} (service.name)", problems)
    if not spans_by_id:
        return  # the field checks below would pass vacuously

    span_problems = []
    for span in expected["spans"]:
        event = spans_by_id.get(span["span_id"])
        if event is None:
            continue
        label = f"span {span['name']!r}"
        own = dict(span["attributes"])
        take_sample_rate(own)
        fields = {}
        exception = next((item for item in span["events"] if item["name"] == "exception"), None)
        if exception:  # lowest precedence: string exception.* and a boolean exception.escaped
            for name, value in exception["attributes"].items():
                if (name in PROMOTED_EXCEPTION_STRINGS and isinstance(value, str)) or \
                        (name == "exception.escaped" and isinstance(value, bool)):
                    fields[name] = value
        fields.update(resource_fields(span["resource"], span["resource_schema_url"]))
        fields.update(scope_fields(span["scope"]))
        fields.update({
            "trace.trace_id": honeycomb_trace_id(span["trace_id"]),
            "meta.signal_type": "trace",
            "name": span["name"],
            "trace.span_id": span["span_id"],
            "status_code": span["status_code"],
            "span.num_events": len(span["events"]),
            "span.num_links": len(span["links"]),
            "span.kind": span["kind"],
            "type": span["kind"],
        })
        if span["parent_span_id"]:
            fields["trace.parent_id"] = span["parent_span_id"]
        if span["status_code"] == 2:
            fields["error"] = True
        if span["status_message"]:
            fields["status_message"] = span["status_message"]
        if span["trace_state"]:
            fields["trace.trace_state"] = span["trace_state"]
        fields.update(stored_attributes(own))
        compare_event(label, event["data"], fields, span_problems,
                      approximate={"duration_ms": (span["end_ns"] - span["start_ns"]) / 1e6})
        compare_time(label, event, span["start_ns"], span_problems)
        if event.get("samplerate") != span_sample_rate(span):
            span_problems.append(f"{label}: samplerate {event.get('samplerate')!r}, expected {span_sample_rate(span)}")
    checks.report(f"{run} traces: every span's fields, time and sample rate as docs/otlp.md says", span_problems)

    annotation_problems = []
    for span in expected["spans"]:
        common = {
            **resource_fields(span["resource"], span["resource_schema_url"]),
            **scope_fields(span["scope"]),
            "trace.trace_id": honeycomb_trace_id(span["trace_id"]),
            "trace.parent_id": span["span_id"],
            "parent_name": span["name"],
            "meta.signal_type": "trace",
            **({"error": True} if span["status_code"] == 2 else {}),
        }
        for item in span["events"]:
            label = f"span event {item['name']!r} of {span['name']!r}"
            matches = [event for event in annotations
                       if event["data"].get("meta.annotation_type") == "span_event"
                       and event["data"].get("trace.parent_id") == span["span_id"]
                       and event["data"].get("name") == item["name"]]
            if len(matches) != 1:
                annotation_problems.append(f"{label}: {len(matches)} stored, expected 1")
                continue
            fields = {**common, "meta.annotation_type": "span_event", "name": item["name"],
                      **stored_attributes(item["attributes"])}
            compare_event(label, matches[0]["data"], fields, annotation_problems,
                          approximate={"meta.time_since_span_start_ms": (item["time_ns"] - span["start_ns"]) / 1e6})
            compare_time(label, matches[0], item["time_ns"], annotation_problems)
            if matches[0].get("samplerate") != span_sample_rate(span):
                annotation_problems.append(f"{label}: samplerate {matches[0].get('samplerate')!r}")
        for item in span["links"]:
            label = f"link of {span['name']!r}"
            matches = [event for event in annotations
                       if event["data"].get("meta.annotation_type") == "link"
                       and event["data"].get("trace.parent_id") == span["span_id"]
                       and event["data"].get("trace.link.span_id") == item["span_id"]]
            if len(matches) != 1:
                annotation_problems.append(f"{label}: {len(matches)} stored, expected 1")
                continue
            fields = {**common, "meta.annotation_type": "link",
                      "trace.link.trace_id": honeycomb_trace_id(item["trace_id"]),
                      "trace.link.span_id": item["span_id"], **stored_attributes(item["attributes"])}
            compare_event(label, matches[0]["data"], fields, annotation_problems)
            compare_time(label, matches[0], span["start_ns"], annotation_problems)
    expected_count = sum(len(span["events"]) + len(span["links"]) for span in expected["spans"])
    if len(annotations) != expected_count:
        annotation_problems.append(f"{len(annotations)} span-event/link events stored, expected {expected_count}")
    checks.report(f"{run} traces: {expected_count} span events and links as events, fields and time",
                  annotation_problems)


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
    problems += [f"log {record['attributes'].get('sdk.log_id')} not in the spool" for record in expected["logs"]
                 if record["attributes"].get("sdk.log_id") not in by_id]
    checks.report(f"{run} logs: {len(expected['logs'])} records, each once, in dataset {dataset}", problems)
    if not by_id:
        return  # the field checks below would pass vacuously

    field_problems = []
    for record in expected["logs"]:
        log_id = record["attributes"].get("sdk.log_id")
        event = by_id.get(log_id)
        if event is None:
            continue
        label = f"log {log_id}"
        fields = {  # lowest precedence first: the record's own fields, resource, scope, attributes
            "severity": severity_bucket(record["severity_number"]),
            "severity_code": record["severity_number"],
            "meta.signal_type": "log",
            "flags": record["flags"],
        }
        if record.get("trace_id"):
            fields["trace.trace_id"] = honeycomb_trace_id(record["trace_id"])
            fields["meta.annotation_type"] = "span_event"
            fields["trace.parent_id"] = record["span_id"]
        if record["severity_text"]:
            fields["severity_text"] = record["severity_text"]
        if record["event_name"]:
            fields["event.name"] = record["event_name"]
        if isinstance(record["body"], (str, int, float, bool)):
            fields["body"] = record["body"]
        fields.update(resource_fields(record["resource"]))
        fields.update(scope_fields(record["scope"]))
        own = dict(record["attributes"])
        rate = take_sample_rate(own) or 1
        fields.update(stored_attributes(own))
        compare_event(label, event["data"], fields, field_problems)
        compare_time(label, event, record["time_ns"], field_problems)
        if event.get("samplerate") != rate:
            field_problems.append(f"{label}: samplerate {event.get('samplerate')!r}, expected {rate}")
    checks.report(f"{run} logs: every record's fields and time as docs/otlp.md says", field_problems)


def check_metrics(checks, run, expected, in_run):
    """One event per data point: the point's attributes over `metric.*` fields over the value fields
    (`<name>`, or `<name>.count|.sum|.min|.max|.bucket_counts|.explicit_bounds`) over scope and resource;
    time truncated to the second; sample rate 1."""
    dataset = expected["metrics_dataset"]
    metrics = [event for event in in_run if event["data"].get("meta.signal_type") == "metric"]
    points = [(metric, point) for metric in expected["metrics"] for point in metric["points"]]
    problems = [f"metric {event['data'].get('metric.name')!r} in dataset {event.get('dataset')!r}"
                for event in metrics if event.get("dataset") != dataset]
    if len(metrics) != len(points):
        problems.append(f"{len(metrics)} metric events stored, expected {len(points)} (one per exported data point)")
    checks.report(f"{run} metrics: {len(points)} data points, one event each, in dataset {dataset}", problems)
    if not metrics:
        return  # the field checks below would pass vacuously

    problems = []
    unmatched = list(metrics)
    for metric, point in points:
        name = metric["name"]
        label = f"{name} {json.dumps(point['attributes'], sort_keys=True)}"
        fields = {**resource_fields(metric["resource"]), **scope_fields(metric["scope"])}
        if metric["type"] == "histogram":
            fields.update({f"{name}.count": point["count"], f"{name}.sum": point["sum"],
                           f"{name}.min": point["min"], f"{name}.max": point["max"],
                           f"{name}.bucket_counts": go_json(point["bucket_counts"]),
                           f"{name}.explicit_bounds": go_json([float(bound) for bound in point["explicit_bounds"]])})
        else:
            fields[name] = point["value"]
        fields.update({"meta.signal_type": "metric", "metric.name": name, "metric.type": metric["type"]})
        if metric["description"]:
            fields["metric.description"] = metric["description"]
        if metric["unit"]:
            fields["metric.unit"] = metric["unit"]
        if metric["type"] in ("sum", "histogram"):
            fields["metric.temporality"] = metric["temporality"] or "unspecified"
        if metric["type"] == "sum":
            fields["metric.is_monotonic"] = bool(metric["monotonic"])
        fields.update(stored_attributes(point["attributes"]))
        second_ns = point["time_ns"] - point["time_ns"] % 10**9
        candidates = [event for event in unmatched
                      if event["data"].get("metric.name") == name and all(
                          strict_equal(value, event["data"].get(key)) for key, value in stored_attributes(point["attributes"]).items())
                      and _time_is(event, second_ns)]
        if not candidates:
            problems.append(f"{label}: no event for this point at second {second_ns // 10**9}")
            continue
        unmatched.remove(candidates[0])
        compare_event(label, candidates[0]["data"], fields, problems)
        if candidates[0].get("samplerate") != 1:
            problems.append(f"{label}: samplerate {candidates[0].get('samplerate')!r}, expected 1")
    checks.report(f"{run} metrics: every point's fields and time (to the second) as docs/otlp.md says", problems)


# MARK: two runs of the same telemetry

RUN_VARYING_FIELDS = {
    "sdk.run", "trace.trace_id", "trace.span_id", "trace.parent_id", "trace.link.trace_id", "trace.link.span_id",
    "duration_ms", "meta.time_since_span_start_ms", "service.instance.id",
}


def comparable(event, run):
    """The event with what legitimately differs between two runs removed; the run's name (in log ids and
    logger names) reads RUN."""
    data = {key: value for key, value in event["data"].items() if key not in RUN_VARYING_FIELDS}
    text = json.dumps({"dataset": event.get("dataset"), "samplerate": event.get("samplerate"), "data": data},
                      sort_keys=True, ensure_ascii=False)
    return text.replace(run, "RUN")


def check_same_events(checks, spool, expectation_paths):
    if len(expectation_paths) % 2:
        checks.report("same-events takes pairs of runs", ["odd number of files"])
        return
    for first_path, second_path in zip(expectation_paths[::2], expectation_paths[1::2]):
        runs = []
        for path in (first_path, second_path):
            with open(path, encoding="utf-8") as handle:
                runs.append(json.load(handle)["run"])
        events = [sorted(comparable(event, run) for event in spool if (event.get("data") or {}).get("sdk.run") == run)
                  for run in runs]
        problems = []
        if not events[0]:
            problems.append(f"run {runs[0]} stored nothing")
        for name, only in ((runs[0], set(events[0]) - set(events[1])), (runs[1], set(events[1]) - set(events[0]))):
            problems += [f"only in {name}: {text[:300]}" for text in sorted(only)]
        if not problems and events[0] != events[1]:
            problems.append("the same events, but not equally often")
        checks.report(f"{runs[1]} stored the same {len(events[0])} events as {runs[0]}", problems)


def main():
    if len(sys.argv) < 4 or sys.argv[2] not in ("libhoney", "otel", "same-events"):
        print(__doc__, file=sys.stderr)
        return 2
    checks = Checks()
    spool = load_spool(sys.argv[1])
    if sys.argv[2] == "libhoney":
        check_libhoney(checks, spool, sys.argv[3:])
    elif sys.argv[2] == "same-events":
        check_same_events(checks, spool, sys.argv[3:])
    else:
        check_otel(checks, spool, sys.argv[3:])
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
