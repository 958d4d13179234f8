import Testing
@testable import KafkaSink

struct KafkaTopicNameTests {
    @Test func aFixedTopicIgnoresTheDataset() throws {
        let name = try KafkaTopicName(template: "kelpie-events")
        #expect(!name.usesDataset)
        #expect(name.topic(forDataset: "any thing/at all") == "kelpie-events")
    }

    @Test func aLegalDatasetNameMapsToItself() throws {
        let name = try KafkaTopicName(template: "events.{dataset}")
        #expect(name.topic(forDataset: "checkout-api_v2.prod") == "events.checkout-api_v2.prod")
    }

    @Test func illegalBytesBecomeUnderscoresAndAHashKeepsDatasetsApart() throws {
        let name = try KafkaTopicName(template: "{dataset}")
        let spaced = name.topic(forDataset: "my app")
        let slashed = name.topic(forDataset: "my/app")
        #expect(spaced.hasPrefix("my_app-"))
        #expect(spaced.utf8.count == "my_app".utf8.count + 9)
        #expect(spaced != slashed)
        #expect(spaced != "my_app")
        // Each byte of a multi-byte character becomes one underscore.
        #expect(name.topic(forDataset: "é").hasPrefix("__-"))
        #expect(name.topic(forDataset: "my app") == spaced)
    }

    @Test func everyMappedTopicIsLegal() throws {
        let name = try KafkaTopicName(template: "kelpie.{dataset}.events")
        for dataset in ["", ".", "..", String(repeating: "x", count: 1000), "日本語のデータセット", "a b\tc\n", "ok"] {
            let topic = name.topic(forDataset: dataset)
            #expect((1...249).contains(topic.utf8.count), "\(topic)")
            #expect(topic.utf8.allSatisfy(KafkaTopicName.isLegal), "\(topic)")
            #expect(topic != "." && topic != "..")
        }
        let bare = try KafkaTopicName(template: "{dataset}")
        #expect(bare.topic(forDataset: "") != "")
        #expect(bare.topic(forDataset: ".") != ".")
        #expect(bare.topic(forDataset: "..") != "..")
        #expect(bare.topic(forDataset: String(repeating: "y", count: 300)).utf8.count == 249)
    }

    @Test func templatesWithIllegalCharactersAreRefused() {
        #expect(throws: KafkaConfigurationError.self) { try KafkaTopicName(template: "events/{dataset}") }
        #expect(throws: KafkaConfigurationError.self) { try KafkaTopicName(template: "") }
        #expect(throws: KafkaConfigurationError.self) { try KafkaTopicName(template: "..") }
        #expect(throws: KafkaConfigurationError.self) { try KafkaTopicName(template: String(repeating: "t", count: 250)) }
        #expect(throws: KafkaConfigurationError.self) { try KafkaTopicName(template: "{data set}") }
    }
}
