import EventModel
/// Turns one OTLP export request (protobuf wire bytes) into flat Honeycomb events, writing each event's
/// JSON straight into its dataset's body buffer: the streaming core behind ``OTLPDecoder``.
///
/// Field precedence follows husky's direct (Refinery) translator for traces (an item's own attributes,
/// then its intrinsic fields, then scope, then resource; the first writer of a key wins) and husky's
/// log translator for logs (log attributes, scope, resource, then intrinsic fields).
struct OTLPMapper {
    struct PendingBatch {
        var dataset: String
        /// nil while this is the current batch (its buffer is then `writer.out`).
        var body: ByteBuffer?
        var records: [EventRecord]
    }

    let base: UnsafePointer<UInt8>
    let limits: OTLPLimits
    let context: OTLPRequestContext
    let signal: OTLPSignal
    var renderer: AttributeRenderer
    /// Writes into the current dataset's body; other datasets' bodies wait in `batches`.
    var writer: JSONObjectWriter
    var batches: [PendingBatch] = []
    var currentBatch = -1
    var acceptedItems = 0
    var oversizedItems = 0
    var overBudgetItems = 0
    /// Bytes of all events written so far (``maxTotalEventBytes`` caps expansion by big resources).
    var totalEventBytes = 0
    /// Scratch for metric value keys (`<metric name>.count` …).
    var metricKey = ByteBuffer(capacity: 128)
    var bucketCounts: [UInt64] = []
    var bounds: [Double] = []

    /// A request may expand into at most this many event bytes (resource attributes are copied into
    /// every event, so a small body can ask for a lot); items past it are rejected.
    static let maxTotalEventBytes = 512 * 1024 * 1024
    static let unknownServiceDataset = "unknown_service"
    static let unknownLogSourceDataset = "unknown_log_source"
    static let unknownMetricsDataset = "unknown_metrics"

    /// `firstBody` receives the first dataset's events: normally the storage of the array that becomes
    /// that batch's body, so the common single-dataset request needs no copy (see ``OTLPDecoder``).
    init(base: UnsafePointer<UInt8>, firstBody: ByteBuffer, limits: OTLPLimits, context: OTLPRequestContext, signal: OTLPSignal) {
        self.base = base
        self.limits = limits
        self.context = context
        self.signal = signal
        renderer = AttributeRenderer(base: base, limits: limits)
        writer = JSONObjectWriter(buffer: firstBody)
    }

    /// Frees everything not handed out by ``finish()``.
    func deallocate() {
        renderer.deallocate()
        writer.deallocate()
        metricKey.deallocate()
        for batch in batches { batch.body?.deallocate() }
    }

    mutating func map(_ request: ProtoSlice) throws(ProtoWireError) {
        var reader = ProtoReader(base: base, slice: request)
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            guard tag.field == 1 else {
                try reader.skip(tag)
                continue
            }
            try mapResource(try reader.slice(tag))
        }
    }

    /// One Resource{Spans,Logs,Metrics}: the resource and each scope are rendered once into fragments that
    /// every item under them copies; only the items differ by signal. Metrics take no sample rate from
    /// attributes (husky reads `sampleRate` on spans and logs only).
    mutating func mapResource(_ slice: ProtoSlice) throws(ProtoWireError) {
        let takesSampleRate = signal != .metrics
        let (resource, schemaURL) = try envelope(slice)
        var capture = AttributeCapture(takesSampleRate: takesSampleRate)
        let resourceFragment = try self.resourceFragment(resource: resource, schemaURL: schemaURL, capture: &capture)
        defer { resourceFragment.deallocate() }
        switchToDataset(dataset(serviceName: capture.serviceName))
        let resourceSampleRate = capture.sampleRate
        try forEachListElement(slice) { (scopeItems) throws(ProtoWireError) in
            let (scope, scopeSchemaURL) = try envelope(scopeItems)
            var scopeCapture = AttributeCapture(takesSampleRate: takesSampleRate)
            let scopeFragment = try self.scopeFragment(scope: scope, schemaURL: scopeSchemaURL, capture: &scopeCapture)
            defer { scopeFragment.deallocate() }
            let envelope = Envelope(
                resource: resourceFragment, resourceSampleRate: resourceSampleRate,
                scope: scopeFragment, scopeSampleRate: scopeCapture.sampleRate)
            try forEachListElement(scopeItems) { (item) throws(ProtoWireError) in
                switch signal {
                case .traces: try mapSpan(item, envelope: envelope)
                case .logs: try mapLogRecord(item, envelope: envelope)
                case .metrics: try mapMetric(item, envelope: envelope)
                }
            }
        }
    }

    /// The first batch's buffer (where its bytes are now) and whether it still is the borrowed storage.
    var firstBatchBody: ByteBuffer? {
        guard !batches.isEmpty else { return nil }
        return currentBatch == 0 ? writer.out : batches[0].body
    }

    /// The result. Bodies are copied out of the working buffers, except the first batch's when
    /// `firstBodyInPlace` (its bytes are already in the array being built; the caller fills it in).
    func finish(firstBodyInPlace: Bool) -> OTLPDecodeResult {
        var result: [EventBatch] = []
        result.reserveCapacity(batches.count)
        for (index, batch) in batches.enumerated() where !batch.records.isEmpty || index == 0 {
            let body = index == currentBatch ? writer.out : batch.body!
            let bytes = index == 0 && firstBodyInPlace ? [] : body.makeArray()
            result.append(EventBatch(dataset: batch.dataset, keyID: context.keyID, body: bytes, events: batch.records))
        }
        let rejected = oversizedItems + overBudgetItems
        var message: String?
        if rejected > 0 {
            var reasons: [String] = []
            if oversizedItems > 0 {
                reasons.append("\(oversizedItems) \(signal.itemName) made an event larger than \(limits.maxEventBytes) bytes")
            }
            if overBudgetItems > 0 {
                reasons.append("\(overBudgetItems) \(signal.itemName) past the request's limit of \(Self.maxTotalEventBytes) event bytes")
            }
            message = "rejected " + reasons.joined(separator: "; ")
        }
        return OTLPDecodeResult(batches: result, acceptedItems: acceptedItems, rejectedItems: rejected, rejectionMessage: message)
    }

    // MARK: datasets

    mutating func switchToDataset(_ dataset: String) {
        if currentBatch >= 0 && batches[currentBatch].dataset == dataset { return }
        if currentBatch < 0 {
            // The first batch keeps the big buffer the writer started with.
            batches.append(PendingBatch(dataset: dataset, body: nil, records: []))
            currentBatch = 0
            return
        }
        batches[currentBatch].body = writer.out
        if let index = batches.firstIndex(where: { $0.dataset == dataset }) {
            currentBatch = index
            writer.out = batches[index].body!
            batches[index].body = nil
        } else {
            batches.append(PendingBatch(dataset: dataset, body: nil, records: []))
            currentBatch = batches.count - 1
            writer.out = ByteBuffer(capacity: 64 * 1024)
        }
    }

    /// `service.name` trimmed, unless blank or `unknown_service…` (husky `getDataset`).
    func usableServiceName(_ slice: ProtoSlice?) -> String? {
        guard let slice else { return nil }
        let name = String(decoding: UnsafeBufferPointer(start: base + slice.start, count: slice.count), as: UTF8.self)
        let trimmed = Self.trimmed(name)
        if trimmed.isEmpty || trimmed.hasPrefix(Self.unknownServiceDataset) { return nil }
        return trimmed
    }

    func dataset(serviceName: ProtoSlice?) -> String {
        let header = context.datasetHeader.map(Self.trimmed) ?? ""
        switch signal {
        case .traces:
            if context.keyKind == .classic { return context.datasetHeader ?? "" }
            return usableServiceName(serviceName) ?? Self.unknownServiceDataset
        case .logs:
            if let name = usableServiceName(serviceName) { return name }
            return header.isEmpty ? Self.unknownLogSourceDataset : (context.datasetHeader ?? header)
        case .metrics:
            return header.isEmpty ? Self.unknownMetricsDataset : (context.datasetHeader ?? header)
        }
    }

    static func trimmed(_ text: String) -> String {
        var slice = Substring(text)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }

    // MARK: shared pieces

    /// Resource attributes (and the envelope's schema URL) as a fragment, plus what they captured.
    mutating func resourceFragment(
        resource: ProtoSlice?, schemaURL: ProtoSlice?, capture: inout AttributeCapture
    ) throws(ProtoWireError) -> AttributeFragment {
        var fragment = JSONObjectWriter(capacity: (resource?.count ?? 0) * 2 + 64, recording: true)
        fragment.beginObject()
        do throws(ProtoWireError) {
            if let resource { try renderer.renderAttributes(of: resource, field: 1, into: &fragment, capture: &capture) }
        } catch {
            fragment.finishFragment().deallocate()
            throw error
        }
        if let schemaURL, !schemaURL.isEmpty {
            fragment.field("resource.schema_url", string: base + schemaURL.start, count: schemaURL.count)
        }
        return fragment.finishFragment()
    }

    /// Scope name, version and attributes (and the schema URL) as a fragment.
    mutating func scopeFragment(
        scope: ProtoSlice?, schemaURL: ProtoSlice?, capture: inout AttributeCapture
    ) throws(ProtoWireError) -> AttributeFragment {
        var fragment = JSONObjectWriter(capacity: (scope?.count ?? 0) * 2 + 64, recording: true)
        fragment.beginObject()
        do throws(ProtoWireError) {
            if let scope {
                var name = ProtoSlice.empty
                var version = ProtoSlice.empty
                var reader = ProtoReader(base: base, slice: scope)
                while !reader.isAtEnd {
                    let tag = try reader.readTag()
                    switch tag.field {
                    case 1: name = try reader.slice(tag)
                    case 2: version = try reader.slice(tag)
                    case 4: _ = try reader.varint(tag)
                    default: try reader.skip(tag)
                    }
                }
                if !name.isEmpty {
                    fragment.field("library.name", string: base + name.start, count: name.count)
                    if InstrumentationLibrary.isKnown(base + name.start, count: name.count) {
                        fragment.field("telemetry.instrumentation_library", bool: true)
                    }
                }
                if !version.isEmpty {
                    fragment.field("library.version", string: base + version.start, count: version.count)
                }
                try renderer.renderAttributes(of: scope, field: 3, into: &fragment, capture: &capture)
            }
        } catch {
            fragment.finishFragment().deallocate()
            throw error
        }
        if let schemaURL, !schemaURL.isEmpty {
            fragment.field("scope.schema_url", string: base + schemaURL.start, count: schemaURL.count)
        }
        return fragment.finishFragment()
    }

    /// The resource/scope envelope fields common to all three signals: (first resource or scope,
    /// item list field's slices are iterated by the caller, schema URL). Validates every field.
    func envelope(_ slice: ProtoSlice) throws(ProtoWireError) -> (header: ProtoSlice?, schemaURL: ProtoSlice?) {
        var header: ProtoSlice?
        var schemaURL: ProtoSlice?
        var reader = ProtoReader(base: base, slice: slice)
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            switch tag.field {
            case 1:
                let value = try reader.slice(tag)
                if header == nil { header = value }
            case 2: _ = try reader.slice(tag)
            case 3: schemaURL = try reader.slice(tag)
            default: try reader.skip(tag)
            }
        }
        return (header, schemaURL)
    }

    /// Calls `body` with every field-2 element (scope lists, item lists) of an envelope message.
    func forEachListElement(
        _ slice: ProtoSlice, _ body: (ProtoSlice) throws(ProtoWireError) -> Void
    ) throws(ProtoWireError) {
        var reader = ProtoReader(base: base, slice: slice)
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            if tag.field == 2 {
                try body(try reader.slice(tag))
            } else {
                try reader.skip(tag)
            }
        }
    }

    /// Item time: 0 (unset) or more than the allowed skew ahead → receive time.
    func eventTime(_ nanos: UInt64) -> Int64 {
        guard nanos != 0 else { return context.receiveTimeNanos }
        let time = nanos > UInt64(Int64.max) ? Int64.max : Int64(nanos)
        let (latest, overflow) = context.receiveTimeNanos.addingReportingOverflow(limits.maxFutureSkewNanos)
        if !overflow && time > latest { return context.receiveTimeNanos }
        return time
    }

    /// Finishes the object begun at `start`: false if it is too big (caller rejects the item).
    mutating func closeEvent(start: Int) -> Range<Int>? {
        let range = writer.endObject()
        guard range.count <= limits.maxEventBytes else { return nil }
        return range
    }

    /// Undoes a rejected item: its bytes and any records already appended for it.
    mutating func rejectItem(bodyStart: Int, recordCount: Int, oversized: Bool) {
        writer.rollBack(to: bodyStart)
        batches[currentBatch].records.removeSubrange(recordCount...)
        if oversized { oversizedItems += 1 } else { overBudgetItems += 1 }
    }

    /// Accepts an item whose events occupy `bodyStart..<writer.out.count`; false when over budget.
    mutating func commitItem(bodyStart: Int, recordCount: Int) {
        let bytes = writer.out.count - bodyStart
        if totalEventBytes + bytes > Self.maxTotalEventBytes {
            rejectItem(bodyStart: bodyStart, recordCount: recordCount, oversized: false)
            return
        }
        totalEventBytes += bytes
        acceptedItems += 1
    }

    /// Hex of a trace id; a 16-byte id whose first 8 bytes are zero is written as its last 8 (husky).
    mutating func traceIDValue(_ id: ProtoSlice) {
        var start = id.start
        if id.count == 16 {
            var zero = true
            for index in 0..<8 where base[id.start + index] != 0 { zero = false; break }
            if zero { start += 8 }
        }
        writer.hexValue(base + start, count: id.end - start)
    }
}

/// husky's list of instrumentation-library name prefixes (`telemetry.instrumentation_library`).
enum InstrumentationLibrary {
    static let prefixes: [StaticString] = [
        "io.opentelemetry",
        "opentelemetry.instrumentation",
        "OpenTelemetry.Instrumentation",
        "OpenTelemetry::Instrumentation",
        "go.opentelemetry.io/contrib/instrumentation",
        "@opentelemetry/instrumentation",
        "io.opentelemetry.contrib.php",
        "github.com/open-telemetry/opentelemetry-collector",
        "@honeycombio/",
    ]

    static func isKnown(_ name: UnsafePointer<UInt8>, count: Int) -> Bool {
        for prefix in prefixes where prefix.utf8CodeUnitCount <= count {
            if memcmpEqual(name, prefix.utf8Start, prefix.utf8CodeUnitCount) { return true }
        }
        return false
    }
}
