import EventModel
public import HTTP1

/// A complete response. Bodies are small for this server (statuses, probes, metrics), so they are bytes.
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: HTTPStatus, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
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
