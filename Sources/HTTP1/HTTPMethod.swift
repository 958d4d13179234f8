/// A request method. String-backed rather than a closed enum so that any token parses;
/// comparison is exact and case-sensitive, as methods are (RFC 9110 §9.1).
public struct HTTPMethod: Hashable, Sendable, RawRepresentable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    public var description: String { rawValue }

    public static let get = HTTPMethod(rawValue: "GET")
    public static let head = HTTPMethod(rawValue: "HEAD")
    public static let post = HTTPMethod(rawValue: "POST")
    public static let put = HTTPMethod(rawValue: "PUT")
    public static let delete = HTTPMethod(rawValue: "DELETE")
    public static let options = HTTPMethod(rawValue: "OPTIONS")
    public static let patch = HTTPMethod(rawValue: "PATCH")
}

extension HTTPMethod {
    /// The method for a validated token, reusing the constants for the common ones.
    /// All method names here fit Swift's inline small-string form, so no allocation either way
    /// for tokens up to 15 bytes.
    static func parse(_ token: UnsafeRawBufferPointer) -> HTTPMethod {
        switch token.count {
        case 3:
            if ByteScan.equals(token, "GET") { return .get }
            if ByteScan.equals(token, "PUT") { return .put }
        case 4:
            if ByteScan.equals(token, "POST") { return .post }
            if ByteScan.equals(token, "HEAD") { return .head }
        case 5:
            if ByteScan.equals(token, "PATCH") { return .patch }
        case 6:
            if ByteScan.equals(token, "DELETE") { return .delete }
        case 7:
            if ByteScan.equals(token, "OPTIONS") { return .options }
        default:
            break
        }
        return HTTPMethod(rawValue: String(decoding: token, as: UTF8.self))
    }
}
