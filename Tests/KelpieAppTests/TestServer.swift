import Foundation
import KelpieApp
import Logging
import TestSupport

/// A real Kelpie, wired exactly as the executable wires it, on 127.0.0.1 port 0 with a fresh data dir.
final class TestServer: @unchecked Sendable {
    let app: KelpieApplication
    let port: UInt16
    let dataDirectory: TemporaryDirectory

    convenience init(_ configure: (inout AppConfiguration) -> Void = { _ in }) throws {
        try self.init(rateLimitClock: nil, configure)
    }

    /// `rateLimitClock`: the per-key token buckets' clock in nanoseconds (a ``ManualClock`` in rate-limit tests).
    init(rateLimitClock: (@Sendable () -> Int64)?, _ configure: (inout AppConfiguration) -> Void) throws {
        dataDirectory = try TemporaryDirectory(prefix: "kelpie-app")
        var configuration = AppConfiguration()
        configuration.listen = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.dataDirectory = dataDirectory.path
        configuration.laneCount = 2
        configuration.drainDelay = .zero
        configuration.shutdownTimeout = .seconds(5)
        configure(&configuration)
        var logger = Logger(label: "kelpie-test")
        logger.logLevel = .warning
        app = try KelpieApplication(configuration: configuration, logger: logger, rateLimitClock: rateLimitClock)
        port = try app.start().port
    }

    func client() throws -> RawHTTPClient { try RawHTTPClient(port: port) }

    /// Stops gracefully (flushing the WAL) and returns every event in the spool.
    func stopAndReadSpool() async throws -> [[String: Any]] {
        await app.shutdown()
        return try readSpoolEvents(dataDirectory: dataDirectory.path)
    }

    func stop() async {
        await app.shutdown()
        dataDirectory.remove()
    }

    static let key = "hcaik_01hzacceptancetestkey0000000000000000000000000000000000000"
    static let authHeader = ("X-Honeycomb-Team", key)

    /// The directory holding the copied wire fixtures.
    static var fixtures: URL { Bundle.module.resourceURL!.appendingPathComponent("Fixtures") }
}
