import ArgumentParser
import LoadKit

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Report acknowledged events missing from a spool or Kafka topics, and duplicates. Exit 2 when any is missing."
    )

    @Option(help: "File of acknowledged ids, one per line (written by `run --verify`).")
    var acked: String

    @Option(help: "Spool directory (*.jsonl segments, searched recursively) or a JSON-lines file; repeatable.")
    var spool: [String] = []

    @OptionGroup var kafka: KafkaVerifyOptions

    @Option(help: "Kafka topic templates with {dataset}: the run's dataset name (with --datasets: the prefix).")
    var dataset: String = "kelpie-load"

    @Option(help: "Kafka topic templates with {dataset}: the run's --datasets count.")
    var datasets: Int = 1

    @Option(help: "Only count ids starting with this prefix (e.g. the run id followed by '-').")
    var runPrefix: String?

    @Flag(help: "Also exit 2 when any id appears more than once (delivery is at-least-once, so off by default).")
    var failOnDuplicates = false

    @Option(help: "Write the report as JSON to this file.")
    var json: String?

    func run() throws {
        do {
            guard spool.isEmpty != (kafka.kafkaBrokers == nil) else {
                throw LoadError.invalidArgument("give either --spool or --kafka-brokers")
            }
            let ids = try AckLedger.readIDs(from: acked)
            let report = try kafka.verify(
                acknowledged: ids, datasets: PayloadConfiguration.names(prefix: dataset, count: datasets), runPrefix: runPrefix)
                ?? SpoolVerifier.verify(acknowledged: ids, sources: spool, runPrefix: runPrefix)
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
