import Glibc

/// Runs a plan: one thread per worker, live progress from the calling thread, merged results at the end.
public enum LoadRunner {
    public static let progressPollNanos: Int64 = 100_000_000

    public static func run(
        configuration: LoadConfiguration, pool: RequestPool,
        progressIntervalNanos: Int64 = 1_000_000_000,
        progress: ((ProgressUpdate) -> Void)? = nil
    ) throws(LoadError) -> LoadResult {
        let address = try configuration.target.resolve()
        let cpuAtStart = processCPUSeconds()
        let start = MonotonicClock.nowNanos() + LoadConfiguration.connectLeadNanos
        var workers: [LoadWorker] = []
        var assigned = 0
        for index in 0..<configuration.threads {
            let share = configuration.connections / configuration.threads
                + (index < configuration.connections % configuration.threads ? 1 : 0)
            assigned += share
            workers.append(
                LoadWorker(
                    settings: WorkerSettings(
                        workerIndex: index, workerCount: configuration.threads, connectionCount: share,
                        rateShare: Double(share) / Double(configuration.connections), address: address,
                        plan: configuration.plan, pool: pool, startNanos: start,
                        requestTimeoutNanos: configuration.requestTimeoutNanos,
                        drainTimeoutNanos: configuration.drainTimeoutNanos, verify: configuration.verify,
                        requestLimit: configuration.maxRequests.map {
                            $0 / configuration.threads + (index < $0 % configuration.threads ? 1 : 0)
                        })))
        }
        let threads = workers.map { worker in ThreadLauncher.start { worker.run() } }

        var phaseStarts: [Int64] = []
        var cursor = start
        for phase in configuration.plan.phases {
            phaseStarts.append(cursor)
            cursor += phase.durationNanos
        }
        var nextReport = start + progressIntervalNanos
        while true {
            MonotonicClock.sleep(nanos: progressPollNanos)
            let snapshots = workers.map { worker in worker.snapshot.withLock { $0 } }
            if snapshots.allSatisfy({ $0.finished }) { break }
            let now = MonotonicClock.nowNanos()
            guard let progress, now >= nextReport else { continue }
            nextReport = now + progressIntervalNanos
            let phaseIndex = min(snapshots.map(\.phaseIndex).min() ?? 0, configuration.plan.phases.count - 1)
            var merged = PhaseStats()
            var inFlight = 0
            for snapshot in snapshots where snapshot.phaseIndex == phaseIndex {
                merged.merge(snapshot.phase)
                inFlight += snapshot.inFlight
            }
            let phase = configuration.plan.phases[phaseIndex]
            progress(
                ProgressUpdate(
                    phaseName: phase.name, phaseNumber: phaseIndex + 1, phaseCount: configuration.plan.phases.count,
                    measured: phase.measured,
                    elapsedInPhaseSeconds: Double(max(0, min(now, phaseStarts[phaseIndex] + phase.durationNanos) - phaseStarts[phaseIndex])) / 1e9,
                    targetRequestsPerSecond: phase.requestsPerSecond, stats: merged, inFlight: inFlight))
        }
        for thread in threads { ThreadLauncher.join(thread) }

        var totals = PhaseStats()
        var phaseTotals = configuration.plan.phases.map { _ in PhaseStats() }
        var acked: [UInt64] = []
        for worker in workers {
            totals.merge(worker.totals)
            for index in phaseTotals.indices { phaseTotals[index].merge(worker.phaseStats[index]) }
            acked.append(contentsOf: worker.ackedSequences)
        }
        let phases = configuration.plan.phases.indices
            .filter { configuration.plan.phases[$0].measured }
            .map { LoadResult.PhaseResult(phase: configuration.plan.phases[$0], stats: phaseTotals[$0]) }
        var result = LoadResult(
            phases: phases, totals: totals, payload: pool.configuration, configuration: configuration,
            meanBodyBytes: pool.meanBodyBytes, ackedSequences: acked)
        result.clientCPUSeconds = processCPUSeconds() - cpuAtStart
        return result
    }

    /// User + system CPU seconds of this process so far.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }
}
