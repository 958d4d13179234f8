import CRdKafka
import Testing
@testable import KafkaSink

struct KafkaErrorTests {
    @Test func errorsThatNoRetryFixesAreDeadLetteredWithTheirCause() {
        #expect(KafkaError(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE).disposition == .deadLetter(.recordTooLarge))
        #expect(KafkaError(RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC).disposition == .deadLetter(.unknownTopic))
        #expect(KafkaError(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART).disposition == .deadLetter(.unknownTopic))
        #expect(KafkaError(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED).disposition == .deadLetter(.authorization))
        #expect(KafkaError(RD_KAFKA_RESP_ERR_INVALID_RECORD).disposition == .deadLetter(.rejected))
    }

    @Test func outagesAndShutdownAreRetriable() {
        for error in [
            RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__QUEUE_FULL,
            RD_KAFKA_RESP_ERR__PURGE_QUEUE, RD_KAFKA_RESP_ERR__PURGE_INFLIGHT, RD_KAFKA_RESP_ERR__DESTROY,
            RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
        ] {
            #expect(KafkaError(error).disposition == .retriable, "\(KafkaError(error))")
        }
    }

    @Test func namesAreLibrdkafkasStableOnes() {
        #expect(KafkaError(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT).name == "_MSG_TIMED_OUT")
        #expect(KafkaError(RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS).name == "NOT_ENOUGH_REPLICAS")
    }

    @Test func blockOutcomes() {
        let timedOut = KafkaError(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)
        let tooLarge = KafkaError(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
        #expect(KafkaBlockResult(eventCount: 3, failures: []).outcome == .delivered)
        let permanent = KafkaBlockResult(eventCount: 3, failures: [KafkaEventFailure(index: 1, error: tooLarge)])
        #expect(permanent.outcome == .permanentFailure)
        #expect(permanent.deadLetters.map(\.index) == [1])
        #expect(permanent.deliveredEventCount == 2)
        let mixed = KafkaBlockResult(
            eventCount: 3, failures: [KafkaEventFailure(index: 0, error: timedOut), KafkaEventFailure(index: 1, error: tooLarge)]
        )
        #expect(mixed.outcome == .retriableFailure)
    }
}
