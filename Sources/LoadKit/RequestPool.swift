/// Request bodies generated before the run so that generation and compression are never measured.
public struct RequestPool: Sendable {
    public let requests: [PreparedRequest]
    public let configuration: PayloadConfiguration
    public let target: TargetURL
    public let eventsPerRequest: Int

    public init(configuration: PayloadConfiguration, target: TargetURL, nowUnixNanos: Int64 = MonotonicClock.wallNanos())
        throws(LoadError)
    {
        self.configuration = configuration
        self.target = target
        let eventsPerRequest = configuration.kind == .singleJSON ? 1 : configuration.batchSize
        self.eventsPerRequest = eventsPerRequest
        let count = max(configuration.poolSize, configuration.datasets.count, configuration.apiKeys.count)
        var built: [PreparedRequest] = []
        built.reserveCapacity(count)
        for index in 0..<count {
            let dataset = configuration.datasets[index % configuration.datasets.count]
            let key = configuration.apiKeys[index % configuration.apiKeys.count]
            var generator = EventGenerator(
                shape: configuration.shape, verifyRunID: configuration.verifyRunID, stream: UInt64(index))
            var events: [GeneratedEvent] = []
            events.reserveCapacity(eventsPerRequest)
            for eventIndex in 0..<eventsPerRequest {
                events.append(generator.next(timeUnixNanos: nowUnixNanos + Int64(eventIndex) * 1000))
            }
            let payload = PayloadEncoder.encode(events, kind: configuration.kind, dataset: dataset)
            let prefix = Self.headerPrefix(configuration: configuration, target: target, dataset: dataset, key: key)
            if configuration.verifyRunID != nil {
                built.append(PreparedRequest(bytes: [], eventCount: payload.eventCount, template: payload, headerPrefix: prefix))
            } else {
                let body: [UInt8]
                do {
                    body = try configuration.compression.compress(payload.body, level: configuration.compressionLevel)
                } catch {
                    throw .io("compression failed: \(error)")
                }
                built.append(
                    PreparedRequest(
                        bytes: Self.assemble(prefix: prefix, body: body), eventCount: payload.eventCount,
                        template: nil, headerPrefix: prefix))
            }
        }
        requests = built
    }

    /// Request line and headers up to (not including) Content-Length.
    static func headerPrefix(configuration: PayloadConfiguration, target: TargetURL, dataset: String, key: String)
        -> [UInt8]
    {
        var head = "POST \(target.basePath)\(configuration.kind.path(dataset: dataset)) HTTP/1.1\r\n"
        head += "Host: \(target.hostHeader)\r\n"
        head += "User-Agent: kelpie-load/1\r\n"
        head += "X-Honeycomb-Team: \(key)\r\n"
        if configuration.kind == .otlpTraces { head += "X-Honeycomb-Dataset: \(dataset)\r\n" }
        head += "Content-Type: \(configuration.kind.contentType)\r\n"
        if let encoding = configuration.compression.contentEncoding { head += "Content-Encoding: \(encoding)\r\n" }
        return Array(head.utf8)
    }

    static func assemble(prefix: [UInt8], body: [UInt8]) -> [UInt8] {
        var bytes = prefix
        bytes.reserveCapacity(prefix.count + body.count + 32)
        bytes.append(contentsOf: "Content-Length: \(body.count)\r\n\r\n".utf8)
        bytes.append(contentsOf: body)
        return bytes
    }

    /// Bytes for one send. In verify mode the template's ids are patched to `sequence…` and compressed now.
    public func bytes(for index: Int, sequence: UInt64) -> [UInt8] {
        let request = requests[index]
        guard var payload = request.template else { return request.bytes }
        payload.patchSequences(startingAt: sequence)
        let body = (try? configuration.compression.compress(payload.body, level: configuration.compressionLevel))
            ?? payload.body
        return Self.assemble(prefix: request.headerPrefix, body: body)
    }

    /// Mean request body size (compressed as sent), for the summary.
    public var meanBodyBytes: Int {
        guard !requests.isEmpty else { return 0 }
        var total = 0
        for index in requests.indices {
            let bytes = bytes(for: index, sequence: 0)
            total += bytes.count - (bytes.firstIndex(ofSubsequence: [13, 10, 13, 10]).map { $0 + 4 } ?? 0)
        }
        return total / requests.count
    }
}

extension Array where Element == UInt8 {
    public func firstIndex(ofSubsequence needle: [UInt8]) -> Int? {
        guard needle.count <= count else { return nil }
        var index = 0
        while index + needle.count <= count {
            if self[index] == needle[0] && Array(self[index..<(index + needle.count)]) == needle { return index }
            index += 1
        }
        return nil
    }
}
