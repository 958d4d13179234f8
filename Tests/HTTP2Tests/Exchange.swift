import HTTP2
import Testing
import TestSupport

/// Moves bytes between a test client and a server session until neither has anything to send, handing
/// each server event to `handle` (which may answer or consume; what that queues goes out on the next turn).
func exchange(
    _ client: HTTP2TestClient, _ server: HTTP2Session, now: ContinuousClock.Instant = .now,
    sourceLocation: SourceLocation = #_sourceLocation, handle: (HTTP2Event) -> Void = { _ in }
) {
    for _ in 0..<10_000 {
        let request = client.takeOutput()
        if !request.isEmpty { server.receive(request, now: now) }
        server.takeEvents().forEach(handle)
        let answer = server.takeOutput()
        server.takeEvents().forEach(handle)
        if !answer.isEmpty { client.receive(answer) }
        if request.isEmpty && answer.isEmpty { return }
    }
    Issue.record("the exchange did not settle", sourceLocation: sourceLocation)
}

/// A raw frame: 9-byte header (length, type, flags, stream id) and payload (RFC 9113 §4.1).
func frame(type: UInt8, flags: UInt8 = 0, streamID: UInt32 = 0, payload: [UInt8], declaredLength: Int? = nil) -> [UInt8] {
    let length = declaredLength ?? payload.count
    return [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, flags,
            UInt8(streamID >> 24 & 0x7f), UInt8(streamID >> 16 & 0xff), UInt8(streamID >> 8 & 0xff), UInt8(streamID & 0xff)]
        + payload
}

/// The stream ids of the events of one kind.
extension Array where Element == HTTP2Event {
    var heads: [Int32: HTTP2RequestHead] {
        var result: [Int32: HTTP2RequestHead] = [:]
        for case .head(let id, let head) in self { result[id] = head }
        return result
    }

    var ended: Set<Int32> {
        var result = Set<Int32>()
        for case .end(let id) in self { result.insert(id) }
        return result
    }

    var failures: [HTTP2ConnectionFailure] {
        var result: [HTTP2ConnectionFailure] = []
        for case .connectionFailed(let failure) in self { result.append(failure) }
        return result
    }
}
