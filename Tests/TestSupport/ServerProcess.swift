public import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A `kelpie` child process for tests that need a real process: crash (SIGKILL) and drain (SIGTERM)
/// behaviour. Started with `--listen 127.0.0.1:0`; the bound port is read from its "listening" log line.
public final class ServerProcess: @unchecked Sendable {
    public let process: Process
    public let port: UInt16
    public let logPath: String

    /// The built `kelpie` binary: `KELPIE_BIN`, else next to the test bundle, else `.build/debug/kelpie`.
    public static func binaryPath() -> String {
        if let explicit = ProcessInfo.processInfo.environment["KELPIE_BIN"] { return explicit }
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kelpie").path
        if FileManager.default.isExecutableFile(atPath: besideTests) { return besideTests }
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        return root.appendingPathComponent(".build/debug/kelpie").path
    }

    public var pid: Int32 { process.processIdentifier }

    /// Starts `kelpie serve` with `arguments` (listen address added) and waits until it logs that it listens.
    public init(arguments: [String], logPath: String, timeoutSeconds: Double = 30) throws {
        self.logPath = logPath
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binaryPath())
        process.arguments = ["serve", "--listen", "127.0.0.1:0"] + arguments
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        var found: UInt16?
        while found == nil, Date() < deadline, process.isRunning {
            if let text = try? String(contentsOfFile: logPath, encoding: .utf8),
               let range = text.range(of: #""address":"127.0.0.1:"#) {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                // Only a complete number: the log line may be caught half written ("…:4" of ":45678").
                if text[digits.endIndex...].hasPrefix("\"") { found = UInt16(digits) }
            }
            if found == nil { usleep(10_000) }
        }
        guard let found else {
            process.terminate()
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "kelpie did not start: \(text)"])
        }
        port = found
    }

    public func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }

    /// Waits for exit; returns the exit status, or nil if it did not exit in time (then it is killed).
    public func waitForExit(timeoutSeconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
