#if canImport(Glibc)
import Glibc
#endif

extension HTTP2TestClient {
    /// Sends what the client has queued over `socket` and feeds the server's bytes back until `done()` holds.
    /// Throws ``RawHTTPClient/ClientError/timeout`` at the deadline and `.closed` when the server closes first.
    public func exchange(over socket: RawHTTPClient, timeout: Duration = .seconds(10), until done: () -> Bool) throws {
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let output = takeOutput()
            if !output.isEmpty { try socket.send(output) }
            if done() { return }
            guard ContinuousClock.now < deadline else { throw RawHTTPClient.ClientError.timeout }
            var descriptor = pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 20) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { recv(socket.fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { throw RawHTTPClient.ClientError.closed }
            if count > 0 { receive(Array(buffer[0..<count])) }
        }
    }
}
