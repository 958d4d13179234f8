/// Generates realistic events (service/route strings, a high-cardinality user id, ints, floats, bools,
/// a nested object, trace ids) padded with a `message` string to the shape's target JSON size.
public struct EventGenerator: Sendable {
    /// Name of the field that carries the verification id (`"<run>-<seq>"`).
    public static let verifyFieldName = "kelpie_load_id"
    /// Digits of the sequence part of a verification id; fixed width so ids can be patched in place.
    public static let verifySequenceDigits = 12

    public let shape: EventShape
    /// When set, every event starts with `kelpie_load_id: "<run>-000000000000"` (patched per send).
    public let verifyRunID: String?
    private var rng: SplitMix64

    private static let services = [
        "api-gateway", "checkout", "payments", "inventory", "search", "auth", "frontend", "shipping",
    ]
    private static let routes = [
        "GET /api/v1/items/{id}", "GET /api/v1/items", "POST /api/v1/cart", "GET /api/v1/cart",
        "POST /api/v1/checkout", "GET /healthz", "GET /api/v1/search", "POST /api/v1/login",
        "GET /api/v1/users/{id}", "PUT /api/v1/users/{id}", "DELETE /api/v1/cart/{id}", "GET /",
    ]
    private static let regions = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-south-1"]
    private static let words = [
        "request", "handled", "upstream", "cache", "miss", "hit", "retry", "queue", "latency", "user",
        "session", "token", "refreshed", "payload", "accepted", "shard", "replica", "timeout", "ok", "done",
    ]

    public init(shape: EventShape, verifyRunID: String? = nil, stream: UInt64 = 0) {
        self.shape = shape
        self.verifyRunID = verifyRunID
        self.rng = SplitMix64(seed: shape.seed &* 0x1000_0000_01B3 &+ stream)
    }

    /// The placeholder value of the verify field for `runID` (sequence digits all zero).
    public static func verifyPlaceholder(runID: String) -> String {
        runID + "-" + String(repeating: "0", count: verifySequenceDigits)
    }

    public mutating func next(timeUnixNanos: Int64) -> GeneratedEvent {
        var fields: [(String, FieldValue)] = []
        if let run = verifyRunID {
            fields.append((Self.verifyFieldName, .string(Self.verifyPlaceholder(runID: run))))
        }
        let service = Self.services[pick(Self.services.count)]
        fields.append(("service.name", .string(service)))
        fields.append(("name", .string(Self.routes[pick(Self.routes.count)])))
        let roll = pick(100)
        let status: Int64 = roll < 90 ? 200 : (roll < 96 ? 404 : 500)
        fields.append(("http.status_code", .int(status)))
        fields.append(("duration_ms", .double(Double(pick(2_000_000)) / 1000)))
        fields.append(("user.id", .string("user-\(pick(shape.stringCardinality))")))
        fields.append(("error", .bool(status >= 500)))
        fields.append(("trace.trace_id", .string(hex(bytes: 16))))
        fields.append(("trace.span_id", .string(hex(bytes: 8))))
        fields.append(("trace.parent_id", .string(hex(bytes: 8))))
        fields.append(("bytes_out", .int(Int64(pick(64_000)))))
        fields.append((
            "host",
            .object([
                ("name", .string("ip-10-0-\(pick(16))-\(pick(250))")),
                ("region", .string(Self.regions[pick(Self.regions.count)])),
                ("cores", .int(Int64(2 << pick(4)))),
            ])
        ))
        pad(&fields)
        return GeneratedEvent(fields: fields, timeUnixNanos: timeUnixNanos)
    }

    /// Adds a `message` field whose length brings the compact JSON object to the target size.
    private mutating func pad(_ fields: inout [(String, FieldValue)]) {
        let current = JSONWriter.encodedCount(ofObject: fields)
        let overhead = #","message":"""#.utf8.count
        let room = shape.targetDataBytes - current - overhead
        guard room > 0 else { return }
        var text = ""
        text.reserveCapacity(room + 16)
        while text.utf8.count < room {
            if !text.isEmpty { text += " " }
            text += Self.words[pick(Self.words.count)]
        }
        fields.append(("message", .string(String(text.utf8.prefix(room))!)))
    }

    private mutating func pick(_ bound: Int) -> Int { Int(rng.next() % UInt64(bound)) }

    private mutating func hex(bytes: Int) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes * 2)
        var word = rng.next()
        for i in 0..<(bytes * 2) {
            if i % 16 == 0 && i > 0 { word = rng.next() }
            out.append(digits[Int(word & 0xF)])
            word >>= 4
        }
        return String(decoding: out, as: UTF8.self)
    }
}
