import HTTP1
import HTTPServer

/// Cross-origin access for browser SDKs (libhoney-js in a page, OpenTelemetry JS): every answer of a
/// wrapped route carries `Access-Control-Allow-Origin: *`, and `OPTIONS` on its path answers the preflight
/// with the Honeycomb and OTLP headers allowed. Credentials are never allowed (the key travels in a header).
enum CORS {
    static let allowedHeaders = [
        "Content-Type", "Content-Encoding", "X-Honeycomb-Team", "X-Hny-Team", "X-Honeycomb-Dataset",
        "X-Honeycomb-Event-Time", "X-Honeycomb-Samplerate", "X-Honeycomb-UserAgent", "User-Agent",
        "Traceparent", "Tracestate",
    ].joined(separator: ", ")
    /// Browsers may cache a preflight answer this long (seconds).
    static let maxAgeSeconds = 86_400
    /// Methods a page can send; on a wrapped path the ones it does not serve answer 405 here, with the
    /// CORS header, so a browser shows the 405 rather than an opaque CORS failure. Other tokens still get
    /// the router's plain 405.
    static let browserMethods: [HTTPMethod] = [.get, .head, .post, .put, .delete, .patch]

    /// The routes with the header added to every answer, plus one preflight route per distinct path.
    static func wrap(_ routes: [Route]) -> [Route] {
        var wrapped: [Route] = []
        var methodsByPath: [(String, [HTTPMethod])] = []
        for route in routes {
            wrapped.append(Route(route.method, route.template) { request in
                route.handler(request).map { response in
                    var response = response
                    response.headers.append(("Access-Control-Allow-Origin", "*"))
                    return response
                }
            })
            if let index = methodsByPath.firstIndex(where: { $0.0 == route.template }) {
                methodsByPath[index].1.append(route.method)
            } else {
                methodsByPath.append((route.template, [route.method]))
            }
        }
        for (template, methods) in methodsByPath {
            let allow = (methods + [.options]).map(\.rawValue).joined(separator: ", ")
            for method in browserMethods where !methods.contains(method) {
                wrapped.append(Route(method, template) { _ in
                    .now(.jsonError(.methodNotAllowed, "method not allowed", headers: [
                        ("Allow", allow), ("Access-Control-Allow-Origin", "*"),
                    ]))
                })
            }
            wrapped.append(Route(.options, template) { _ in
                .now(HTTPResponse(status: .noContent, headers: [
                    ("Access-Control-Allow-Origin", "*"),
                    ("Access-Control-Allow-Methods", allow),
                    ("Access-Control-Allow-Headers", allowedHeaders),
                    ("Access-Control-Max-Age", String(maxAgeSeconds)),
                    ("Vary", "Origin"),
                ]))
            })
        }
        return wrapped
    }
}
