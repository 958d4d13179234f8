import EventModel
/// Decodes OTLP/HTTP export requests (protobuf or OTLP/JSON, already content-decoded) into flat
/// Honeycomb events, one ``EventBatch`` per dataset, mapped as husky (Honeycomb's translator) does.
/// See docs/otlp.md for the exact fields.
///
/// Protobuf is read by a streaming wire reader (``ProtoReader``) that writes each event's JSON straight
/// into its dataset's body buffer: no message objects are built. OTLP/JSON is first transcoded into
/// protobuf wire bytes (``OTLPJSONTranscoder``), so both encodings share one mapping and yield
/// identical events.
public struct OTLPDecoder: Sendable {
    public var limits: OTLPLimits

    public init(limits: OTLPLimits = .init()) {
        self.limits = limits
    }

    /// - Throws: `.missingDatasetHeader` for a classic key without `x-honeycomb-dataset` on traces or
    ///   metrics (checked first, as husky validates headers before the body); `.malformed` when the
    ///   body is not a valid request of the signal's type. Nothing is kept from a request that throws.
    public func decode(
        _ body: [UInt8], signal: OTLPSignal, encoding: OTLPEncoding, context: OTLPRequestContext
    ) throws(OTLPError) -> OTLPDecodeResult {
        if context.keyKind == .classic && signal != .logs && (context.datasetHeader ?? "").isEmpty {
            throw .missingDatasetHeader
        }
        switch encoding {
        case .protobuf:
            return try mapProtobuf(body, signal: signal, context: context)
        case .json:
            let wire: [UInt8]
            do throws(OTLPJSONError) {
                wire = try OTLPJSONTranscoder(maxNestingDepth: limits.maxNestingDepth).transcode(body, signal: signal)
            } catch {
                throw .malformed
            }
            return try mapProtobuf(wire, signal: signal, context: context)
        }
    }

    /// Output room reserved per input byte: flat JSON events run about three times the protobuf size
    /// (resource attributes repeat in every event). Untouched capacity costs address space, not memory.
    static let outputBytesPerInputByte = 4
    static let outputSlackBytes = 64 * 1024

    /// Maps wire bytes. The first dataset's events are written straight into the storage of the array
    /// that becomes its body, so a request whose events fit the estimate is never copied; only when
    /// they outgrow it (or for further datasets) are bytes copied once from a growable buffer.
    private func mapProtobuf(
        _ body: [UInt8], signal: OTLPSignal, context: OTLPRequestContext
    ) throws(OTLPError) -> OTLPDecodeResult {
        guard !body.isEmpty else {
            return OTLPDecodeResult(batches: [], acceptedItems: 0, rejectedItems: 0, rejectionMessage: nil)
        }
        var outcome: Result<OTLPDecodeResult, ProtoWireError> = .failure(ProtoWireError())
        var firstBodyInPlace = false
        let estimate = min(body.count * Self.outputBytesPerInputByte + Self.outputSlackBytes, OTLPMapper.maxTotalEventBytes)
        let firstBody = [UInt8](unsafeUninitializedCapacity: estimate) { storage, initialized in
            initialized = 0
            body.withUnsafeBufferPointer { buffer in
                var mapper = OTLPMapper(
                    base: buffer.baseAddress!, firstBody: ByteBuffer(borrowing: storage.baseAddress!, capacity: storage.count),
                    limits: limits, context: context, signal: signal)
                defer { mapper.deallocate() }
                do throws(ProtoWireError) {
                    try mapper.map(ProtoSlice(start: 0, end: buffer.count))
                } catch {
                    outcome = .failure(error)
                    return
                }
                if let first = mapper.firstBatchBody, !first.ownsStorage {
                    firstBodyInPlace = true
                    initialized = first.count
                }
                outcome = .success(mapper.finish(firstBodyInPlace: firstBodyInPlace))
            }
        }
        guard case .success(var result) = outcome else { throw .malformed }
        if firstBodyInPlace { result.batches[0].body = firstBody }
        result.batches.removeAll { $0.events.isEmpty }
        return result
    }
}
