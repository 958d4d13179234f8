internal import Glibc

/// Errors the socket layer reports. System-call failures carry the call's name and `errno`.
public enum SocketError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A system call failed; `errno` is the value it left.
    case systemCall(name: String, errno: Int32)
    /// A host string that is not a numeric IPv4 or IPv6 address, or an unparsable "host:port".
    case invalidAddress(String)
    /// A configuration value outside its documented range.
    case invalidConfiguration(String)
    /// `start()` was called twice, or after `shutdown`.
    case alreadyStarted

    public var description: String {
        switch self {
        case .systemCall(let name, let errno):
            return "\(name) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        case .invalidAddress(let text):
            return "invalid socket address: \(text)"
        case .invalidConfiguration(let reason):
            return "invalid socket server configuration: \(reason)"
        case .alreadyStarted:
            return "socket server was already started"
        }
    }

    static func lastSystemCall(_ name: String) -> SocketError {
        .systemCall(name: name, errno: errno)
    }
}
