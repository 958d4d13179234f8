import ArgumentParser
import KelpieApp
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
        static let configuration = CommandConfiguration(
            abstract: "Print stored events as JSON lines, oldest first.",
            discussion: """
                Examples:
                  kelpie spool cat --data-dir ./data --dataset checkout --since 10m
                  kelpie spool cat --since 2026-12-03T16:00:00Z --limit 20
                  kelpie spool cat --follow --dataset checkout
                """
        )

        @Option(help: "Data directory, as given to kelpie serve. Env: KELPIE_DATA_DIR. Default ./data.")
        var dataDir: String?
        @Option(help: "Only events of this dataset (compared case-insensitively).")
        var dataset: String?
        @Option(help: "Only events whose time is at or after this: a duration back from now (30s, 10m, 2h) or an RFC 3339 time.")
        var since: String?
        @Option(help: "Stop after printing this many events.")
        var limit: Int?
        @Flag(help: "Keep printing events as they arrive (until interrupted).")
        var follow = false

        func validate() throws {
            if let limit, limit < 1 { throw ValidationError("--limit must be 1 or more (got \(limit))") }
            if let since, SpoolFilter.since(since, nowUnixNanos: 0, duration: ConfigValueParser.duration) == nil {
                throw ValidationError("--since '\(since)' is neither a duration (30s, 10m, 2h) nor an RFC 3339 time (2026-12-03T16:00:00Z)")
            }
        }

        func run() throws {
            let directory = Spool.dataDirectory(dataDir)
            let reader = SpoolReader(dataDirectory: directory)
            var filter = SpoolFilter()
            filter.dataset = dataset.map { Array($0.utf8) }
            filter.sinceUnixNanos = since.flatMap {
                SpoolFilter.since($0, nowUnixNanos: Spool.nowUnixNanos(), duration: ConfigValueParser.duration)
            }
            let output = LineWriter()
            var printed = 0
            let limit = limit ?? Int.max
            // Returns false once the limit is reached, which stops the reader.
            func emit(_ line: UnsafeRawBufferPointer) -> Bool {
                guard printed < limit else { return false }
                if filter.keepsEverything || filter.matches(line) {
                    output.write(line)
                    printed += 1
                }
                return printed < limit
            }
            try Spool.explainingMissingDirectory(directory) {
                if follow {
                    signal(SIGPIPE, SIG_DFL)
                    try reader.follow(pollInterval: .milliseconds(200), shouldStop: { false }) { line in
                        if !emit(line) {
                            output.flush()
                            Glibc.exit(0)
                        }
                    }
                } else {
                    try reader.forEachLine(emit)
                }
            }
            output.flush()
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List segment files, oldest first.")

        @Option(help: "Data directory, as given to kelpie serve. Env: KELPIE_DATA_DIR. Default ./data.")
        var dataDir: String?

        func run() throws {
            let directory = Spool.dataDirectory(dataDir)
            try Spool.explainingMissingDirectory(directory) {
                for segment in try SpoolReader(dataDirectory: directory).segments() { print(segment) }
            }
        }
    }

    static func dataDirectory(_ flag: String?) -> String {
        flag ?? Environment.current["KELPIE_DATA_DIR"] ?? "./data"
    }

    /// A directory that cannot be read is almost always the wrong one: say which and how to name the right one.
    static func explainingMissingDirectory(_ directory: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as WALIOError where error.path == directory {
            StartupFailure(
                .unreadableInput,
                "no spool to read at '\(directory)' (\(error.description)). Pass --data-dir DIR or set KELPIE_DATA_DIR "
                    + "to the directory kelpie serve writes to (its --data-dir; default ./data, relative to where it was started)."
            ).printToStandardError()
            throw ExitCode(StartupFailure.Kind.unreadableInput.rawValue)
        }
    }

    static func nowUnixNanos() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
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
        buffer.withUnsafeBytes { FileDescriptorOutput.writeAll($0, to: STDOUT_FILENO) }
        buffer.removeAll(keepingCapacity: true)
    }
}
