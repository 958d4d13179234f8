"""Checks kelpie's OTLP/gRPC status mapping with a raw grpcio client (no exporter in between).

Usage: grpc_status.py --target 127.0.0.1:PORT --key KEY --unknown-key KEY --narrow-key KEY --limited-key KEY

The server must run with a key file in which KEY may send to any dataset, NARROW_KEY only to the dataset
"narrow-only", LIMITED_KEY has `rate_limit: {events_per_second: 1, burst: 3}`, and UNKNOWN_KEY is absent;
and with a small queue (--max-queue-bytes around 2 MiB, ack durable) so that concurrent exports overflow it.
Prints one "ok   - ..." / "FAIL - ..." line per check.
"""

import argparse
import sys
import threading
import time

import grpc
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.logs.v1 import logs_pb2
from opentelemetry.proto.metrics.v1 import metrics_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

TRACE_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
LOGS_METHOD = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
METRICS_METHOD = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"
CALL_TIMEOUT_SECONDS = 10
OVERLOAD_DEADLINE_SECONDS = 30

FAILURES = 0


def report(label, problems):
    global FAILURES
    if problems:
        FAILURES += 1
        print(f"FAIL - {label}: {'; '.join(str(problem) for problem in problems)[:600]}")
    else:
        print(f"ok   - {label}")


def attribute(key, value):
    return common_pb2.KeyValue(key=key, value=common_pb2.AnyValue(string_value=value))


def trace_request(service="grpc-status", spans=1, padding_attributes=0, padding_bytes=0):
    resource = resource_pb2.Resource(attributes=[attribute("service.name", service)])
    items = []
    for index in range(spans):
        span = trace_pb2.Span(
            trace_id=bytes(range(1, 17)), span_id=bytes([index + 1] * 8), name=f"span {index}",
            start_time_unix_nano=1_700_000_000_000_000_000, end_time_unix_nano=1_700_000_000_100_000_000,
        )
        if index == 0:
            span.attributes.extend(attribute(f"pad.{n}", "p" * padding_bytes) for n in range(padding_attributes))
        items.append(span)
    return trace_service_pb2.ExportTraceServiceRequest(resource_spans=[
        trace_pb2.ResourceSpans(resource=resource, scope_spans=[trace_pb2.ScopeSpans(spans=items)])
    ])


def logs_request():
    record = logs_pb2.LogRecord(time_unix_nano=1_700_000_000_000_000_000, body=common_pb2.AnyValue(string_value="hi"))
    return logs_service_pb2.ExportLogsServiceRequest(resource_logs=[
        logs_pb2.ResourceLogs(
            resource=resource_pb2.Resource(attributes=[attribute("service.name", "grpc-status")]),
            scope_logs=[logs_pb2.ScopeLogs(log_records=[record])],
        )
    ])


def metrics_request():
    point = metrics_pb2.NumberDataPoint(time_unix_nano=1_700_000_000_000_000_000, as_int=3)
    metric = metrics_pb2.Metric(name="grpc.status.gauge", gauge=metrics_pb2.Gauge(data_points=[point]))
    return metrics_service_pb2.ExportMetricsServiceRequest(resource_metrics=[
        metrics_pb2.ResourceMetrics(scope_metrics=[metrics_pb2.ScopeMetrics(metrics=[metric])])
    ])


class Client:
    def __init__(self, target):
        self.channel = grpc.insecure_channel(target)

    def call(self, method, payload, response_type, metadata=(), compression=None, raw=False):
        """Returns (code, details, trailing metadata dict, response or None). `raw` sends payload bytes as they are."""
        serializer = (lambda body: body) if raw else (lambda message: message.SerializeToString())
        stub = self.channel.unary_unary(method, request_serializer=serializer,
                                        response_deserializer=response_type.FromString)
        try:
            response, call = stub.with_call(payload, metadata=metadata, timeout=CALL_TIMEOUT_SECONDS,
                                            compression=compression)
            return call.code(), call.details(), dict(call.trailing_metadata() or ()), response
        except grpc.RpcError as error:
            return error.code(), error.details(), dict(error.trailing_metadata() or ()), None


def expect(label, result, code, details_contains=None, extra=None):
    got, details, _, _ = result
    problems = []
    if got != code:
        problems.append(f"code {got}, expected {code} (details {details!r})")
    elif details_contains and details_contains not in (details or ""):
        problems.append(f"details {details!r} should contain {details_contains!r}")
    if extra:
        problems += extra(result)
    report(label, problems)


def retry_info_problems(trailers, code=grpc.StatusCode.UNAVAILABLE):
    """grpc-status-details-bin must hold a google.rpc.Status of `code` with one RetryInfo of at least a second."""
    raw = trailers.get("grpc-status-details-bin")
    if raw is None:
        return ["no grpc-status-details-bin trailer"]
    status = status_pb2.Status.FromString(raw)
    infos = []
    for detail in status.details:
        if detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            info = error_details_pb2.RetryInfo()
            detail.Unpack(info)
            infos.append(info)
    if status.code != code.value[0]:
        return [f"details Status.code {status.code}"]
    if len(infos) != 1 or infos[0].retry_delay.seconds < 1:
        return [f"RetryInfo {infos}"]
    return []


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--unknown-key", required=True)
    parser.add_argument("--narrow-key", required=True)
    parser.add_argument("--limited-key", required=True)
    args = parser.parse_args()
    client = Client(args.target)
    team = (("x-honeycomb-team", args.key),)
    Trace = trace_service_pb2.ExportTraceServiceResponse

    # OK for each service, with and without gzip.
    for method, request, response_type in [
        (TRACE_METHOD, trace_request(), Trace),
        (LOGS_METHOD, logs_request(), logs_service_pb2.ExportLogsServiceResponse),
        (METRICS_METHOD, metrics_request(), metrics_service_pb2.ExportMetricsServiceResponse),
    ]:
        for compression in (None, grpc.Compression.Gzip):
            result = client.call(method, request, response_type, team, compression)
            expect(f"{method.split('/')[1]} {'gzip' if compression else 'identity'}: OK, no partial_success",
                   result, grpc.StatusCode.OK,
                   extra=lambda r: [] if r[3] is not None and not r[3].HasField("partial_success") else [f"response {r[3]}"])

    expect("no x-honeycomb-team: UNAUTHENTICATED",
           client.call(TRACE_METHOD, trace_request(), Trace), grpc.StatusCode.UNAUTHENTICATED, "x-honeycomb-team")
    expect("unknown key: UNAUTHENTICATED",
           client.call(TRACE_METHOD, trace_request(), Trace, (("x-honeycomb-team", args.unknown_key),)),
           grpc.StatusCode.UNAUTHENTICATED, "unknown API key")
    expect("key not allowed the dataset: PERMISSION_DENIED",
           client.call(TRACE_METHOD, trace_request(service="elsewhere"), Trace, (("x-honeycomb-team", args.narrow_key),)),
           grpc.StatusCode.PERMISSION_DENIED, "elsewhere")
    expect("x-honeycomb-dataset routes metrics for a narrow key: OK",
           client.call(METRICS_METHOD, metrics_request(), metrics_service_pb2.ExportMetricsServiceResponse,
                       (("x-honeycomb-team", args.narrow_key), ("x-honeycomb-dataset", "narrow-only"))),
           grpc.StatusCode.OK)
    expect("malformed protobuf: INVALID_ARGUMENT",
           client.call(TRACE_METHOD, b"\x0a\xff\xff\xff\xff\x0f", Trace, team, raw=True), grpc.StatusCode.INVALID_ARGUMENT)
    expect("grpc-encoding deflate: UNIMPLEMENTED naming the accepted encodings",
           client.call(TRACE_METHOD, trace_request(), Trace, team, grpc.Compression.Deflate),
           grpc.StatusCode.UNIMPLEMENTED, "gzip")
    expect("unknown method: UNIMPLEMENTED",
           client.call("/opentelemetry.proto.collector.trace.v1.TraceService/Nope", trace_request(), Trace, team),
           grpc.StatusCode.UNIMPLEMENTED)
    expect("unknown service: UNIMPLEMENTED",
           client.call("/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export",
                       trace_request(), Trace, team),
           grpc.StatusCode.UNIMPLEMENTED)

    # An item over Honeycomb's 1 MB event limit is rejected alone: OK with partial_success.
    big = trace_request(spans=3, padding_attributes=20, padding_bytes=60_000)
    result = client.call(TRACE_METHOD, big, Trace, team, grpc.Compression.Gzip)

    def partial(r):
        response = r[3]
        if response is None or response.partial_success.rejected_spans != 1:
            return [f"partial_success {response.partial_success if response else None}"]
        return [] if "1000000" in response.partial_success.error_message else [response.partial_success.error_message]
    expect("an oversized span: OK with partial_success.rejected_spans = 1", result, grpc.StatusCode.OK, extra=partial)

    # Rate-limited: the limited key's burst of 3 spans is taken, the next 3 are over its 1 event/s.
    limited = (("x-honeycomb-team", args.limited_key),)
    expect("rate-limited key, within its burst: OK",
           client.call(TRACE_METHOD, trace_request(service="limited", spans=3), Trace, limited), grpc.StatusCode.OK)
    expect("rate-limited key, over its rate: RESOURCE_EXHAUSTED with google.rpc.RetryInfo",
           client.call(TRACE_METHOD, trace_request(service="limited", spans=3), Trace, limited),
           grpc.StatusCode.RESOURCE_EXHAUSTED, "request dropped due to rate limiting",
           extra=lambda r: retry_info_problems(r[2], grpc.StatusCode.RESOURCE_EXHAUSTED))
    expect("another key is not limited by it: OK",
           client.call(TRACE_METHOD, trace_request(spans=3), Trace, team), grpc.StatusCode.OK)

    # Overload: concurrent exports overflow the small queue; a refusal is UNAVAILABLE with RetryInfo.
    refusals, others, lock = [], [], threading.Lock()
    deadline = time.monotonic() + OVERLOAD_DEADLINE_SECONDS
    payload = trace_request(spans=1, padding_attributes=6, padding_bytes=60_000)

    def hammer():
        sender = Client(args.target)
        while time.monotonic() < deadline:
            with lock:
                if refusals:
                    return
            code, details, trailers, _ = sender.call(TRACE_METHOD, payload, Trace, team)
            with lock:
                if code == grpc.StatusCode.UNAVAILABLE:
                    refusals.append((details, trailers))
                elif code != grpc.StatusCode.OK:
                    others.append((code, details))
    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    problems = [f"other codes {others[:3]}"] if others else []
    if not refusals:
        problems.append(f"no UNAVAILABLE within {OVERLOAD_DEADLINE_SECONDS} s")
    else:
        details, trailers = refusals[0]
        if "capacity" not in (details or ""):
            problems.append(f"details {details!r}")
        problems += retry_info_problems(trailers)
    report("overload: UNAVAILABLE with google.rpc.RetryInfo in grpc-status-details-bin, nothing else", problems)
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
