import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A deliberately small blocking HTTP/1.1 client for tests: raw bytes out, responses parsed by hand.
/// It shares no code with the server's parser, so a parser bug cannot hide itself.
public final class RawHTTPClient {
    public struct Response: Sendable, CustomStringConvertible {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]

        public func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }

        public var bodyText: String { String(decoding: body, as: UTF8.self) }

        public var description: String { "\(status) \(bodyText.prefix(300))" }
    }

    public enum ClientError: Error, CustomStringConvertible {
        case connect(Int32), send(Int32), closed, timeout, malformed(String)
        public var description: String {
            switch self {
            case .connect(let e): "connect failed: \(String(cString: strerror(e)))"
            case .send(let e): "send failed: \(String(cString: strerror(e)))"
            case .closed: "connection closed by server"
            case .timeout: "timed out"
            case .malformed(let why): "malformed response: \(why)"
            }
        }
    }

    public let fd: Int32
    private var buffer: [UInt8] = []
    /// Set by ``startTLS(caCertificatePath:)``: every byte then goes through it.
    public private(set) var tls: TLSClientSession?

    /// Connects to 127.0.0.1 (or ::1 with `ipv6`) on `port`; reads time out after `timeoutSeconds` (scaled by `TestTimeScale`).
    public init(port: UInt16, ipv6: Bool = false, timeoutSeconds: Int = 10) throws {
        fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ClientError.connect(errno) }
        var timeout = timeval(tv_sec: timeoutSeconds * TestTimeScale.factor, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var result: Int32
        if ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            address.sin6_addr = in6addr_loopback
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard result == 0 else {
            let error = errno
            Glibc.close(fd)
            throw ClientError.connect(error)
        }
    }

    deinit {
        tls = nil
        Glibc.close(fd)
    }

    /// Performs the TLS handshake (ALPN http/1.1); requests and responses then travel through it.
    public func startTLS(caCertificatePath: String? = nil) throws {
        tls = try TLSClientSession(fileDescriptor: fd, caCertificatePath: caCertificatePath)
    }

    public func send(_ bytes: [UInt8]) throws {
        if let tls {
            try tls.send(bytes)
            return
        }
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR { continue }
                throw ClientError.send(errno)
            }
            offset += sent
        }
    }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Half-closes the write side (the server sees EOF).
    public func shutdownWrite() { Glibc.shutdown(fd, Int32(SHUT_WR)) }

    /// A request with the usual framing; `headers` are added after Host and Content-Length.
    public static func request(
        _ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = []
    ) -> [UInt8] {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        return Array(head.utf8) + body
    }

    /// Sends one request and reads its response.
    public func roundTrip(
        _ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = []
    ) throws -> Response {
        try send(Self.request(method, target, headers: headers, body: body))
        return try readResponse(forHead: method == "HEAD")
    }

    /// Reads one response (Content-Length or chunked framing, or until close).
    public func readResponse(forHead: Bool = false) throws -> Response {
        let headEnd = try fill(until: { $0.firstRange(of: [13, 10, 13, 10]).map { $0.upperBound } })
        let headText = String(decoding: buffer[0..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd)
        var lines = headText.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        guard !lines.isEmpty else { throw ClientError.malformed("empty head") }
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            throw ClientError.malformed("status line")
        }
        var headers: [(String, String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw ClientError.malformed("header line \(line)") }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var response = Response(status: status, headers: headers, body: [])
        if status == 100 || status == 204 || status == 304 || forHead { return response }
        if let length = response.header("Content-Length").flatMap(Int.init) {
            _ = try fill(until: { $0.count >= length ? length : nil })
            response.body = Array(buffer[0..<length])
            buffer.removeFirst(length)
        } else if response.header("Transfer-Encoding")?.lowercased() == "chunked" {
            while true {
                let lineEnd = try fill(until: { $0.firstRange(of: [13, 10]).map { $0.upperBound } })
                let size = Int(String(decoding: buffer[0..<(lineEnd - 2)], as: UTF8.self).split(separator: ";")[0], radix: 16) ?? 0
                buffer.removeFirst(lineEnd)
                _ = try fill(until: { $0.count >= size + 2 ? size + 2 : nil })
                response.body += buffer[0..<size]
                buffer.removeFirst(size + 2)
                if size == 0 { break }
            }
        } else {
            while let chunk = try? readChunk() { buffer += chunk }
            response.body = buffer
            buffer = []
        }
        return response
    }

    /// True when the server has closed the connection (EOF within the timeout, no stray bytes).
    public func isClosedByPeer() -> Bool {
        if !buffer.isEmpty { return false }
        do {
            _ = try readChunk()
            return false
        } catch {
            if case ClientError.closed = error { return true }
            return false
        }
    }

    private func fill(until done: ([UInt8]) -> Int?) throws -> Int {
        while true {
            if let position = done(buffer) { return position }
            buffer += try readChunk()
        }
    }

    private func readChunk() throws -> [UInt8] {
        if let tls {
            let chunk: [UInt8]
            do {
                chunk = try tls.receive()
            } catch {
                throw ClientError.timeout
            }
            if chunk.isEmpty { throw ClientError.closed }
            return chunk
        }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 { return Array(chunk[0..<count]) }
            if count == 0 { throw ClientError.closed }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { throw ClientError.timeout }
            if errno == ECONNRESET { throw ClientError.closed }
            throw ClientError.malformed("recv errno \(errno)")
        }
    }
}
