/// The run's timeline: an optional warm-up, then one or more measured phases (steps), back to back.
public struct LoadPlan: Sendable, Equatable {
    public struct Phase: Sendable, Equatable {
        public var name: String
        /// Target requests per second across all connections; nil for closed loop.
        public var requestsPerSecond: Double?
        public var durationNanos: Int64
        /// Warm-up phases are excluded from results (but their requests reach the server).
        public var measured: Bool

        public init(name: String, requestsPerSecond: Double?, durationNanos: Int64, measured: Bool) {
            self.name = name
            self.requestsPerSecond = requestsPerSecond
            self.durationNanos = durationNanos
            self.measured = measured
        }
    }

    public var phases: [Phase]

    public init(phases: [Phase]) { self.phases = phases }

    /// `rates` nil or empty: one phase at `rate` (0 or nil = closed loop). Otherwise one phase per rate, each
    /// lasting `stepDurationNanos`. The warm-up runs at the first phase's rate.
    public static func make(
        rate: Double?, durationNanos: Int64, warmupNanos: Int64, steps: [Double]? = nil, stepDurationNanos: Int64? = nil
    ) -> LoadPlan {
        var phases: [Phase] = []
        let openRate: Double? = (rate ?? 0) > 0 ? rate : nil
        if let steps, !steps.isEmpty {
            for (index, stepRate) in steps.enumerated() {
                phases.append(
                    Phase(
                        name: "step-\(index + 1)", requestsPerSecond: stepRate > 0 ? stepRate : nil,
                        durationNanos: stepDurationNanos ?? durationNanos, measured: true))
            }
        } else {
            phases.append(Phase(name: "main", requestsPerSecond: openRate, durationNanos: durationNanos, measured: true))
        }
        if warmupNanos > 0 {
            phases.insert(
                Phase(name: "warmup", requestsPerSecond: phases[0].requestsPerSecond, durationNanos: warmupNanos, measured: false),
                at: 0)
        }
        return LoadPlan(phases: phases)
    }

    /// Parses `FROM:TO:N` (N rates evenly spaced from FROM to TO inclusive) or a comma list `R1,R2,…`.
    public static func parseSteps(_ text: String) throws(LoadError) -> [Double] {
        if text.contains(":") {
            let parts = text.split(separator: ":")
            guard parts.count == 3, let from = Double(parts[0]), let to = Double(parts[1]), let count = Int(parts[2]),
                count >= 1, from >= 0, to >= 0
            else { throw .invalidArgument("schedule must be FROM:TO:STEPS, got \(text)") }
            if count == 1 { return [from] }
            return (0..<count).map { from + (to - from) * Double($0) / Double(count - 1) }
        }
        var rates: [Double] = []
        for part in text.split(separator: ",") {
            guard let value = Double(part.trimmingSpaces), value >= 0 else {
                throw .invalidArgument("steps must be a comma-separated list of rates, got \(text)")
            }
            rates.append(value)
        }
        guard !rates.isEmpty else { throw .invalidArgument("empty steps") }
        return rates
    }

    /// Parses `30s`, `500ms`, `2m`, `1h`, `250us` or a bare number of seconds.
    public static func parseDuration(_ text: String) throws(LoadError) -> Int64 {
        let units: [(String, Double)] = [("ms", 1e6), ("us", 1e3), ("ns", 1), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value >= 0 else { break }
            return Int64(value * scale)
        }
        if let seconds = Double(text), seconds >= 0 { return Int64(seconds * 1e9) }
        throw .invalidArgument("cannot parse duration \(text) (use e.g. 30s, 500ms, 2m)")
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var slice = self
        while slice.first == " " { slice = slice.dropFirst() }
        while slice.last == " " { slice = slice.dropLast() }
        return slice
    }
}
