import ArgumentParser
import Pipeline

#if canImport(Glibc)
import Glibc
#endif

/// `kelpie spool …`: look at what the embedded spool holds.
struct Spool: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect the local spool (WAL segment files).",
        subcommands: [Cat.self, List.self]
    )

    struct Cat: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print stored events as JSON lines, oldest first.")

        @Option(help: "Data directory. Env: KELPIE_DATA_DIR. Default ./data.")
        var dataDir: String?
        @Flag(help: "Keep printing events as they arrive (until interrupted).")
        var follow = false

        func run() throws {
            let reader = SpoolReader(dataDirectory: dataDir ?? Environment.current["KELPIE_DATA_DIR"] ?? "./data")
            let output = LineWriter()
            if follow {
                signal(SIGPIPE, SIG_DFL)
                try reader.follow(pollInterval: .milliseconds(200), shouldStop: { false }) { output.write($0) }
            } else {
                try reader.forEachLine { line in output.write(line) }
            }
            output.flush()
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List segment files, oldest first.")

        @Option(help: "Data directory. Env: KELPIE_DATA_DIR. Default ./data.")
        var dataDir: String?

        func run() throws {
            let reader = SpoolReader(dataDirectory: dataDir ?? Environment.current["KELPIE_DATA_DIR"] ?? "./data")
            for segment in try reader.segments() { print(segment) }
        }
    }
}

/// Buffered stdout for JSON lines (print() would convert every line to a String first).
final class LineWriter {
    private var buffer: [UInt8] = []

    @discardableResult
    func write(_ line: UnsafeRawBufferPointer) -> Bool {
        buffer.append(contentsOf: line)
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= 64 * 1024 { flush() }
        return true
    }

    func flush() {
        buffer.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
