/// Incremental HTTP/1.1 response reader: status line, headers, and a Content-Length, chunked or
/// read-until-close body. Written independently of the server's parser so a parser bug cannot hide itself.
public struct HTTPResponseReader: Sendable {
    public static let maxHeaderBytes = 64 * 1024
    public static let maxCapturedBodyBytes = 16 * 1024 * 1024
    public static let maxChunkSizeLineBytes = 1024

    public enum Progress: Equatable, Sendable {
        case needMore
        /// The response is complete; `consumed` bytes of the last input belonged to it.
        case complete(consumed: Int)
    }

    enum State: Equatable, Sendable {
        case statusLine
        case headers
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
        case complete
    }

    /// Keep the body (for batch replies); otherwise body bytes are only counted.
    public var captureBody: Bool
    public private(set) var status = 0
    public private(set) var keepAlive = true
    public private(set) var body: [UInt8] = []
    public private(set) var bodyByteCount = 0
    private(set) var state: State = .statusLine
    private var line: [UInt8] = []
    private var headerByteCount = 0
    private var contentLength: Int?
    private var chunked = false

    public init(captureBody: Bool = false) {
        self.captureBody = captureBody
    }

    public mutating func reset() {
        status = 0
        keepAlive = true
        body.removeAll(keepingCapacity: true)
        bodyByteCount = 0
        state = .statusLine
        line.removeAll(keepingCapacity: true)
        headerByteCount = 0
        contentLength = nil
        chunked = false
    }

    public var isComplete: Bool { state == .complete }
    /// True while nothing of a response has arrived yet.
    public var isIdle: Bool { state == .statusLine && line.isEmpty && status == 0 }

    public mutating func consume(_ bytes: [UInt8]) throws(HTTPResponseError) -> Progress {
        var result: Result<Progress, HTTPResponseError> = .success(.needMore)
        bytes.withUnsafeBytes { buffer in
            do throws(HTTPResponseError) { result = .success(try consume(buffer)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    public mutating func consume(_ buffer: UnsafeRawBufferPointer) throws(HTTPResponseError) -> Progress {
        var index = 0
        let count = buffer.count
        while index < count {
            switch state {
            case .complete:
                return .complete(consumed: index)
            case .statusLine, .headers, .chunkSize, .chunkDataEnd, .trailers:
                let limit = state == .chunkSize || state == .chunkDataEnd
                    ? Self.maxChunkSizeLineBytes : Self.maxHeaderBytes
                var end = index
                while end < count && buffer[end] != UInt8(ascii: "\n") { end += 1 }
                let piece = end - index
                if state == .statusLine || state == .headers || state == .trailers {
                    headerByteCount += piece + (end < count ? 1 : 0)
                    if headerByteCount > Self.maxHeaderBytes { throw .headersTooLarge }
                }
                if line.count + piece > limit { throw .lineTooLong }
                line.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[index..<end]))
                if end == count { return .needMore }
                index = end + 1
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                try handleLine()
                line.removeAll(keepingCapacity: true)
            case .fixedBody(let remaining):
                let take = min(remaining, count - index)
                appendBody(UnsafeRawBufferPointer(rebasing: buffer[index..<(index + take)]))
                index += take
                if take == remaining { state = .complete } else { state = .fixedBody(remaining: remaining - take) }
            case .chunkData(let remaining):
                let take = min(remaining, count - index)
                appendBody(UnsafeRawBufferPointer(rebasing: buffer[index..<(index + take)]))
                index += take
                state = take == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - take)
            case .untilClose:
                appendBody(UnsafeRawBufferPointer(rebasing: buffer[index..<count]))
                index = count
            }
        }
        return state == .complete ? .complete(consumed: index) : .needMore
    }

    /// The peer closed the connection: completes a read-until-close body, otherwise the response was cut short.
    public mutating func finishAtEOF() throws(HTTPResponseError) {
        if state == .untilClose {
            state = .complete
            return
        }
        if state != .complete { throw .truncated }
    }

    private mutating func appendBody(_ bytes: UnsafeRawBufferPointer) {
        bodyByteCount += bytes.count
        if captureBody && body.count + bytes.count <= Self.maxCapturedBodyBytes { body.append(contentsOf: bytes) }
    }

    private mutating func handleLine() throws(HTTPResponseError) {
        switch state {
        case .statusLine:
            try parseStatusLine()
            state = .headers
        case .headers:
            if line.isEmpty { try finishHeaders() } else { try parseHeader() }
        case .chunkSize:
            var size = 0
            var digits = 0
            for byte in line {
                let nibble: Int
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = Int(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = Int(byte - UInt8(ascii: "a")) + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = Int(byte - UInt8(ascii: "A")) + 10
                case UInt8(ascii: ";"), UInt8(ascii: " "), UInt8(ascii: "\t"):
                    nibble = -1
                default: throw .badChunkSize
                }
                if nibble < 0 { break }
                digits += 1
                if digits > 15 { throw .badChunkSize }
                size = size * 16 + nibble
            }
            if digits == 0 { throw .badChunkSize }
            state = size == 0 ? .trailers : .chunkData(remaining: size)
        case .chunkDataEnd:
            guard line.isEmpty else { throw .badChunkSize }
            state = .chunkSize
        case .trailers:
            if line.isEmpty { state = .complete }
        default:
            break
        }
    }

    private mutating func parseStatusLine() throws(HTTPResponseError) {
        // "HTTP/1.x SP 3DIGIT [SP reason]"
        guard line.count >= 12, Self.equalsIgnoringCase(line[0..<7], "http/1."), line[8] == UInt8(ascii: " ") else {
            throw .badStatusLine
        }
        let minor = line[7]
        guard minor == UInt8(ascii: "0") || minor == UInt8(ascii: "1") else { throw .badStatusLine }
        keepAlive = minor == UInt8(ascii: "1")
        var code = 0
        for byte in line[9..<12] {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { throw .badStatusLine }
            code = code * 10 + Int(byte - UInt8(ascii: "0"))
        }
        guard line.count == 12 || line[12] == UInt8(ascii: " ") else { throw .badStatusLine }
        status = code
    }

    private mutating func parseHeader() throws(HTTPResponseError) {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0 else { throw .badHeader }
        let name = line[0..<colon]
        var valueStart = colon + 1
        var valueEnd = line.count
        while valueStart < valueEnd && (line[valueStart] == 32 || line[valueStart] == 9) { valueStart += 1 }
        while valueEnd > valueStart && (line[valueEnd - 1] == 32 || line[valueEnd - 1] == 9) { valueEnd -= 1 }
        let value = line[valueStart..<valueEnd]
        if Self.equalsIgnoringCase(name, "content-length") {
            var length = 0
            guard !value.isEmpty, value.count <= 18 else { throw .badContentLength }
            for byte in value {
                guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { throw .badContentLength }
                length = length * 10 + Int(byte - UInt8(ascii: "0"))
            }
            if let existing = contentLength, existing != length { throw .badContentLength }
            contentLength = length
        } else if Self.equalsIgnoringCase(name, "transfer-encoding") {
            if Self.containsIgnoringCase(value, "chunked") { chunked = true }
        } else if Self.equalsIgnoringCase(name, "connection") {
            if Self.containsIgnoringCase(value, "close") { keepAlive = false }
            if Self.containsIgnoringCase(value, "keep-alive") { keepAlive = true }
        }
    }

    private mutating func finishHeaders() throws(HTTPResponseError) {
        if status >= 100 && status < 200 {
            // Interim response (100 Continue): the real one follows.
            let keep = captureBody
            reset()
            captureBody = keep
            return
        }
        if status == 204 || status == 304 {
            state = .complete
        } else if chunked {
            state = .chunkSize
        } else if let length = contentLength {
            state = length == 0 ? .complete : .fixedBody(remaining: length)
        } else {
            keepAlive = false
            state = .untilClose
        }
    }

    static func equalsIgnoringCase(_ bytes: ArraySlice<UInt8>, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        var index = 0
        for byte in bytes {
            let lowered = byte >= 65 && byte <= 90 ? byte + 32 : byte
            if lowered != expected[index] { return false }
            index += 1
        }
        return true
    }

    static func containsIgnoringCase(_ bytes: ArraySlice<UInt8>, _ needle: StaticString) -> Bool {
        let target = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        guard target.count <= bytes.count else { return false }
        var start = bytes.startIndex
        while start + target.count <= bytes.endIndex {
            var matched = true
            for offset in 0..<target.count {
                let byte = bytes[start + offset]
                if (byte >= 65 && byte <= 90 ? byte + 32 : byte) != target[offset] {
                    matched = false
                    break
                }
            }
            if matched { return true }
            start += 1
        }
        return false
    }
}

public enum HTTPResponseError: Error, Equatable, Sendable {
    case badStatusLine
    case badHeader
    case badContentLength
    case badChunkSize
    case headersTooLarge
    case lineTooLong
    case truncated
}
