#!/usr/bin/env python3
"""Derives NAME.expected.jsonl for each OTLP fixture from NAME.decoded.json (the capture server's
decoding), by the mapping rules in docs/otlp.md. This is an independent oracle for the Swift decoder:
it never runs Kelpie. Each line: {"dataset", "time" (RFC 3339, 9 digits), "samplerate", "data"}.

Run from this directory:  python3 derive-expected.py
"""
import base64, json, sys

RECEIVE_TIME_NANOS = 1_800_000_000 * 10**9  # the tests' receive time (after every fixture time)
MAX_FUTURE_SKEW = 3600 * 10**9
KEY_IS_CLASSIC = False                       # the fixtures' key hcaik_… is an environment key
DATASET_HEADER = None                        # no x-honeycomb-dataset in the captures
MAX_DEPTH = 5
INSTRUMENTATION_PREFIXES = ["io.opentelemetry", "opentelemetry.instrumentation", "OpenTelemetry.Instrumentation",
    "OpenTelemetry::Instrumentation", "go.opentelemetry.io/contrib/instrumentation", "@opentelemetry/instrumentation",
    "io.opentelemetry.contrib.php", "github.com/open-telemetry/opentelemetry-collector", "@honeycombio/"]


class Fields:
    """A flat event: the first writer of a key wins."""
    def __init__(self):
        self.d = {}
    def put(self, key, value):
        if key not in self.d:
            self.d[key] = value
    def merge(self, other):
        for k, v in other.d.items():
            self.put(k, v)


def go_float(f):
    """Go encoding/json float64 text."""
    r = repr(float(f))
    neg = r.startswith('-')
    if neg: r = r[1:]
    mant, _, exp = r.partition('e')
    exp = int(exp) if exp else 0
    ip, _, fp = mant.partition('.')
    digits = (ip + fp).lstrip('0')
    point = len(ip) + exp - (len(ip + fp) - len((ip + fp).lstrip('0')))
    digits = digits.rstrip('0')
    if not digits:
        return '-0' if neg else '0'
    e10 = point - 1
    if e10 < -6 or e10 >= 21:
        s = digits[0] + ('.' + digits[1:] if len(digits) > 1 else '') + 'e' + ('-' if e10 < 0 else '+')
        s += str(abs(e10)) if e10 < 0 else '%02d' % e10
    elif point <= 0:
        s = '0.' + '0' * (-point) + digits
    elif point >= len(digits):
        s = digits + '0' * (point - len(digits))
    else:
        s = digits[:point] + '.' + digits[point:]
    return ('-' if neg else '') + s


def go_json(v):
    """The Go JSON text of an AnyValue, as husky stringifies arrays, bytes and deep kvlists."""
    if v is None or not v:
        return 'null'
    (kind, x), = v.items()
    if kind == 'stringValue': return json.dumps(x, ensure_ascii=False)
    if kind == 'boolValue': return 'true' if x else 'false'
    if kind == 'intValue': return str(int(x))
    if kind == 'doubleValue': return go_float(x)
    if kind == 'bytesValue': return json.dumps(x)  # already base64
    if kind == 'arrayValue':
        items = [go_json(e) for e in x.get('values', []) if e]
        return '[' + ','.join(items) + ']' if items else 'null'
    if kind == 'kvlistValue':
        m = {}
        for kv in x.get('values', []):
            if kv.get('key') and 'value' in kv:
                m[kv['key']] = kv['value']
        return '{' + ','.join(json.dumps(k, ensure_ascii=False) + ':' + go_json(m[k]) for k in sorted(m, key=lambda s: s.encode())) + '}'
    raise ValueError(kind)


def sample_rate_of(v):
    (kind, x), = v.items()
    if kind == 'intValue':
        n = int(x)
        return 2**31 - 1 if n >= 2**31 - 1 else max(n, 1)
    if kind in ('doubleValue', 'stringValue'):
        try: f = float(x)
        except ValueError: return 1
        if f != f: return 1
        if f >= 2**31 - 1: return 2**31 - 1
        return max(int(f + 0.5), 1)
    return None


def add_value(fields, key, v, depth):
    if not v: return
    (kind, x), = v.items()
    if kind in ('stringValue', 'boolValue', 'doubleValue'):
        fields.put(key, x)
    elif kind == 'intValue':
        fields.put(key, int(x))
    elif kind in ('arrayValue', 'bytesValue'):
        fields.put(key, go_json(v) + '\n')
    elif kind == 'kvlistValue':
        if depth >= MAX_DEPTH:
            fields.put(key, go_json(v) + '\n')
        else:
            for kv in x.get('values', []):
                if kv.get('key') and kv.get('value'):
                    add_value(fields, key + '.' + kv['key'], kv['value'], depth + 1)


def add_attributes(fields, attributes, takes_rate=True):
    """Returns the captured sample rate ('sampleRate' preferred over 'SampleRate'); those keys are removed."""
    rates = {}
    for kv in attributes or []:
        key, v = kv.get('key', ''), kv.get('value')
        if not key or not v: continue
        if takes_rate and key in ('sampleRate', 'SampleRate'):
            r = sample_rate_of(v)
            if r is not None:
                if key == 'sampleRate' or key not in rates: rates[key] = r
                continue
        add_value(fields, key, v, 0)
    return rates.get('sampleRate', rates.get('SampleRate'))


def usable_service_name(fields):
    name = fields.d.get('service.name')
    if not isinstance(name, str): return None
    name = name.strip()
    return None if not name or name.startswith('unknown_service') else name


def event_time(nanos):
    nanos = int(nanos or 0)
    if nanos == 0 or nanos > RECEIVE_TIME_NANOS + MAX_FUTURE_SKEW: return RECEIVE_TIME_NANOS
    return nanos


def trace_id(h):
    return h[16:] if len(h) == 32 and h[:16] == '0' * 16 else h


def resource_fields(r, takes_rate=True):
    f = Fields()
    rate = add_attributes(f, r.get('resource', {}).get('attributes'), takes_rate)
    if r.get('schemaUrl'): f.put('resource.schema_url', r['schemaUrl'])
    return f, rate


def scope_fields(s, takes_rate=True):
    f = Fields()
    scope = s.get('scope', {})
    if scope.get('name'):
        f.put('library.name', scope['name'])
        if any(scope['name'].startswith(p) for p in INSTRUMENTATION_PREFIXES):
            f.put('telemetry.instrumentation_library', True)
    if scope.get('version'): f.put('library.version', scope['version'])
    rate = add_attributes(f, scope.get('attributes'), takes_rate)
    if s.get('schemaUrl'): f.put('scope.schema_url', s['schemaUrl'])
    return f, rate


KINDS = {1: 'internal', 2: 'server', 3: 'client', 4: 'producer', 5: 'consumer'}


def traces(req):
    out = []
    for rs in req.get('resourceSpans', []):
        res, res_rate = resource_fields(rs)
        dataset = DATASET_HEADER if KEY_IS_CLASSIC else (usable_service_name(res) or 'unknown_service')
        for ss in rs.get('scopeSpans', []):
            scope, scope_rate = scope_fields(ss)
            for span in ss.get('spans', []):
                f = Fields()
                rate = add_attributes(f, span.get('attributes'))
                status = span.get('status', {})
                code = status.get('code', 0)
                start, end = int(span.get('startTimeUnixNano', 0)), int(span.get('endTimeUnixNano', 0))
                f.put('trace.trace_id', trace_id(span.get('traceId', '')))
                if span.get('parentSpanId'): f.put('trace.parent_id', span['parentSpanId'])
                f.put('meta.signal_type', 'trace')
                if code == 2: f.put('error', True)
                f.put('name', span.get('name', ''))
                f.put('trace.span_id', span.get('spanId', ''))
                if span.get('traceState'): f.put('trace.trace_state', span['traceState'])
                f.put('status_code', code)
                if status.get('message'): f.put('status_message', status['message'])
                f.put('span.num_events', len(span.get('events', [])))
                f.put('span.num_links', len(span.get('links', [])))
                kind = KINDS.get(span.get('kind', 0), 'unspecified')
                f.put('span.kind', kind); f.put('type', kind)
                duration = 0.0
                if start and end:
                    if end >= start: duration = (end - start) / 1e6
                    else: f.put('meta.invalid_duration', True)
                f.put('duration_ms', duration)
                f.merge(scope); f.merge(res)
                for ev in span.get('events', []):
                    if ev.get('name') == 'exception':
                        for kv in ev.get('attributes', []):
                            v = kv.get('value', {})
                            if kv['key'] in ('exception.message', 'exception.type', 'exception.stacktrace') and 'stringValue' in v:
                                f.put(kv['key'], v['stringValue'])
                            if kv['key'] == 'exception.escaped' and 'boolValue' in v:
                                f.put(kv['key'], v['boolValue'])
                        break
                rate = rate or scope_rate or res_rate or 1
                span_time = event_time(start)

                def common(e, annotation):
                    e.put('trace.trace_id', trace_id(span.get('traceId', '')))
                    if span.get('spanId'): e.put('trace.parent_id', span['spanId'])
                    if span.get('name'): e.put('parent_name', span['name'])
                    e.put('meta.annotation_type', annotation)
                    e.put('meta.signal_type', 'trace')
                    if code == 2: e.put('error', True)

                for ev in span.get('events', []):
                    e = Fields()
                    add_attributes(e, ev.get('attributes'))
                    common(e, 'span_event')
                    e.put('name', ev.get('name', ''))
                    t = int(ev.get('timeUnixNano', 0))
                    since = 0.0
                    if t and start:
                        if t >= start: since = (t - start) / 1e6
                        else: e.put('meta.invalid_time_since_span_start', True)
                    e.put('meta.time_since_span_start_ms', since)
                    e.merge(scope); e.merge(res)
                    out.append((dataset, event_time(t), rate, e.d))
                for link in span.get('links', []):
                    e = Fields()
                    add_attributes(e, link.get('attributes'))
                    common(e, 'link')
                    if link.get('traceId'): e.put('trace.link.trace_id', trace_id(link['traceId']))
                    if link.get('spanId'): e.put('trace.link.span_id', link['spanId'])
                    e.merge(scope); e.merge(res)
                    out.append((dataset, span_time, rate, e.d))
                out.append((dataset, span_time, rate, f.d))
    return out


def severity(n):
    for low, name in ((1, 'trace'), (5, 'debug'), (9, 'info'), (13, 'warn'), (17, 'error'), (21, 'fatal')):
        if low <= n <= low + 3: return name
    return 'unspecified'


def logs(req):
    out = []
    for rl in req.get('resourceLogs', []):
        res, res_rate = resource_fields(rl)
        name = usable_service_name(res)
        header = (DATASET_HEADER or '').strip()
        dataset = name or (DATASET_HEADER if header else 'unknown_log_source')
        for sl in rl.get('scopeLogs', []):
            scope, scope_rate = scope_fields(sl)
            for rec in sl.get('logRecords', []):
                f = Fields()
                rate = add_attributes(f, rec.get('attributes'))
                f.merge(scope); f.merge(res)
                n = rec.get('severityNumber', 0)
                f.put('severity', severity(n)); f.put('severity_code', n)
                f.put('meta.signal_type', 'log'); f.put('flags', rec.get('flags', 0))
                if rec.get('traceId'):
                    f.put('trace.trace_id', trace_id(rec['traceId'])); f.put('meta.annotation_type', 'span_event')
                if rec.get('spanId'): f.put('trace.parent_id', rec['spanId'])
                if rec.get('severityText'): f.put('severity_text', rec['severityText'])
                if rec.get('eventName'): f.put('event.name', rec['eventName'])
                if 'body' in rec:
                    body = rec['body']
                    add_value(f, 'body', body, 0)
                    if not body or 'kvlistValue' in body:
                        f.put('body', go_json(body) + '\n')
                t = int(rec.get('timeUnixNano', 0)) or int(rec.get('observedTimeUnixNano', 0))
                out.append((dataset, event_time(t), rate or scope_rate or res_rate or 1, f.d))
    return out


def metrics(req):
    out = []
    for rm in req.get('resourceMetrics', []):
        res, _ = resource_fields(rm, takes_rate=False)
        header = (DATASET_HEADER or '').strip()
        dataset = DATASET_HEADER if header else 'unknown_metrics'
        for sm in rm.get('scopeMetrics', []):
            scope, _ = scope_fields(sm, takes_rate=False)
            for m in sm.get('metrics', []):
                kind = next((k for k in ('gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary') if k in m), None)
                if kind is None: continue
                data = m[kind]
                for dp in data.get('dataPoints', []):
                    f = Fields()
                    add_attributes(f, dp.get('attributes'), takes_rate=False)
                    f.put('meta.signal_type', 'metric')
                    f.put('metric.name', m.get('name', ''))
                    if m.get('description'): f.put('metric.description', m['description'])
                    if m.get('unit'): f.put('metric.unit', m['unit'])
                    f.put('metric.type', {'exponentialHistogram': 'exponential_histogram'}.get(kind, kind))
                    if kind in ('sum', 'histogram', 'exponentialHistogram'):
                        f.put('metric.temporality', {1: 'delta', 2: 'cumulative'}.get(data.get('aggregationTemporality', 0), 'unspecified'))
                    if kind == 'sum': f.put('metric.is_monotonic', bool(data.get('isMonotonic', False)))
                    flags = dp.get('flags', 0)
                    if flags: f.put('metric.flags', flags)
                    name = m.get('name', '')
                    if not flags & 1:
                        if kind in ('gauge', 'sum'):
                            if 'asInt' in dp: f.put(name, int(dp['asInt']))
                            elif 'asDouble' in dp: f.put(name, dp['asDouble'])
                        else:
                            if 'count' in dp: f.put(name + '.count', int(dp['count']))
                            for k in ('sum', 'min', 'max'):
                                if k in dp: f.put(name + '.' + k, dp[k])
                            if kind == 'histogram':
                                f.put(name + '.bucket_counts', '[' + ','.join(str(int(c)) for c in dp.get('bucketCounts', [])) + ']')
                                f.put(name + '.explicit_bounds', '[' + ','.join(go_float(b) for b in dp.get('explicitBounds', [])) + ']')
                            elif kind == 'summary':
                                for q in dp.get('quantileValues', []):
                                    f.put(name + '.quantile_' + go_float(q.get('quantile', 0)), q.get('value', 0.0))
                    f.merge(scope); f.merge(res)
                    t = event_time(int(dp.get('timeUnixNano', 0)))
                    out.append((dataset, t - t % 10**9, 1, f.d))
    return out


def rfc3339(nanos):
    import datetime
    s, ns = divmod(nanos, 10**9)
    return datetime.datetime.fromtimestamp(s, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S') + '.%09dZ' % ns


def main():
    names = sys.argv[1:] or ['otel-py-traces-protobuf', 'otel-py-traces-protobuf-gzip', 'otel-py-traces-json-synthetic',
                             'otel-py-logs-protobuf', 'otel-py-logs-json-synthetic',
                             'otel-py-metrics-protobuf', 'otel-py-metrics-json-synthetic']
    for name in names:
        doc = json.load(open(name + '.decoded.json'))
        req = doc['decoded']
        mapper = traces if '-traces-' in name else logs if '-logs-' in name else metrics
        with open(name + '.expected.jsonl', 'w') as out:
            for dataset, time, rate, data in mapper(req):
                out.write(json.dumps({'dataset': dataset, 'time': rfc3339(time), 'samplerate': rate, 'data': data},
                                     ensure_ascii=False) + '\n')


main()
