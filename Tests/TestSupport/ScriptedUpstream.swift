import CZstd
import DispatchSockets
import Foundation
import HTTP1
import HTTPServer
import Logging
import Locking

/// A Honeycomb-compatible upstream the test scripts: a real HTTP server on 127.0.0.1 that answers
/// `POST /1/batch/{dataset}` as told (accept, reject marked events, a whole-request status) and records
/// every batch it received, decompressed, with its headers.
public final class ScriptedUpstream: Sendable {
    public enum Mode: Sendable {
        /// 200 with a 202 per event.
        case accept
        /// 200 with a 400 for events whose data contains `marker`, 202 for the rest.
        case rejectMarked(String)
        /// The whole request answered with `status`, and `Retry-After` if given.
        case status(Int, retryAfter: String?)
    }

    public struct Received: Sendable {
        public var dataset: String
        public var apiKey: String?
        public var contentEncoding: String?
        /// The batch items, each as its JSON text.
        public var items: [String]
        public var answered: Int
        public var at: ContinuousClock.Instant
    }

    private struct State {
        var mode: Mode = .accept
        /// One-shot answers, used in order before `mode`.
        var next: [Mode] = []
        var received: [Received] = []
    }

    private let state = Lock(State())
    private let server: Server
    public let port: UInt16

    /// Starts on 127.0.0.1, on `port` if given (0: any free port).
    public init(port: UInt16 = 0, mode: Mode = .accept) throws {
        var socket = SocketServerConfiguration()
        socket.host = "127.0.0.1"
        socket.port = port
        socket.laneCount = 1
        var logger = Logger(label: "scripted-upstream")
        logger.logLevel = .error
        let box = StateBox()
        let router = Router([
            Route(.post, "/1/batch/{dataset}") { request in .now(box.upstream!.answer(request)) },
        ])
        server = Server(configuration: ServerConfiguration(socket: socket), router: router, logger: logger)
        state.withLock { $0.mode = mode }
        self.port = try server.start().port
        box.upstream = self
    }

    public var url: String { "http://127.0.0.1:\(port)" }

    public func setMode(_ mode: Mode) { state.withLock { $0.mode = mode } }

    /// Answers the next requests with `modes`, one each, then goes back to the standing mode.
    public func answerNext(_ modes: Mode...) { state.withLock { $0.next += modes } }

    /// Every request received so far, in arrival order.
    public var received: [Received] { state.withLock { $0.received } }

    /// Items of requests answered 200, in arrival order.
    public var acceptedItems: [String] {
        received.filter { $0.answered == 200 }.flatMap(\.items)
    }

    public func stop() {
        let done = DispatchSemaphore(value: 0)
        server.stopAccepting()
        server.closeConnectionsGracefully()
        server.shutdown { done.signal() }
        done.wait()
    }

    private func answer(_ request: HTTPRequest) -> HTTPResponse {
        let encoding = request.head.headers["Content-Encoding"]
        let body = encoding == "zstd" ? Self.unzstd(request.body) : request.body
        let items = (try? JSONSerialization.jsonObject(with: Data(body)) as? [Any]).map { array in
            array.map { canonicalJSON($0) }
        } ?? []
        let mode = state.withLock { $0.next.isEmpty ? $0.mode : $0.next.removeFirst() }
        let response: HTTPResponse
        switch mode {
        case .accept:
            response = .json(.ok, Array(("[" + items.map { _ in #"{"status":202}"# }.joined(separator: ",") + "]").utf8))
        case .rejectMarked(let marker):
            let statuses = items.map { $0.contains(marker) ? #"{"status":400,"error":"marked"}"# : #"{"status":202}"# }
            response = .json(.ok, Array(("[" + statuses.joined(separator: ",") + "]").utf8))
        case .status(let code, let retryAfter):
            response = .jsonError(
                HTTPStatus(code: code, reason: "Scripted"), "scripted \(code)",
                headers: retryAfter.map { [("Retry-After", $0)] } ?? []
            )
        }
        let received = Received(
            dataset: request.parameters["dataset"] ?? "", apiKey: request.head.headers["X-Honeycomb-Team"],
            contentEncoding: encoding, items: items, answered: response.status.code, at: .now
        )
        state.withLock { $0.received.append(received) }
        return response
    }

    private static func unzstd(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { source in
            let size = ZSTD_getFrameContentSize(source.baseAddress, source.count)
            guard size != ZSTD_CONTENTSIZE_ERROR, size != ZSTD_CONTENTSIZE_UNKNOWN else { return [] }
            var out = [UInt8](repeating: 0, count: Int(size))
            let written = out.withUnsafeMutableBytes {
                ZSTD_decompress($0.baseAddress, $0.count, source.baseAddress, source.count)
            }
            return ZSTD_isError(written) != 0 ? [] : Array(out.prefix(written))
        }
    }
}

/// The route is built before the upstream exists; it reaches it through this box, set once at start.
private final class StateBox: @unchecked Sendable {
    // @unchecked: written once before the server takes its first request, read-only after.
    var upstream: ScriptedUpstream?
}
