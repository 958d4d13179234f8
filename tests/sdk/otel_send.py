"""Sends traces, logs and metrics to a running kelpie with the real OpenTelemetry Python SDK (the OTLP/HTTP
protobuf exporters, or with --protocol grpc the OTLP/gRPC exporters) and records exactly what the exporters
were handed.

Usage: otel_send.py --endpoint URL --key KEY --run NAME --compression gzip|none
                    --metrics-dataset NAME --out FILE [--signals traces,logs,metrics] [--protocol http|grpc]

Prints one check line per signal ("ok   - ..." / "FAIL - ...": every export() returned SUCCESS) and writes
FILE: {"run", "spans": [...], "logs": [...], "metrics": [...], "exports": {signal: [result names]}},
each item taken from the SDK objects the exporter serialised, for check_spool.py.
"""

import argparse
import json
import logging
import os
import sys
import warnings

for name in list(os.environ):  # the test must not pick up a developer's OTEL_* settings
    if name.startswith("OTEL_"):
        del os.environ[name]

from opentelemetry import trace  # noqa: E402
from opentelemetry.exporter.otlp.proto.http import Compression  # noqa: E402
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter  # noqa: E402
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter  # noqa: E402
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: E402
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler  # noqa: E402
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor  # noqa: E402
from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import (  # noqa: E402
    Gauge,
    Histogram,
    PeriodicExportingMetricReader,
    Sum,
)
from opentelemetry.sdk.resources import Resource  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: E402
from opentelemetry.trace import Link, SpanKind, Status, StatusCode  # noqa: E402

EXPORT_TIMEOUT_SECONDS = 5
METRIC_EXPORT_INTERVAL_MILLIS = 3_600_000  # never on its own: only force_flush/shutdown export


def plain(value):
    """SDK attribute values (tuples, bytes) as JSON-able values."""
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, bytes):
        return {"$bytes_hex": value.hex()}
    return value


def attributes(mapping):
    return {key: plain(value) for key, value in (mapping or {}).items()}


def temporality_name(temporality):
    """AggregationTemporality as the lowercase word (None for gauges, which have none)."""
    if temporality is None:
        return None
    return {1: "delta", 2: "cumulative"}.get(int(temporality.value), "unspecified")


def scope_dict(scope):
    if scope is None:
        return None
    return {
        "name": scope.name,
        "version": scope.version,
        "schema_url": scope.schema_url or "",
        "attributes": attributes(getattr(scope, "attributes", None)),
    }


class Recorder(logging.Handler):
    """Collects what the exporters were handed, their results, and their own warning/error messages."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.spans = []
        self.logs = []
        self.metrics = []
        self.exports = {"traces": [], "logs": [], "metrics": []}
        self.messages = []

    def emit(self, record):
        self.messages.append((record.name, record.getMessage()[:200]))

    def messages_about(self, signal):
        module = {"traces": "trace_exporter", "logs": "_log_exporter", "metrics": "metric_exporter"}[signal]
        return [message for name, message in self.messages if module in name] or [m for _, m in self.messages]


RECORDER = Recorder()


class SpanRecording:
    """Mixed into an OTLP span exporter (HTTP or gRPC): records each span handed to export()."""

    def export(self, spans):
        result = super().export(spans)
        RECORDER.exports["traces"].append(result.name)
        for span in spans:
            context = span.get_span_context()
            RECORDER.spans.append({
                "trace_id": format(context.trace_id, "032x"),
                "span_id": format(context.span_id, "016x"),
                "parent_span_id": format(span.parent.span_id, "016x") if span.parent else None,
                "name": span.name,
                "kind": span.kind.name.lower(),
                "start_ns": span.start_time,
                "end_ns": span.end_time,
                "status_code": {StatusCode.UNSET: 0, StatusCode.OK: 1, StatusCode.ERROR: 2}[span.status.status_code],
                "status_message": span.status.description or "",
                "trace_state": context.trace_state.to_header() if context.trace_state else "",
                "attributes": attributes(span.attributes),
                "events": [
                    {"name": event.name, "time_ns": event.timestamp, "attributes": attributes(event.attributes)}
                    for event in span.events
                ],
                "links": [
                    {
                        "trace_id": format(link.context.trace_id, "032x"),
                        "span_id": format(link.context.span_id, "016x"),
                        "attributes": attributes(link.attributes),
                    }
                    for link in span.links
                ],
                "resource": attributes(span.resource.attributes),
                "resource_schema_url": span.resource.schema_url or "",
                "scope": scope_dict(span.instrumentation_scope),
            })
        return result


class LogRecording:
    def export(self, batch):
        result = super().export(batch)
        RECORDER.exports["logs"].append(result.name)
        for item in batch:
            record = item.log_record
            context_ids = {}
            if record.trace_id:
                context_ids = {"trace_id": format(record.trace_id, "032x"), "span_id": format(record.span_id, "016x")}
            RECORDER.logs.append({
                "time_ns": record.timestamp,
                "observed_ns": record.observed_timestamp,
                "severity_text": record.severity_text or "",
                "severity_number": record.severity_number.value if record.severity_number else 0,
                "body": plain(record.body),
                "attributes": attributes(record.attributes),
                "event_name": getattr(record, "event_name", None) or "",
                "flags": int(record.trace_flags) if record.trace_flags is not None else 0,
                "resource": attributes(item.resource.attributes),
                "scope": scope_dict(item.instrumentation_scope),
                **context_ids,
            })
        return result


class MetricRecording:
    def export(self, metrics_data, timeout_millis=10_000, **kwargs):
        result = super().export(metrics_data, timeout_millis=timeout_millis, **kwargs)
        RECORDER.exports["metrics"].append(result.name)
        for resource_metrics in metrics_data.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    points = []
                    for point in metric.data.data_points:
                        entry = {"attributes": attributes(point.attributes), "time_ns": point.time_unix_nano}
                        if isinstance(metric.data, Histogram):
                            entry.update({
                                "count": point.count, "sum": point.sum, "min": point.min, "max": point.max,
                                "bucket_counts": list(point.bucket_counts),
                                "explicit_bounds": list(point.explicit_bounds),
                            })
                        else:
                            entry["value"] = point.value
                        points.append(entry)
                    kind = {Sum: "sum", Gauge: "gauge", Histogram: "histogram"}.get(type(metric.data), type(metric.data).__name__)
                    RECORDER.metrics.append({
                        "name": metric.name,
                        "unit": metric.unit or "",
                        "description": metric.description or "",
                        "type": kind,
                        "monotonic": getattr(metric.data, "is_monotonic", None),
                        "temporality": temporality_name(getattr(metric.data, "aggregation_temporality", None)),
                        "points": points,
                        "resource": attributes(resource_metrics.resource.attributes),
                        "scope": scope_dict(scope_metrics.scope),
                    })
        return result


class Exporters:
    """The recording exporter classes and their options for one protocol."""

    def __init__(self, protocol, base, key, compression):
        self.protocol, self.base, self.key, self.compression = protocol, base.rstrip("/"), key, compression
        if protocol == "grpc":
            from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as Logs
            from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as Metrics
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as Spans
        else:
            Logs, Metrics, Spans = OTLPLogExporter, OTLPMetricExporter, OTLPSpanExporter
        self.span = type("RecordingSpanExporter", (SpanRecording, Spans), {})
        self.log = type("RecordingLogExporter", (LogRecording, Logs), {})
        self.metric = type("RecordingMetricExporter", (MetricRecording, Metrics), {})

    def options(self, signal, extra_headers=None):
        headers = {"x-honeycomb-team": self.key, **(extra_headers or {})}
        if self.protocol == "grpc":
            import grpc
            # One service per signal on one endpoint; the exporter picks the method path.
            return {
                "endpoint": self.base, "insecure": True, "headers": headers,
                "compression": grpc.Compression.Gzip if self.compression == "gzip" else grpc.Compression.NoCompression,
                "timeout": EXPORT_TIMEOUT_SECONDS,
            }
        return {
            "endpoint": f"{self.base}/v1/{signal}",
            "headers": headers,
            "compression": Compression.Gzip if self.compression == "gzip" else Compression.NoCompression,
            "timeout": EXPORT_TIMEOUT_SECONDS,
        }


def send_traces(resource, exporters):
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(exporters.span(**exporters.options("traces"))))
    tracer = provider.get_tracer(
        "sdk.test.checkout", "0.3.0",
        schema_url="https://opentelemetry.io/schemas/1.26.0",
        attributes={"scope.team": "payments"},
    )

    with tracer.start_as_current_span("enqueue checkout job", kind=SpanKind.PRODUCER, context=None) as producer:
        producer.set_attribute("messaging.system", "kafka")
    producer_context = producer.get_span_context()

    with tracer.start_as_current_span("POST /checkout", kind=SpanKind.SERVER) as root:
        root.set_attributes({
            "http.request.method": "POST",
            "http.response.status_code": 500,
            "cart.total": 42.5,
            "cart.items": ["book", "pen"],
            "cart.quantities": [1, 2, 5],
            "cart.flags": [True, False],
            "cart.weights": [0.5, 1.25],
            "user.name": "Jos\u00e9 \U0001F41D",
            "user.big_id": 2**62 + 7,
            "user.vip": True,
        })
        root.add_event("cart.loaded", {"cart.size": 3, "cart.source": "session"})
        with tracer.start_as_current_span(
            "SELECT orders", kind=SpanKind.CLIENT,
            links=[Link(producer_context, {"link.reason": "follows-from", "link.weight": 2})],
        ) as query:
            query.set_attribute("db.system.name", "postgresql")
            query.set_attribute("db.query.text", "SELECT * FROM orders WHERE id = $1")
            query.add_event("cache.miss", {"cache.key": "orders:17"})
            query.set_status(Status(StatusCode.OK))
        with tracer.start_as_current_span("charge card") as charge:
            with tracer.start_as_current_span("validate card") as validate:
                validate.set_attribute("card.brand", "visa")
            try:
                raise ValueError("card declined")
            except ValueError as error:
                charge.record_exception(error)
                charge.set_status(Status(StatusCode.ERROR, "card declined"))
        with tracer.start_as_current_span("sampled lookup") as sampled:
            sampled.set_attribute("sampleRate", 5)  # Honeycomb: the event's sample rate, field removed
            sampled.set_attribute("lookup.key", "sku-9")
        root.set_status(Status(StatusCode.ERROR, "checkout failed"))

    provider.force_flush()
    provider.shutdown()


def send_logs(resource, exporters, run):
    provider = LoggerProvider(resource=resource)
    provider.add_log_record_processor(BatchLogRecordProcessor(exporters.log(**exporters.options("logs"))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the SDK's stdlib bridge still works in 1.45
        handler = LoggingHandler(level=logging.NOTSET, logger_provider=provider)
    logger = logging.getLogger(f"sdk.test.shop.{run}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)

    logger.debug("cache warmed in %d ms", 12, extra={"sdk.log_id": f"{run}-debug", "cache.entries": 1024})
    logger.info("order placed", extra={"sdk.log_id": f"{run}-info", "order.id": "o-17", "order.total": 99.5, "order.gift": False})
    logger.warning("inventory low for %s", "sku-9", extra={"sdk.log_id": f"{run}-warn", "inventory.left": 2})
    try:
        raise RuntimeError("payment gateway timeout")
    except RuntimeError:
        logger.error("charge failed", exc_info=True, extra={"sdk.log_id": f"{run}-error", "payment.attempt": 3})
    tracer_provider = TracerProvider(resource=resource)  # a span context for trace correlation, not exported
    with tracer_provider.get_tracer("sdk.test.logs").start_as_current_span("log context"):
        logger.critical("unicode \u65e5\u672c\u8a9e \U0001F41D in a span", extra={"sdk.log_id": f"{run}-critical"})

    provider.force_flush()
    logger.removeHandler(handler)
    provider.shutdown()


def send_metrics(resource, exporters, dataset):
    options = exporters.options("metrics", {"x-honeycomb-dataset": dataset})
    reader = PeriodicExportingMetricReader(
        exporters.metric(**options), export_interval_millis=METRIC_EXPORT_INTERVAL_MILLIS,
    )
    provider = MeterProvider(resource=resource, metric_readers=[reader])
    meter = provider.get_meter("sdk.test.metrics", "0.1.0")
    requests = meter.create_counter("sdk.requests", unit="{request}", description="Requests served")
    latency = meter.create_histogram("sdk.request.duration", unit="s", description="Request duration")
    requests.add(5, {"http.route": "/checkout", "http.response.status_code": 200})
    requests.add(2, {"http.route": "/checkout", "http.response.status_code": 500})
    requests.add(7, {"http.route": "/cart", "http.response.status_code": 200})
    for value in (0.004, 0.02, 0.02, 0.3, 1.7):
        latency.record(value, {"http.route": "/checkout"})
    provider.force_flush()
    provider.shutdown()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True, help="http://127.0.0.1:PORT")
    parser.add_argument("--protocol", choices=["http", "grpc"], default="http")
    parser.add_argument("--key", required=True)
    parser.add_argument("--run", required=True, help="names this run (resource attribute sdk.run)")
    parser.add_argument("--service-name", required=True)
    parser.add_argument("--compression", choices=["gzip", "none"], required=True)
    parser.add_argument("--metrics-dataset", required=True)
    parser.add_argument("--signals", default="traces,logs,metrics")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    sdk_logger = logging.getLogger("opentelemetry")  # its warnings go into the check lines, not stderr
    sdk_logger.propagate = False
    sdk_logger.addHandler(RECORDER)

    resource = Resource.create({
        "service.name": args.service_name,
        "service.version": "1.2.3",
        "deployment.environment.name": "test",
        "sdk.run": args.run,
    })
    signals = args.signals.split(",")
    exporters = Exporters(args.protocol, args.endpoint, args.key, args.compression)
    if "traces" in signals:
        send_traces(resource, exporters)
    if "logs" in signals:
        send_logs(resource, exporters, args.run)
    if "metrics" in signals:
        send_metrics(resource, exporters, args.metrics_dataset)

    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump({
            "run": args.run, "service_name": args.service_name, "metrics_dataset": args.metrics_dataset,
            "spans": RECORDER.spans, "logs": RECORDER.logs, "metrics": RECORDER.metrics, "exports": RECORDER.exports,
        }, handle)

    for signal in signals:
        results = RECORDER.exports[signal]
        label = f"otel {args.protocol} {args.compression} {signal}: every export() SUCCESS"
        if results and all(result == "SUCCESS" for result in results):
            print(f"ok   - {label} ({len(results)} exports)")
        else:
            print(f"FAIL - {label}: {results or 'nothing exported'}; SDK said: {RECORDER.messages_about(signal)[:2]}")


if __name__ == "__main__":
    sys.exit(main())
