import ArgumentParser
import LoadKit

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Report acknowledged events missing from a spool, and duplicates. Exit 2 when any is missing."
    )

    @Option(help: "File of acknowledged ids, one per line (written by `run --verify`).")
    var acked: String

    @Option(help: "Spool directory (*.jsonl segments, searched recursively) or a JSON-lines file; repeatable.")
    var spool: [String]

    @Option(help: "Only count ids starting with this prefix (e.g. the run id followed by '-').")
    var runPrefix: String?

    @Flag(help: "Also exit 2 when any id appears more than once (delivery is at-least-once, so off by default).")
    var failOnDuplicates = false

    @Option(help: "Write the report as JSON to this file.")
    var json: String?

    func run() throws {
        do {
            let ids = try AckLedger.readIDs(from: acked)
            let report = try SpoolVerifier.verify(acknowledged: ids, sources: spool, runPrefix: runPrefix)
            print(report.text, terminator: "")
            if let json { try FileIO.write(report.json + "\n", to: json) }
            if !report.passed || (failOnDuplicates && report.duplicatedIDs > 0) {
                throw ExitCode(ExitStatus.verifyFailed)
            }
        } catch let error as LoadError {
            writeStderr("kelpie-load verify: \(error)\n")
            throw ExitCode(ExitStatus.setupFailed)
        }
    }
}
