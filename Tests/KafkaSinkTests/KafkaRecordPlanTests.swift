import Testing
@testable import KafkaSink

struct KafkaRecordPlanTests {
    func event(_ dataset: String, key: String = "k", trace: String? = nil) -> KafkaEvent {
        KafkaEvent(dataset: dataset, keyID: key, traceID: trace, value: Array("{}".utf8))
    }

    @Test func oneEventPerRecordKeepsBlockOrder() throws {
        let plan = KafkaRecordPlan(
            events: [event("a"), event("b"), event("a")], topic: try KafkaTopicName(template: "t.{dataset}"),
            keyMode: .dataset, batchEvents: 1
        )
        #expect(plan.records == [
            .init(topic: "t.a", key: "a", eventIndices: [0]),
            .init(topic: "t.b", key: "b", eventIndices: [1]),
            .init(topic: "t.a", key: "a", eventIndices: [2]),
        ])
    }

    @Test func packingGroupsByDatasetKeyIDAndRecordKeyUpToN() throws {
        let events = [event("a"), event("b"), event("a"), event("a", key: "other"), event("a"), event("a")]
        let plan = KafkaRecordPlan(events: events, topic: try KafkaTopicName(template: "t"), keyMode: .dataset, batchEvents: 2)
        #expect(plan.records.map(\.eventIndices) == [[0, 2], [1], [3], [4, 5]])
        #expect(plan.records.allSatisfy { $0.topic == "t" })
    }

    @Test func keyModes() {
        let traced = event("a", trace: "abc")
        let untraced = event("a")
        #expect(KafkaRecordPlan.key(for: traced, mode: .dataset) == "a")
        #expect(KafkaRecordPlan.key(for: traced, mode: .trace) == "abc")
        #expect(KafkaRecordPlan.key(for: untraced, mode: .trace) == "a")
        #expect(KafkaRecordPlan.key(for: traced, mode: .random) == nil)
    }

    @Test func anEmptyBlockHasNoRecords() throws {
        let plan = KafkaRecordPlan(events: [], topic: try KafkaTopicName(template: "t"), keyMode: .dataset, batchEvents: 4)
        #expect(plan.records.isEmpty)
    }
}
