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

    private func mapProtobuf(
        _ body: [UInt8], signal: OTLPSignal, context: OTLPRequestContext
    ) throws(OTLPError) -> OTLPDecodeResult {
        guard !body.isEmpty else {
            return OTLPDecodeResult(batches: [], acceptedItems: 0, rejectedItems: 0, rejectionMessage: nil)
        }
        let outcome: Result<OTLPDecodeResult, ProtoWireError> = body.withUnsafeBufferPointer { buffer in
            var mapper = OTLPMapper(
                base: buffer.baseAddress!, bodyCount: buffer.count, limits: limits, context: context, signal: signal)
            defer { mapper.deallocate() }
            do throws(ProtoWireError) {
                try mapper.map(ProtoSlice(start: 0, end: buffer.count))
            } catch {
                return .failure(error)
            }
            return .success(mapper.finish())
        }
        switch outcome {
        case .success(let result): return result
        case .failure: throw .malformed
        }
    }
}
