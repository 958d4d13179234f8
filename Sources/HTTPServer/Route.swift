public import HTTP1

/// A route: a method and a path template such as `/1/batch/{dataset}`, and what answers it.
public struct Route: Sendable {
    /// Runs on the connection's lane; answers now, or returns a pending answer completed later.
    public typealias Handler = @Sendable (HTTPRequest) -> RouteAnswer

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    public let method: HTTPMethod
    /// The template as written; also the bounded `route` label for metrics.
    public let template: String
    let segments: [Segment]
    public let handler: Handler

    public init(_ method: HTTPMethod, _ template: String, handler: @escaping Handler) {
        self.method = method
        self.template = template
        self.segments = template.split(separator: "/", omittingEmptySubsequences: true).map { part in
            if part.hasPrefix("{") && part.hasSuffix("}") {
                return .parameter(String(part.dropFirst().dropLast()))
            }
            return .literal(String(part))
        }
        self.handler = handler
    }
}
