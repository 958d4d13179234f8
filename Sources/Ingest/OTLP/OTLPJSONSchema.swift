/// The OTLP/JSON field names (lowerCamelCase, as the spec requires), their protobuf numbers and how
/// each value is carried, for the messages Kelpie maps. Fields not listed (exemplars, entity refs,
/// metric metadata, profiles-only indexes) are skipped like unknown fields.
enum OTLPJSONSchema {
    case traceRequest, resourceSpans, scopeSpans, span, spanEvent, spanLink, status
    case logsRequest, resourceLogs, scopeLogs, logRecord
    case metricsRequest, resourceMetrics, scopeMetrics, metric, gauge, sum, histogram, exponentialHistogram
    case summary, numberDataPoint, histogramDataPoint, exponentialHistogramDataPoint, buckets
    case summaryDataPoint, valueAtQuantile
    case resource, scope, keyValue, anyValue, arrayValue, keyValueList

    /// How a JSON value becomes wire bytes.
    enum Kind {
        case message(OTLPJSONSchema)
        case string
        /// Trace and span ids: hex strings (case-insensitive), per the OTLP/JSON deviation.
        case hexBytes
        /// Other `bytes` fields: standard proto3 JSON base64.
        case base64Bytes
        case fixed64
        case sfixed64
        case double
        case int64
        case uint32
        case uint64
        /// Enums must be integers in OTLP/JSON.
        case enumeration
        case bool
        case sint32
        case fixed32
    }

    struct Field {
        let name: StaticString
        let number: UInt32
        let kind: Kind
        let isRepeated: Bool

        init(_ name: StaticString, _ number: UInt32, _ kind: Kind, repeated: Bool = false) {
            self.name = name
            self.number = number
            self.kind = kind
            isRepeated = repeated
        }
    }

    static func request(for signal: OTLPSignal) -> OTLPJSONSchema {
        switch signal {
        case .traces: .traceRequest
        case .logs: .logsRequest
        case .metrics: .metricsRequest
        }
    }

    var fields: [Field] {
        switch self {
        case .traceRequest: [Field("resourceSpans", 1, .message(.resourceSpans), repeated: true)]
        case .resourceSpans:
            [Field("resource", 1, .message(.resource)), Field("scopeSpans", 2, .message(.scopeSpans), repeated: true),
             Field("schemaUrl", 3, .string)]
        case .scopeSpans:
            [Field("scope", 1, .message(.scope)), Field("spans", 2, .message(.span), repeated: true), Field("schemaUrl", 3, .string)]
        case .span:
            [Field("traceId", 1, .hexBytes), Field("spanId", 2, .hexBytes), Field("traceState", 3, .string),
             Field("parentSpanId", 4, .hexBytes), Field("name", 5, .string), Field("kind", 6, .enumeration),
             Field("startTimeUnixNano", 7, .fixed64), Field("endTimeUnixNano", 8, .fixed64),
             Field("attributes", 9, .message(.keyValue), repeated: true), Field("droppedAttributesCount", 10, .uint32),
             Field("events", 11, .message(.spanEvent), repeated: true), Field("droppedEventsCount", 12, .uint32),
             Field("links", 13, .message(.spanLink), repeated: true), Field("droppedLinksCount", 14, .uint32),
             Field("status", 15, .message(.status)), Field("flags", 16, .fixed32)]
        case .spanEvent:
            [Field("timeUnixNano", 1, .fixed64), Field("name", 2, .string),
             Field("attributes", 3, .message(.keyValue), repeated: true), Field("droppedAttributesCount", 4, .uint32)]
        case .spanLink:
            [Field("traceId", 1, .hexBytes), Field("spanId", 2, .hexBytes), Field("traceState", 3, .string),
             Field("attributes", 4, .message(.keyValue), repeated: true), Field("droppedAttributesCount", 5, .uint32),
             Field("flags", 6, .fixed32)]
        case .status: [Field("message", 2, .string), Field("code", 3, .enumeration)]
        case .logsRequest: [Field("resourceLogs", 1, .message(.resourceLogs), repeated: true)]
        case .resourceLogs:
            [Field("resource", 1, .message(.resource)), Field("scopeLogs", 2, .message(.scopeLogs), repeated: true),
             Field("schemaUrl", 3, .string)]
        case .scopeLogs:
            [Field("scope", 1, .message(.scope)), Field("logRecords", 2, .message(.logRecord), repeated: true),
             Field("schemaUrl", 3, .string)]
        case .logRecord:
            [Field("timeUnixNano", 1, .fixed64), Field("severityNumber", 2, .enumeration), Field("severityText", 3, .string),
             Field("body", 5, .message(.anyValue)), Field("attributes", 6, .message(.keyValue), repeated: true),
             Field("droppedAttributesCount", 7, .uint32), Field("flags", 8, .fixed32), Field("traceId", 9, .hexBytes),
             Field("spanId", 10, .hexBytes), Field("observedTimeUnixNano", 11, .fixed64), Field("eventName", 12, .string)]
        case .metricsRequest: [Field("resourceMetrics", 1, .message(.resourceMetrics), repeated: true)]
        case .resourceMetrics:
            [Field("resource", 1, .message(.resource)), Field("scopeMetrics", 2, .message(.scopeMetrics), repeated: true),
             Field("schemaUrl", 3, .string)]
        case .scopeMetrics:
            [Field("scope", 1, .message(.scope)), Field("metrics", 2, .message(.metric), repeated: true),
             Field("schemaUrl", 3, .string)]
        case .metric:
            [Field("name", 1, .string), Field("description", 2, .string), Field("unit", 3, .string),
             Field("gauge", 5, .message(.gauge)), Field("sum", 7, .message(.sum)), Field("histogram", 9, .message(.histogram)),
             Field("exponentialHistogram", 10, .message(.exponentialHistogram)), Field("summary", 11, .message(.summary))]
        case .gauge: [Field("dataPoints", 1, .message(.numberDataPoint), repeated: true)]
        case .sum:
            [Field("dataPoints", 1, .message(.numberDataPoint), repeated: true),
             Field("aggregationTemporality", 2, .enumeration), Field("isMonotonic", 3, .bool)]
        case .histogram:
            [Field("dataPoints", 1, .message(.histogramDataPoint), repeated: true),
             Field("aggregationTemporality", 2, .enumeration)]
        case .exponentialHistogram:
            [Field("dataPoints", 1, .message(.exponentialHistogramDataPoint), repeated: true),
             Field("aggregationTemporality", 2, .enumeration)]
        case .summary: [Field("dataPoints", 1, .message(.summaryDataPoint), repeated: true)]
        case .numberDataPoint:
            [Field("attributes", 7, .message(.keyValue), repeated: true), Field("startTimeUnixNano", 2, .fixed64),
             Field("timeUnixNano", 3, .fixed64), Field("asDouble", 4, .double), Field("asInt", 6, .sfixed64),
             Field("flags", 8, .uint32)]
        case .histogramDataPoint:
            [Field("attributes", 9, .message(.keyValue), repeated: true), Field("startTimeUnixNano", 2, .fixed64),
             Field("timeUnixNano", 3, .fixed64), Field("count", 4, .fixed64), Field("sum", 5, .double),
             Field("bucketCounts", 6, .fixed64, repeated: true), Field("explicitBounds", 7, .double, repeated: true),
             Field("flags", 10, .uint32), Field("min", 11, .double), Field("max", 12, .double)]
        case .exponentialHistogramDataPoint:
            [Field("attributes", 1, .message(.keyValue), repeated: true), Field("startTimeUnixNano", 2, .fixed64),
             Field("timeUnixNano", 3, .fixed64), Field("count", 4, .fixed64), Field("sum", 5, .double),
             Field("scale", 6, .sint32), Field("zeroCount", 7, .fixed64), Field("positive", 8, .message(.buckets)),
             Field("negative", 9, .message(.buckets)), Field("flags", 10, .uint32), Field("min", 12, .double),
             Field("max", 13, .double), Field("zeroThreshold", 14, .double)]
        case .buckets: [Field("offset", 1, .sint32), Field("bucketCounts", 2, .uint64, repeated: true)]
        case .summaryDataPoint:
            [Field("attributes", 7, .message(.keyValue), repeated: true), Field("startTimeUnixNano", 2, .fixed64),
             Field("timeUnixNano", 3, .fixed64), Field("count", 4, .fixed64), Field("sum", 5, .double),
             Field("quantileValues", 6, .message(.valueAtQuantile), repeated: true), Field("flags", 8, .uint32)]
        case .valueAtQuantile: [Field("quantile", 1, .double), Field("value", 2, .double)]
        case .resource:
            [Field("attributes", 1, .message(.keyValue), repeated: true), Field("droppedAttributesCount", 2, .uint32)]
        case .scope:
            [Field("name", 1, .string), Field("version", 2, .string),
             Field("attributes", 3, .message(.keyValue), repeated: true), Field("droppedAttributesCount", 4, .uint32)]
        case .keyValue: [Field("key", 1, .string), Field("value", 2, .message(.anyValue))]
        case .anyValue:
            [Field("stringValue", 1, .string), Field("boolValue", 2, .bool), Field("intValue", 3, .int64),
             Field("doubleValue", 4, .double), Field("arrayValue", 5, .message(.arrayValue)),
             Field("kvlistValue", 6, .message(.keyValueList)), Field("bytesValue", 7, .base64Bytes)]
        case .arrayValue: [Field("values", 1, .message(.anyValue), repeated: true)]
        case .keyValueList: [Field("values", 1, .message(.keyValue), repeated: true)]
        }
    }
}
