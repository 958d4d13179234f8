public import Foundation

/// A captured client request from shared/fixtures/wire (copied into a test target's Fixtures folder):
/// the raw path, headers in wire order, the raw body, and what the capture decoded from it.
public struct WireFixture {
    public let name: String
    public let method: String
    public let path: String
    public let headers: [(String, String)]
    public let body: [UInt8]
    /// The `decoded` member of NAME.decoded.json (JSON array, object, or nil for empty bodies).
    public let decoded: Any?

    public init(name: String, directory: URL) throws {
        self.name = name
        let head = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("\(name).headers.json"))) as! [String: Any]
        method = head["method"] as! String
        path = head["path"] as! String
        headers = (head["headers"] as! [[String]]).map { ($0[0], $0[1]) }
        body = Array(try Data(contentsOf: directory.appendingPathComponent("\(name).body")))
        let decodedFile = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("\(name).decoded.json"))) as! [String: Any]
        decoded = decodedFile["decoded"]
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// The request bytes as the client sent them, headers in their order. Content-Length is set to the body's
    /// real size: one capture (otel-py-traces-protobuf-gzip) was recompressed after capture, one byte longer.
    public var requestBytes: [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\n"
        for (name, value) in headers {
            let actual = name.lowercased() == "content-length" ? String(body.count) : value
            head += "\(name): \(actual)\r\n"
        }
        head += "\r\n"
        return Array(head.utf8) + body
    }
}
