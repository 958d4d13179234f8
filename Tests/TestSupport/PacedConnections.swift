#if canImport(Glibc)
import Glibc
#endif

/// Many client connections driven from one thread with `poll`, for hostile-load tests: each sends its bytes
/// in paced chunks (a slow upload, a trickled head) or all at once (pipelined requests), and every response it
/// gets back is parsed and recorded. Nothing blocks: a server that stops reading just leaves bytes unsent.
public final class PacedConnections {
    /// What one connection does.
    public struct Plan: Sendable {
        /// Everything to send, in order.
        public var bytes: [UInt8]
        /// At most this many bytes per send; nil sends as fast as the socket takes them.
        public var chunkBytes: Int?
        /// Time between chunks.
        public var interval: Duration
        /// Closes once this many responses have arrived (nil: stays open until the peer closes or the run ends).
        public var responsesToClose: Int?
        /// The first byte goes out this long after connecting.
        public var startAfter: Duration

        public init(
            bytes: [UInt8], chunkBytes: Int? = nil, interval: Duration = .zero, responsesToClose: Int? = nil,
            startAfter: Duration = .zero
        ) {
            self.bytes = bytes
            self.chunkBytes = chunkBytes
            self.interval = interval
            self.responsesToClose = responsesToClose
            self.startAfter = startAfter
        }
    }

    /// One response as the parser saw it.
    public struct Response: Sendable {
        public var status: Int
        public var retryAfter: String?
    }

    /// A connection's story.
    public struct Outcome: Sendable {
        public var kind: String
        public var responses: [Response] = []
        public var bytesSent = 0
        public var closedByPeer = false
        public var connectFailed = false
    }

    private struct Live {
        var fd: Int32
        var plan: Plan
        var kind: String
        var sent = 0
        var nextSendAt: ContinuousClock.Instant
        var input: [UInt8] = []
        var outcome: Outcome
    }

    public let port: UInt16
    private var live: [Live] = []
    public private(set) var finished: [Outcome] = []

    public init(port: UInt16) {
        self.port = port
    }

    public var openCount: Int { live.count }

    /// Opens a connection that will follow `plan`; `kind` labels its outcome.
    public func open(_ plan: Plan, kind: String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = fd >= 0 && withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
        guard connected else {
            if fd >= 0 { close(fd) }
            finished.append(Outcome(kind: kind, connectFailed: true))
            return
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        live.append(Live(fd: fd, plan: plan, kind: kind, nextSendAt: .now + plan.startAfter, outcome: Outcome(kind: kind)))
    }

    /// One round: waits up to `timeout` for readiness, then sends what is due and reads what arrived.
    /// Connections that are done (closed by the peer, or got their responses) move to ``finished``.
    public func step(timeout: Duration = .milliseconds(5)) {
        guard !live.isEmpty else { return }
        let now = ContinuousClock.now
        var fds = live.map { connection -> pollfd in
            let wantsToSend = connection.sent < connection.plan.bytes.count && connection.nextSendAt <= now
            return pollfd(fd: connection.fd, events: Int16(POLLIN) | (wantsToSend ? Int16(POLLOUT) : 0), revents: 0)
        }
        let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        _ = poll(&fds, nfds_t(fds.count), milliseconds)
        var done: [Int] = []
        for index in live.indices {
            let events = fds[index].revents
            if events & Int16(POLLOUT) != 0 { send(index) }
            if events & (Int16(POLLIN) | Int16(POLLHUP) | Int16(POLLERR)) != 0, receive(index) { done.append(index) }
            else if let wanted = live[index].plan.responsesToClose, live[index].outcome.responses.count >= wanted { done.append(index) }
        }
        for index in done.reversed() {
            close(live[index].fd)
            finished.append(live[index].outcome)
            live.remove(at: index)
        }
    }

    /// Closes everything still open; returns every outcome.
    public func closeAll() -> [Outcome] {
        for connection in live {
            close(connection.fd)
            finished.append(connection.outcome)
        }
        live = []
        return finished
    }

    /// Outcomes of connections that finished since the last call.
    public func takeFinished() -> [Outcome] {
        defer { finished = [] }
        return finished
    }

    private func send(_ index: Int) {
        let plan = live[index].plan
        let remaining = plan.bytes.count - live[index].sent
        let length = min(remaining, plan.chunkBytes ?? remaining)
        let written = plan.bytes.withUnsafeBytes { raw in
            Glibc.send(live[index].fd, raw.baseAddress! + live[index].sent, length, Int32(MSG_NOSIGNAL))
        }
        guard written > 0 else { return }
        live[index].sent += written
        live[index].outcome.bytesSent += written
        if plan.chunkBytes != nil { live[index].nextSendAt = .now + plan.interval }
    }

    /// Reads what arrived and parses complete responses; true when the peer closed.
    private func receive(_ index: Int) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(live[index].fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                live[index].input += chunk[0..<count]
                parse(index)
                continue
            }
            if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) {
                live[index].outcome.closedByPeer = true
                return true
            }
            return false
        }
    }

    private func parse(_ index: Int) {
        while let headEnd = Self.headEnd(live[index].input) {
            let head = String(decoding: live[index].input[0..<headEnd], as: UTF8.self)
            let lines = head.split(separator: "\r\n")
            guard let statusLine = lines.first else { return }
            let fields = statusLine.split(separator: " ")
            let status = fields.count >= 2 ? Int(fields[1]) ?? 0 : 0
            var length = 0
            var retryAfter: String?
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let name = line[..<colon].lowercased()
                let value = line[line.index(after: colon)...].trimmingCharacters(in: " ")
                if name == "content-length" { length = Int(value) ?? 0 }
                if name == "retry-after" { retryAfter = value }
            }
            guard live[index].input.count >= headEnd + length else { return }
            live[index].input.removeFirst(headEnd + length)
            live[index].outcome.responses.append(Response(status: status, retryAfter: retryAfter))
        }
    }
}

extension PacedConnections {
    /// The index just past the first CRLF CRLF, if any. A plain scan: Foundation's `firstRange(of:)` on
    /// arrays crashed here (a bad pointer inside `DataProtocol.firstRange`, once in a full-suite run).
    static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index + 4
        }
        return nil
    }
}

private extension Substring {
    func trimmingCharacters(in set: Character) -> String {
        String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
    }
}
