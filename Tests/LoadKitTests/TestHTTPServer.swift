import Glibc
import Locking

@testable import LoadKit

/// A tiny blocking HTTP/1.1 server on 127.0.0.1:0 for the client tests: one thread per connection, a
/// configurable reply style, request counting, and an optional one-time stall of every connection.
final class TestHTTPServer: @unchecked Sendable {
    enum ReplyStyle: Sendable {
        case contentLength
        /// Batch replies split into several chunks.
        case chunked
        /// `Connection: close` after every response.
        case closeAfterEach
    }

    struct Counters: Sendable {
        var connections = 0
        var requests = 0
        var events = 0
        var stalled = false
    }

    let port: UInt16
    private let listenFD: Int32
    private let style: ReplyStyle
    /// Stall every reply for this long once, when this many requests have been answered.
    private let stallAfterRequests: Int?
    private let stallNanos: Int64
    let counters = Lock(Counters())
    /// Held while replying; a stall holds it, so every connection stalls together (like a GC pause).
    private let replyLock = Lock(())
    /// Open client sockets and every connection thread started, so `stop` can unblock and join them all.
    private struct Clients: Sendable {
        var openFDs: Set<Int32> = []
        var threads: [pthread_t] = []
    }
    private let clients = Lock(Clients())
    private var acceptThread: pthread_t?

    init(style: ReplyStyle = .contentLength, stallAfterRequests: Int? = nil, stallNanos: Int64 = 1_000_000_000) throws {
        self.style = style
        self.stallAfterRequests = stallAfterRequests
        self.stallNanos = stallNanos
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 128) == 0 else { throw LoadError.system("bind/listen", errno: errno) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            _ = $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        listenFD = fd
        acceptThread = ThreadLauncher.start { [self] in acceptLoop() }
    }

    var url: String { "http://127.0.0.1:\(port)" }

    func stop() {
        shutdown(listenFD, Int32(SHUT_RDWR))
        if let acceptThread { ThreadLauncher.join(acceptThread) }
        close(listenFD)
        // The accept thread is joined, so `threads` is complete; shutting down wakes each connection's read.
        let threads = clients.withLock { clients -> [pthread_t] in
            for fd in clients.openFDs { shutdown(fd, Int32(SHUT_RDWR)) }
            return clients.threads
        }
        for thread in threads { ThreadLauncher.join(thread) }
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return
            }
            counters.withLock { $0.connections += 1 }
            clients.withLock { _ = $0.openFDs.insert(fd) }
            let thread = ThreadLauncher.start { [self] in serve(fd) }
            clients.withLock { $0.threads.append(thread) }
        }
    }

    private func serve(_ fd: Int32) {
        // Closed under the lock, so `stop` never shuts down a descriptor number the kernel has reused.
        defer { clients.withLock { clients in clients.openFDs.remove(fd); close(fd) } }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            // Read one request: headers, then Content-Length bytes of body.
            var headerEnd: Int? = nil
            var bodyLength = 0
            while true {
                if headerEnd == nil, let end = buffer.firstIndex(ofSubsequence: [13, 10, 13, 10]) {
                    headerEnd = end + 4
                    let head = String(decoding: buffer[0..<end], as: UTF8.self).lowercased()
                    for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
                        bodyLength = Int(line.dropFirst("content-length:".count).trimmingSpaces) ?? 0
                    }
                }
                if let headerEnd, buffer.count >= headerEnd + bodyLength { break }
                let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count <= 0 { return }
                buffer.append(contentsOf: chunk[0..<count])
            }
            let end = headerEnd!
            let requestLine = String(decoding: buffer[0..<(buffer.firstIndex(of: 13) ?? 0)], as: UTF8.self)
            let body = Array(buffer[end..<(end + bodyLength)])
            buffer.removeFirst(end + bodyLength)
            let events = requestLine.contains("/1/batch/") ? countEvents(body) : 1
            let keepOpen = reply(fd, batch: requestLine.contains("/1/batch/"), events: events)
            if !keepOpen { return }
        }
    }

    private func countEvents(_ body: [UInt8]) -> Int {
        var count = 0
        let needle = Array(#"{"time""#.utf8)
        var index = 0
        while index + needle.count <= body.count {
            if body[index] == needle[0] && Array(body[index..<(index + needle.count)]) == needle { count += 1 }
            index += 1
        }
        return count
    }

    /// Writes the reply; returns whether the connection stays open.
    private func reply(_ fd: Int32, batch: Bool, events: Int) -> Bool {
        replyLock.withLock { _ in
            let shouldStall = counters.withLock { counters -> Bool in
                counters.requests += 1
                counters.events += events
                if let after = stallAfterRequests, !counters.stalled, counters.requests >= after {
                    counters.stalled = true
                    return true
                }
                return false
            }
            if shouldStall { MonotonicClock.sleep(nanos: stallNanos) }
        }
        let body = batch ? "[" + Array(repeating: #"{"status":202}"#, count: events).joined(separator: ",") + "]" : ""
        var response: String
        switch style {
        case .contentLength, .closeAfterEach:
            response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
            if style == .closeAfterEach { response += "Connection: close\r\n" }
            response += "\r\n" + body
        case .chunked:
            response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            var rest = Substring(body)
            while !rest.isEmpty {
                let piece = rest.prefix(37)
                rest = rest.dropFirst(piece.count)
                response += String(piece.utf8.count, radix: 16) + "\r\n" + piece + "\r\n"
            }
            response += "0\r\n\r\n"
        }
        let bytes = Array(response.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if written <= 0 { return false }
            offset += written
        }
        return style != .closeAfterEach
    }
}
