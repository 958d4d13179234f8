import CRdKafka

/// A record the producer holds itself while it replaces a librdkafka handle after a fatal error: taken
/// back from the old handle's delivery reports (purged) or refused by it at produce time, and produced
/// again, with the same ticket, on the new handle.
struct HeldRecord: @unchecked Sendable {  // its headers and ticket belong to whoever holds the record
    var topic: String
    var key: [UInt8]?
    var value: [UInt8]
    /// Owned `rd_kafka_headers_t`; handed to librdkafka on a successful produce, else destroyed.
    var headers: OpaquePointer?
    var ticket: UnsafeMutablePointer<RecordTicket>

    /// Copies what a delivery report still points at (valid only during the callback).
    init(message: UnsafePointer<rd_kafka_message_t>, ticket: UnsafeMutablePointer<RecordTicket>) {
        let m = message.pointee
        topic = String(cString: rd_kafka_topic_name(m.rkt))
        key = m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) }
        value = m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) } ?? []
        var borrowed: OpaquePointer?
        if rd_kafka_message_headers(message, &borrowed) == RD_KAFKA_RESP_ERR_NO_ERROR, let borrowed {
            headers = rd_kafka_headers_copy(borrowed)
        }
        self.ticket = ticket
    }

    init(
        topic: String, key: [UInt8]?, value: [UInt8], headers: OpaquePointer?,
        ticket: UnsafeMutablePointer<RecordTicket>
    ) {
        self.topic = topic
        self.key = key
        self.value = value
        self.headers = headers
        self.ticket = ticket
    }
}
