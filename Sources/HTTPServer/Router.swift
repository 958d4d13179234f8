public import HTTP1

/// A static table from method + path template to handler. Matching runs on the raw (still encoded) path
/// split at `/`, so `%2F` inside a dataset name never creates a segment; parameters are then percent-decoded.
public struct Router: Sendable {
    public enum Match: Sendable {
        case found(Route, parameters: [String: String])
        /// The path exists but not for this method; `allowed` feeds the `Allow` header.
        case methodNotAllowed(allowed: [HTTPMethod])
        case notFound
        /// A parameter segment had a broken percent escape or was not UTF-8.
        case badPath
    }

    private var routes: [Route] = []

    public init(_ routes: [Route] = []) {
        self.routes = routes
    }

    public mutating func add(_ route: Route) {
        routes.append(route)
    }

    public var allRoutes: [Route] { routes }

    public func match(method: HTTPMethod, path: Substring) -> Match {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        // A trailing slash ("/v1/traces/") matches the same route, as Refinery's router does.
        let trimmed = segments.last == "" ? segments.dropLast() : segments[...]
        var allowed: [HTTPMethod] = []
        for route in routes where route.segments.count == trimmed.count {
            var parameters: [String: String] = [:]
            var matched = true
            for (pattern, actual) in zip(route.segments, trimmed) {
                switch pattern {
                case .literal(let literal):
                    if actual != literal[...] { matched = false }
                case .parameter(let name):
                    if actual.isEmpty { matched = false; break }
                    guard let decoded = PercentDecoding.decode(actual) else { return .badPath }
                    parameters[name] = decoded
                }
                if !matched { break }
            }
            guard matched else { continue }
            if route.method == method { return .found(route, parameters: parameters) }
            allowed.append(route.method)
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }
}
