import Testing

@testable import LoadKit

@Suite struct LoadPlanTests {
    @Test func durations() throws {
        #expect(try LoadPlan.parseDuration("30s") == 30_000_000_000)
        #expect(try LoadPlan.parseDuration("500ms") == 500_000_000)
        #expect(try LoadPlan.parseDuration("2m") == 120_000_000_000)
        #expect(try LoadPlan.parseDuration("1.5") == 1_500_000_000)
        #expect(throws: LoadError.self) { try LoadPlan.parseDuration("soon") }
    }

    @Test func stepSchedules() throws {
        #expect(try LoadPlan.parseSteps("10000:50000:5") == [10000, 20000, 30000, 40000, 50000])
        #expect(try LoadPlan.parseSteps("100, 200,400") == [100, 200, 400])
        #expect(throws: LoadError.self) { try LoadPlan.parseSteps("1:2") }
        #expect(throws: LoadError.self) { try LoadPlan.parseSteps("a,b") }
    }

    @Test func planPhases() {
        let plan = LoadPlan.make(rate: 100, durationNanos: 5, warmupNanos: 2, steps: [10, 20], stepDurationNanos: 3)
        #expect(plan.phases.map(\.name) == ["warmup", "step-1", "step-2"])
        #expect(plan.phases.map(\.requestsPerSecond) == [10, 10, 20])
        #expect(plan.phases.map(\.durationNanos) == [2, 3, 3])
        #expect(plan.phases.map(\.measured) == [false, true, true])
        let closed = LoadPlan.make(rate: 0, durationNanos: 5, warmupNanos: 0)
        #expect(closed.phases.count == 1)
        #expect(closed.phases[0].requestsPerSecond == nil)
    }

    @Test func targetURLs() throws {
        let url = try TargetURL(parsing: "http://127.0.0.1:8080/prefix/")
        #expect(url.host == "127.0.0.1")
        #expect(url.port == 8080)
        #expect(url.basePath == "/prefix")
        #expect(url.hostHeader == "127.0.0.1:8080")
        #expect(try TargetURL(parsing: "http://kelpie.ingest.svc").port == 80)
        #expect(try TargetURL(parsing: "http://[::1]:9000").host == "::1")
        #expect(throws: LoadError.self) { try TargetURL(parsing: "https://x") }
        #expect(throws: LoadError.self) { try TargetURL(parsing: "http://x:port") }
    }
}
