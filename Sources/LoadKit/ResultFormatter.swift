/// Human-readable summary, the live progress line, and the `--json` document.
public enum ResultFormatter {
    public static func progressLine(_ update: ProgressUpdate) -> String {
        let stats = update.stats
        let label = update.measured ? update.phaseName : "warm-up"
        var line = "[\(label) \(update.phaseNumber)/\(update.phaseCount) \(NumberFormatting.fixed(update.elapsedInPhaseSeconds, 1))s]"
        if let target = update.targetRequestsPerSecond { line += " target \(NumberFormatting.short(target)) req/s" }
        if update.measured {
            line += " rate \(NumberFormatting.short(update.requestsPerSecond)) req/s"
            line += " (\(NumberFormatting.short(update.eventsPerSecond)) ev/s)"
            line += " errors \(stats.failedRequests)"
            if stats.latencyMicros.totalCount > 0 {
                line += " p99 \(NumberFormatting.millis(Double(stats.latencyMicros.valueAtPercentile(99)) / 1000))"
            }
        }
        line += " in-flight \(update.inFlight)"
        return line
    }

    public static func summary(_ result: LoadResult) -> String {
        let payload = result.payload
        let config = result.configuration
        var out = "kelpie-load: \(payload.kind.rawValue)"
        if payload.kind != .singleJSON { out += " x\(payload.batchSize)" }
        out += ", \(payload.compression.rawValue), mean body \(result.meanBodyBytes) B, event data \(payload.shape.targetDataBytes) B"
        out += "\n  target \(config.target.hostHeader)\(config.target.basePath), \(config.connections) connections, \(config.threads) thread(s)"
        out += ", datasets \(payload.datasets.count), keys \(payload.apiKeys.count)\n\n"
        let header = ["phase", "target/s", "req/s", "events/s", "p50", "p90", "p99", "p99.9", "max", "errors", "missed"]
        let widths = [9, 10, 11, 12, 9, 9, 9, 9, 9, 8, 8]
        out += row(header, widths) + "\n"
        var rows = result.phases
        if rows.count > 1 {
            rows.append(LoadResult.PhaseResult(
                phase: LoadPlan.Phase(name: "all", requestsPerSecond: nil, durationNanos: Int64(result.measuredSeconds * 1e9), measured: true),
                stats: result.measured))
        }
        for phase in rows {
            let hasLatency = phase.stats.latencyMicros.totalCount > 0
            let cells = [
                phase.phase.name,
                phase.phase.requestsPerSecond.map { NumberFormatting.short($0) } ?? (phase.phase.name == "all" ? "" : "closed"),
                NumberFormatting.fixed(phase.achievedRequestsPerSecond, 1),
                NumberFormatting.fixed(phase.acceptedEventsPerSecond, 0),
                hasLatency ? NumberFormatting.millis(phase.latencyMillis(50)) : "-",
                hasLatency ? NumberFormatting.millis(phase.latencyMillis(90)) : "-",
                hasLatency ? NumberFormatting.millis(phase.latencyMillis(99)) : "-",
                hasLatency ? NumberFormatting.millis(phase.latencyMillis(99.9)) : "-",
                hasLatency ? NumberFormatting.millis(phase.maxLatencyMillis) : "-",
                String(phase.stats.failedRequests),
                String(phase.stats.requestsMissed),
            ]
            out += row(cells, widths) + "\n"
        }
        let measured = result.measured
        out += "\nstatus codes: " + describe(measured.nonZeroStatusCounts)
        if payload.kind.hasPerEventReplies { out += "\nper-event statuses: " + describe(measured.nonZeroEventStatusCounts) }
        out += "\nerrors: transport \(measured.transportErrors), timeouts \(measured.timeouts), protocol \(measured.protocolErrors)"
        out += ", connect \(measured.connectErrors)"
        out += ", unreadable batch replies \(measured.unreadableReplies), error rate \(NumberFormatting.fixed(measured.errorRate * 100, 3))%"
        let totals = result.totals
        out += "\ntotals incl. warm-up and drain: sent \(totals.requestsSent) requests / \(totals.eventsSent) events"
        out += ", completed \(totals.requestsCompleted), accepted events \(totals.eventsAccepted)"
        out += ", connect errors \(totals.connectErrors)"
        out += "\nkelpie-load CPU: \(NumberFormatting.fixed(result.clientCPUSeconds, 2)) s"
        if totals.requestsCompleted > 0 {
            out += " (\(NumberFormatting.fixed(result.clientCPUSeconds * 1e6 / Double(totals.requestsCompleted), 2)) µs per request)"
        }
        out += "\n"
        return out
    }

    static func row(_ cells: [String], _ widths: [Int]) -> String {
        var line = NumberFormatting.padded(cells[0], widths[0])
        for index in 1..<cells.count { line += NumberFormatting.rightAligned(cells[index], widths[index]) }
        return line
    }

    static func describe(_ counts: [(Int, Int)]) -> String {
        counts.isEmpty ? "none" : counts.map { "\($0.0 == 0 ? "other" : String($0.0))=\($0.1)" }.joined(separator: " ")
    }

    // MARK: JSON

    public static func json(_ result: LoadResult, extra: [(String, String)] = []) -> String {
        let payload = result.payload
        let config = result.configuration
        var fields: [(String, String)] = [
            ("tool", quote("kelpie-load")),
            ("target", quote("http://\(config.target.hostHeader)\(config.target.basePath)")),
            ("payload", quote(payload.kind.rawValue)),
            ("batch_size", String(payload.kind == .singleJSON ? 1 : payload.batchSize)),
            ("compression", quote(payload.compression.rawValue)),
            ("event_data_bytes", String(payload.shape.targetDataBytes)),
            ("mean_body_bytes", String(result.meanBodyBytes)),
            ("datasets", String(payload.datasets.count)),
            ("keys", String(payload.apiKeys.count)),
            ("connections", String(config.connections)),
            ("threads", String(config.threads)),
            ("mode", quote(config.plan.phases.last?.requestsPerSecond == nil ? "closed" : "open")),
            ("phases", "[" + result.phases.map(phaseJSON).joined(separator: ",") + "]"),
            ("summary", phaseJSON(LoadResult.PhaseResult(
                phase: LoadPlan.Phase(name: "all", requestsPerSecond: result.phases.count == 1 ? result.phases[0].phase.requestsPerSecond : nil,
                                      durationNanos: Int64(result.measuredSeconds * 1e9), measured: true),
                stats: result.measured))),
            ("totals", statsJSON(result.totals, seconds: nil)),
            ("client_cpu_seconds", number(result.clientCPUSeconds)),
        ]
        fields += extra
        return object(fields)
    }

    static func phaseJSON(_ phase: LoadResult.PhaseResult) -> String {
        var fields: [(String, String)] = [
            ("name", quote(phase.phase.name)),
            ("target_requests_per_second", phase.phase.requestsPerSecond.map { number($0) } ?? "null"),
            ("duration_seconds", number(phase.durationSeconds)),
            ("requests_per_second", number(phase.achievedRequestsPerSecond)),
            ("events_per_second", number(phase.acceptedEventsPerSecond)),
        ]
        let hasLatency = phase.stats.latencyMicros.totalCount > 0
        fields.append((
            "latency_ms",
            hasLatency
                ? object([
                    ("p50", number(phase.latencyMillis(50))), ("p90", number(phase.latencyMillis(90))),
                    ("p99", number(phase.latencyMillis(99))), ("p99_9", number(phase.latencyMillis(99.9))),
                    ("max", number(phase.maxLatencyMillis)),
                    ("mean", number(phase.stats.latencyMicros.mean / 1000)),
                ]) : "null"
        ))
        fields.append(("stats", statsJSON(phase.stats, seconds: phase.durationSeconds)))
        return object(fields)
    }

    static func statsJSON(_ stats: PhaseStats, seconds: Double?) -> String {
        object([
            ("requests_sent", String(stats.requestsSent)),
            ("requests_completed", String(stats.requestsCompleted)),
            ("requests_missed", String(stats.requestsMissed)),
            ("requests_failed", String(stats.failedRequests)),
            ("events_sent", String(stats.eventsSent)),
            ("events_accepted", String(stats.eventsAccepted)),
            ("bytes_sent", String(stats.bytesSent)),
            ("transport_errors", String(stats.transportErrors)),
            ("timeouts", String(stats.timeouts)),
            ("protocol_errors", String(stats.protocolErrors)),
            ("connect_errors", String(stats.connectErrors)),
            ("unreadable_replies", String(stats.unreadableReplies)),
            ("error_rate", number(stats.errorRate)),
            ("status_counts", object(stats.nonZeroStatusCounts.map { (String($0.0), String($0.1)) })),
            ("event_status_counts", object(stats.nonZeroEventStatusCounts.map { (String($0.0), String($0.1)) })),
        ])
    }

    public static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { quote($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    public static func quote(_ text: String) -> String {
        var bytes: [UInt8] = []
        JSONWriter.appendString(text, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func number(_ value: Double) -> String {
        value.isFinite ? NumberFormatting.fixed(value, 4) : "null"
    }
}
