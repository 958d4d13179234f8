public import ArgumentParser
import Glibc
import LoadKit

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Drive an endpoint at a fixed arrival rate (open loop) or as fast as it answers (closed loop)."
    )

    @Option(help: "Base URL of the endpoint, http://host[:port][/prefix].")
    var target: String

    @Option(help: "Requests per second across all connections (open loop). 0 means closed loop.")
    var rate: Double = 0

    @Flag(help: "Closed loop: each connection sends its next request as soon as the previous answer is complete.")
    var closed = false

    @Option(help: "Unit of --rate and --schedule: requests or events (events are divided by the batch size).")
    var rateUnit: RateUnit = .requests

    @Option(help: "Measured duration (e.g. 30s, 500ms, 2m). With --schedule, the default length of each step.")
    var duration: String = "10s"

    @Option(help: "Warm-up before measuring, at the first rate; its requests reach the server but not the results. Default 1s (0s with --requests).")
    var warmup: String?

    @Option(help: "Step schedule: FROM:TO:STEPS (evenly spaced rates) or R1,R2,... Reports each step; finds the knee.")
    var schedule: String?

    @Option(help: "Length of each --schedule step (default: --duration).")
    var stepDuration: String?

    @Option(help: "Concurrent keep-alive connections.")
    var connections: Int = 8

    @Option(help: "Load threads, each with its own epoll loop and a share of connections and rate.")
    var threads: Int = 1

    @OptionGroup var shape: PayloadOptions

    @Option(help: "Number of datasets (<dataset>-0 ... -N-1), spread round-robin over requests.")
    var datasets: Int = 1

    @Option(name: .customLong("key"), help: "API key sent as X-Honeycomb-Team; repeat for several keys.")
    var keyList: [String] = []

    @Option(help: "Number of generated API keys (kelpie-load-key-0 ...), when no --key is given.")
    var keys: Int = 1

    @Option(help: "Distinct request bodies generated before the run and reused round-robin.")
    var pool: Int = PayloadConfiguration.defaultPoolSize

    @Option(help: "Fixed work: stop after this many requests in total (durations become upper bounds; rates are over the nominal duration).")
    var requests: Int?

    @Option(help: "Per-request timeout (counted as an error, connection reopened).")
    var timeout: String = "10s"

    @Option(help: "Write the full result as JSON to this file.")
    var json: String?

    @Option(help: "Exit with status 1 when the error rate (failed requests, or failed events in batch replies) exceeds this fraction.")
    var maxErrorRate: Double?

    @Flag(help: "Tag every event with a unique kelpie_load_id and record which ids were acknowledged.")
    var verify = false

    @Option(help: "Run id used in verify ids (default: random).")
    var runID: String?

    @Option(help: "With --verify: file for acknowledged ids, one per line (default kelpie-load-acked-<run>.txt).")
    var acked: String?

    @Option(help: "With --verify: spool directory or JSON-lines file to check right after the run; repeatable.")
    var spool: [String] = []

    @Option(help: "With --verify and --spool: wait this long before reading the spool (sink flush).")
    var verifyDelay: String = "0s"

    @OptionGroup(title: "With --verify: check against Kafka instead of a spool")
    var kafka: KafkaVerifyOptions

    @Option(help: "Progress display: auto (one updating line on a TTY, periodic lines otherwise), line, plain or none.")
    var progress: ProgressMode = .auto

    @Option(help: "Seconds between plain progress lines.")
    var progressInterval: Double = 1

    mutating func run() throws {
        do {
            try execute()
        } catch let error as LoadError {
            writeStderr("kelpie-load: \(error)\n")
            throw ExitCode(ExitStatus.setupFailed)
        }
    }

    func execute() throws {
        let targetURL = try TargetURL(parsing: target)
        let kind = shape.payload
        let datasetNames = PayloadConfiguration.names(prefix: shape.dataset, count: datasets)
        let apiKeys = keyList.isEmpty ? PayloadConfiguration.names(prefix: "kelpie-load-key", count: keys) : keyList
        let run = runID ?? Self.randomRunID()
        let payloadConfiguration = shape.configuration(
            datasets: datasetNames, apiKeys: apiKeys, poolSize: pool, verifyRunID: verify ? run : nil)
        let eventsPerRequest = Double(kind == .singleJSON ? 1 : payloadConfiguration.batchSize)
        let unitScale = rateUnit == .events ? 1 / eventsPerRequest : 1
        let steps = try schedule.map { try LoadPlan.parseSteps($0).map { $0 * unitScale } }
        let plan = LoadPlan.make(
            rate: closed ? 0 : rate * unitScale, durationNanos: try LoadPlan.parseDuration(duration),
            warmupNanos: try LoadPlan.parseDuration(warmup ?? (requests == nil ? "1s" : "0s")), steps: closed ? steps.map { $0.map { _ in 0 } } : steps,
            stepDurationNanos: try stepDuration.map { try LoadPlan.parseDuration($0) })
        let configuration = LoadConfiguration(
            target: targetURL, connections: connections, threads: threads, plan: plan,
            requestTimeoutNanos: try LoadPlan.parseDuration(timeout), verify: verify, maxRequests: requests)

        let requestPool = try RequestPool(configuration: payloadConfiguration, target: targetURL)
        let display = ProgressDisplay(mode: progress)
        let result = try LoadRunner.run(
            configuration: configuration, pool: requestPool,
            progressIntervalNanos: Int64((display.isLive ? 0.25 : progressInterval) * 1e9),
            progress: display.mode == .none ? nil : { display.show($0) })
        display.finish()
        print(ResultFormatter.summary(result), terminator: "")

        var extra: [(String, String)] = []
        var verifyPassed = true
        if verify {
            let ledger = AckLedger(runID: run, sequences: result.ackedSequences)
            let ackedPath = acked ?? "kelpie-load-acked-\(run).txt"
            try ledger.write(to: ackedPath)
            print("verify: run id \(run), \(ledger.sequences.count) acknowledged events written to \(ackedPath)")
            extra.append(("verify_run_id", ResultFormatter.quote(run)))
            extra.append(("acked_file", ResultFormatter.quote(ackedPath)))
            if !spool.isEmpty || kafka.kafkaBrokers != nil {
                MonotonicClock.sleep(nanos: try LoadPlan.parseDuration(verifyDelay))
                let report = try kafka.verify(acknowledged: ledger.ids, datasets: datasetNames, runPrefix: run + "-")
                    ?? SpoolVerifier.verify(acknowledged: ledger.ids, sources: spool, runPrefix: run + "-")
                print(report.text, terminator: "")
                extra.append(("verify", report.json))
                verifyPassed = report.passed
            }
        }
        if let json {
            try FileIO.write(ResultFormatter.json(result, extra: extra) + "\n", to: json)
        }
        if !verifyPassed { throw ExitCode(ExitStatus.verifyFailed) }
        if let maxErrorRate, result.measured.errorRate > maxErrorRate {
            writeStderr("kelpie-load: error rate \(result.measured.errorRate) exceeds --max-error-rate \(maxErrorRate)\n")
            throw ExitCode(ExitStatus.errorRateExceeded)
        }
    }

    static func randomRunID() -> String {
        var generator = SplitMix64(seed: UInt64(bitPattern: MonotonicClock.wallNanos()) ^ UInt64(getpid()))
        let digits = Array("0123456789abcdef")
        return String((0..<8).map { _ in digits[Int(generator.next() & 0xF)] })
    }
}

enum RateUnit: String, ExpressibleByArgument, CaseIterable {
    case requests
    case events
}

extension PayloadKind: ExpressibleByArgument {}
extension Compression: ExpressibleByArgument {}

func writeStderr(_ text: String) {
    var bytes = Array(text.utf8)
    _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}
