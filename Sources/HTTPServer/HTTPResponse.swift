import EventModel
public import HTTP1

/// A complete response. Bodies are small for this server (statuses, probes, metrics), so they are bytes.
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Fields sent after the body. HTTP/2 only (gRPC's `grpc-status`); HTTP/1.1 answers leave them out.
    public var trailers: [(String, String)]
    /// What the route wants the server's observer to know about this request (self-telemetry's ingest
    /// facts); never sent, opaque to the server, handed over in ``RequestRecord/observation``.
    public var observation: (any Sendable)?

    public init(status: HTTPStatus, headers: [(String, String)] = [], body: [UInt8] = [], trailers: [(String, String)] = []) {
        self.status = status
        self.headers = headers
        self.body = body
        self.trailers = trailers
    }

    /// `{"error":"…"}` with `Content-Type: application/json`, the error shape Honeycomb's API uses.
    public static func jsonError(_ status: HTTPStatus, _ message: String, headers: [(String, String)] = []) -> HTTPResponse {
        var body: [UInt8] = []
        body.reserveCapacity(message.utf8.count + 16)
        body.append(contentsOf: #"{"error":""#.utf8)
        JSONStringEscaper.appendEscaped(message, to: &body)
        body.append(contentsOf: #""}"#.utf8)
        return HTTPResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: body)
    }

    /// A JSON body given as ready bytes.
    public static func json(_ status: HTTPStatus, _ body: [UInt8], headers: [(String, String)] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: body)
    }
}
