import HTTP1
import Testing
@testable import HTTPServer

@Suite struct RouterTests {
    let router = Router([
        Route(.post, "/1/batch/{dataset}") { _ in .now(HTTPResponse(status: .ok)) },
        Route(.post, "/1/events/{dataset}") { _ in .now(HTTPResponse(status: .ok)) },
        Route(.get, "/healthz") { _ in .now(HTTPResponse(status: .ok)) },
    ])

    @Test func parametersArePercentDecodedAfterRouting() throws {
        guard case .found(let route, let parameters) = router.match(method: .post, path: "/1/batch/my%20data%2Fset%20%E2%9C%93") else {
            Issue.record("no match")
            return
        }
        #expect(route.template == "/1/batch/{dataset}")
        #expect(parameters["dataset"] == "my data/set ✓")
    }

    @Test func anUnescapedSlashIsAnExtraSegment() {
        guard case .notFound = router.match(method: .post, path: "/1/batch/my%20data/set") else {
            Issue.record("an extra segment must not match")
            return
        }
    }

    @Test func wrongMethodIs405WithAllow() {
        guard case .methodNotAllowed(let allowed) = router.match(method: .get, path: "/1/batch/x") else {
            Issue.record("expected 405")
            return
        }
        #expect(allowed == [.post])
    }

    @Test func trailingSlashAndEmptyParameters() {
        if case .found = router.match(method: .get, path: "/healthz/") {} else { Issue.record("trailing slash") }
        if case .notFound = router.match(method: .post, path: "/1/batch/") {} else { Issue.record("empty dataset") }
        if case .notFound = router.match(method: .post, path: "/") {} else { Issue.record("root") }
    }

    @Test func brokenEscapesAreBadPaths() {
        for path in ["/1/batch/%", "/1/batch/%4", "/1/batch/%zz", "/1/batch/%FF%FE"] {
            guard case .badPath = router.match(method: .post, path: path[...]) else {
                Issue.record("\(path) should be a bad path")
                continue
            }
        }
    }

    @Test func percentDecoding() {
        #expect(PercentDecoding.decode("a%2Fb%20c") == "a/b c")
        #expect(PercentDecoding.decode("plain") == "plain")
        #expect(PercentDecoding.decode("%E2%9C%93") == "✓")
        #expect(PercentDecoding.decode("%C3") == nil)  // truncated UTF-8
    }
}
