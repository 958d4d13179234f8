import EventModel
import HTTP1
import HTTPServer
import Ingest

/// `GET /1/auth`: what Honeycomb answers about a key, for libhoney's `VerifyAPIKey` and Refinery's
/// environment lookups: `{id, type, api_key_access{…}, environment{name, slug}, team{name, slug}}`.
final class AuthRoutes: Sendable {
    private let keys: APIKeyStore
    private let metrics: KelpieMetrics

    init(keys: APIKeyStore, metrics: KelpieMetrics) {
        self.keys = keys
        self.metrics = metrics
    }

    var routes: [Route] {
        [Route(.get, "/1/auth") { [self] request in .now(auth(request)) }]
    }

    func auth(_ request: HTTPRequest) -> HTTPResponse {
        guard let key = IngestAdmission.apiKey(request.head.headers) else {
            metrics.recordRefusal(.unauthorized)
            return .jsonError(.unauthorized, IngestAdmission.missingKeyMessage)
        }
        guard case .admitted(let entry) = keys.authenticate(key) else {
            metrics.recordRefusal(.unauthorized)
            return .jsonError(.unauthorized, IngestAdmission.unknownKeyMessage)
        }
        // Classic keys have no environment: Honeycomb answers empty strings.
        let environment = APIKeyKind(key: key) == .classic ? APIKeyEntry.Named(name: "", slug: "") : entry.environment
        var body: [UInt8] = []
        body.reserveCapacity(384)
        func field(_ name: String, _ value: String) {
            body.append(contentsOf: "\"\(name)\":\"".utf8)
            JSONStringEscaper.appendEscaped(value, to: &body)
            body.append(UInt8(ascii: "\""))
        }
        body.append(UInt8(ascii: "{"))
        field("id", entry.id)
        body.append(UInt8(ascii: ","))
        field("type", entry.type)
        body.append(contentsOf: #","api_key_access":{"#.utf8)
        let access: [(String, Bool)] = [
            ("events", entry.sendEvents), ("markers", false), ("triggers", false), ("boards", false),
            ("queries", false), ("columns", false), ("createDatasets", entry.createDatasets), ("slos", false),
            ("recipients", false), ("privateBoards", false),
        ]
        body.append(contentsOf: access.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",").utf8)
        body.append(contentsOf: #"},"environment":{"#.utf8)
        field("name", environment.name)
        body.append(UInt8(ascii: ","))
        field("slug", environment.slug)
        body.append(contentsOf: #"},"team":{"#.utf8)
        field("name", entry.team.name)
        body.append(UInt8(ascii: ","))
        field("slug", entry.team.slug)
        body.append(contentsOf: "}}".utf8)
        return .json(.ok, body)
    }
}
