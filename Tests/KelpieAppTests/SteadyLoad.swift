import Foundation
import TestSupport

/// Steady ingest load for the Kafka outage and crash tests: small Honeycomb batches of numbered events
/// (`{"n":N}`), each on a fresh connection, with every answer recorded. An event counts as acknowledged when
/// its request got 200 and its batch entry 202.
final class SteadyLoad {
    struct Answer {
        var status: Int
        var retryAfter: String?
        /// Why there was no answer (status 0): the client's error.
        var error: String?
    }

    let port: UInt16
    let dataset: String
    let batchEvents: Int
    /// Padding per event, so a few batches fill a small WAL cap.
    let padding: String
    private(set) var nextNumber = 0
    private(set) var acknowledged: [Int] = []
    private(set) var answers: [Answer] = []

    init(port: UInt16, dataset: String = "steady", batchEvents: Int = 10, paddingBytes: Int = 200) {
        self.port = port
        self.dataset = dataset
        self.batchEvents = batchEvents
        padding = String(repeating: "p", count: paddingBytes)
    }

    /// Sends one batch; returns its answer (a connection error is recorded as status 0).
    @discardableResult
    func sendBatch(port: UInt16? = nil) -> Answer {
        let numbers = nextNumber..<nextNumber + batchEvents
        nextNumber += batchEvents
        let body = "[" + numbers.map { #"{"data":{"n":\#($0),"pad":"\#(padding)"}}"# }.joined(separator: ",") + "]"
        var answer = Answer(status: 0)
        do {
            let client = try RawHTTPClient(port: port ?? self.port)
            let response = try client.roundTrip("POST", "/1/batch/\(dataset)", headers: [TestServer.authHeader], body: Array(body.utf8))
            answer = Answer(status: response.status, retryAfter: response.header("Retry-After"))
            if response.status == 200,
               let statuses = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]],
               statuses.count == batchEvents {
                for (number, status) in zip(numbers, statuses) where status["status"] as? Int == 202 {
                    acknowledged.append(number)
                }
            }
        } catch {
            answer.error = "\(error)"
        }
        answers.append(answer)
        return answer
    }

    /// Sends batches until `condition` holds (checked after each) or `timeout` passes; returns whether it held.
    func send(until condition: () -> Bool, timeout: Duration) -> Bool {
        waitUntil(timeout: timeout) {
            sendBatch()
            return condition()
        }
    }

    /// Sends one batch every `interval` until `end`: a steady load through an outage of fixed length (pacing,
    /// not synchronisation: the caller checks the answers afterwards).
    func sendSteadily(until end: ContinuousClock.Instant, every interval: Duration) {
        var due = ContinuousClock.now
        while ContinuousClock.now < end {
            sendBatch()
            // A request slower than the interval (one waiting for --sink-timeout) moves the schedule on.
            due = max(due + interval, .now)
            let wait = min(due, end) - .now
            if wait > .zero { usleep(UInt32(wait.components.seconds * 1_000_000 + wait.components.attoseconds / 1_000_000_000_000)) }
        }
    }

    var statuses: [Int: Int] { answers.reduce(into: [:]) { $0[$1.status, default: 0] += 1 } }
    /// The client errors behind status-0 answers, with how often each occurred.
    var errors: [String: Int] { answers.compactMap(\.error).reduce(into: [:]) { $0[$1, default: 0] += 1 } }

    /// The event numbers in Kafka record values (one event per record).
    static func numbers(in records: [some Sequence<UInt8>]) -> [Int] {
        records.compactMap { value in
            let text = String(decoding: Array(value), as: UTF8.self)
            guard let range = text.firstRange(of: #""n":"#) else { return nil }
            return Int(text[range.upperBound...].prefix { $0.isNumber })
        }
    }
}
