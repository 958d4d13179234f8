/// Errors that stop a run before or after it (never inside the load loop, which counts failures instead).
public enum LoadError: Error, Equatable, CustomStringConvertible {
    case invalidArgument(String)
    case resolve(String)
    case system(String, errno: Int32)
    case io(String)

    public var description: String {
        switch self {
        case .invalidArgument(let message): return message
        case .resolve(let message): return message
        case .system(let call, let code): return "\(call) failed: errno \(code)"
        case .io(let message): return message
        }
    }
}
