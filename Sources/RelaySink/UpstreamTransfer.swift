import CCurl

/// One upstream request in flight: the easy handle, the compressed body libcurl reads from (it does not
/// copy `CURLOPT_POSTFIELDS`), and the answer as it arrives. Touched only on the relay's loop thread.
final class UpstreamTransfer {
    let request: RelayBatcher.Request
    let handle: UnsafeMutableRawPointer
    let body: UnsafeMutableRawBufferPointer
    let startedAt: ContinuousClock.Instant
    let maxResponseBytes: Int
    var response: [UInt8] = []
    /// Set when the answer passed ``maxResponseBytes`` and the write callback stopped the transfer.
    var responseTooLarge = false
    /// The compressed body bytes sent.
    var sentBytes = 0

    init(
        request: RelayBatcher.Request, handle: UnsafeMutableRawPointer, body: UnsafeMutableRawBufferPointer,
        startedAt: ContinuousClock.Instant, maxResponseBytes: Int
    ) {
        self.request = request
        self.handle = handle
        self.body = body
        self.startedAt = startedAt
        self.maxResponseBytes = maxResponseBytes
    }

    deinit { body.deallocate() }

    /// `CURLOPT_WRITEFUNCTION`: appends the answer to the transfer passed as `CURLOPT_WRITEDATA`.
    static let writeCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
        data, size, count, context in
        guard let data, let context else { return 0 }
        let transfer = Unmanaged<UpstreamTransfer>.fromOpaque(context).takeUnretainedValue()
        let bytes = size * count
        guard transfer.response.count + bytes <= transfer.maxResponseBytes else {
            transfer.responseTooLarge = true
            return 0
        }
        data.withMemoryRebound(to: UInt8.self, capacity: bytes) {
            transfer.response.append(contentsOf: UnsafeBufferPointer(start: $0, count: bytes))
        }
        return bytes
    }

    /// The transport error label for a libcurl result, nil for success.
    static func transportError(_ result: CURLcode) -> String? {
        switch result {
        case CURLE_OK: nil
        case CURLE_COULDNT_CONNECT: "connect_failed"
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: "resolve_failed"
        case CURLE_OPERATION_TIMEDOUT: "timed_out"
        case CURLE_WRITE_ERROR: "answer_too_large"
        default: "transport_error"
        }
    }
}
