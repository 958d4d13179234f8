/// One client connection's state inside a worker's event loop.
struct Connection {
    enum State: Equatable {
        case disconnected
        case connecting
        case idle
        /// Request bytes still being written (the response may already start arriving).
        case sending
        case awaitingResponse
    }

    var fd: Int32 = -1
    var state: State = .disconnected
    var writeInterest = false
    var request: [UInt8] = []
    var bytesWritten = 0
    var scheduledNanos: Int64 = 0
    var sentNanos: Int64 = 0
    var eventCount = 0
    var sequenceBase: UInt64 = 0
    var reconnectAtNanos: Int64 = 0
    var reader: HTTPResponseReader

    init(captureBody: Bool) { reader = HTTPResponseReader(captureBody: captureBody) }

    var isBusy: Bool { state == .sending || state == .awaitingResponse }
}
