import Testing
@testable import KafkaSink

struct KafkaBrokerStatesTests {
    func states(_ json: String) -> KafkaBrokerStates {
        Array(json.utf8).withUnsafeBytes { KafkaBrokerStates(statistics: $0) }
    }

    @Test func countsClusterBrokersAndTheConnectedOnes() {
        // The shape librdkafka's stats emitter prints (rdkafka.c), trimmed.
        let json = #"""
        {"name":"rdkafka#producer-1","type":"producer","msg_cnt":3,"brokers":{
        "127.0.0.1:9092/bootstrap": { "name":"127.0.0.1:9092/bootstrap", "nodeid":-1, "nodename":"127.0.0.1:9092", "source":"configured", "state":"UP", "stateage":5},
        "127.0.0.1:9092/1": { "name":"127.0.0.1:9092/1", "nodeid":1, "nodename":"127.0.0.1:9092", "source":"learned", "state":"UP", "stateage":5},
        "127.0.0.1:9093/2": { "name":"127.0.0.1:9093/2", "nodeid":2, "nodename":"127.0.0.1:9093", "source":"learned", "state":"CONNECT", "stateage":5},
        "127.0.0.1:9094/3": { "name":"127.0.0.1:9094/3", "nodeid":3, "nodename":"127.0.0.1:9094", "source":"learned", "state":"UPDATE", "stateage":5}},
        "eos":{"idemp_state":"Assigned"}}
        """#
        #expect(states(json) == KafkaBrokerStates(brokers: 3, brokersUp: 1))
    }

    @Test func nothingToCountInAnEmptyDocument() {
        #expect(states("{}") == KafkaBrokerStates())
        #expect(states("") == KafkaBrokerStates())
    }
}
