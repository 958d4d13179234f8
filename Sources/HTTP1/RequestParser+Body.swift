/// Chunked transfer coding (RFC 9112 §7.1): size lines, and the trailer section after the last chunk.
/// Fixed-length bodies need no more than the slicing in `parse(_:)`.
extension RequestParser {
    enum ChunkSizeLineResult {
        case needMore
        case failure(HTTPParseError)
        /// A complete size line; `next` is the offset just past its CRLF.
        case line(next: Int, size: Int)
    }

    enum TrailerLineResult {
        case needMore
        case failure(HTTPParseError)
        /// A valid trailer field line of `lineBytes` bytes (CRLF included), discarded.
        case field(next: Int, lineBytes: Int)
        /// The empty line that ends the message.
        case endOfTrailers(next: Int)
    }

    /// `chunk-size [ chunk-ext ] CRLF`: hex digits, then optionally whitespace and `;` extensions
    /// (skipped, but they may not contain control bytes). At most `maxChunkLineBytes` before the CRLF.
    mutating func parseChunkSizeLine(_ base: UnsafeRawPointer, from start: Int, count: Int) -> ChunkSizeLineResult {
        let window = limits.maxChunkLineBytes + 2
        let available = count - start
        let searchEnd = start + min(available, window)
        let searchFrom = start + min(lineSearchedBytes, searchEnd - start)
        guard let lineFeed = ByteScan.firstLineFeed(base, from: searchFrom, to: searchEnd) else {
            if available >= window {
                return .failure(.badRequest("chunk size line too long"))
            }
            lineSearchedBytes = searchEnd - start
            return .needMore
        }
        lineSearchedBytes = 0
        guard lineFeed > start, base.byte(at: lineFeed - 1) == ByteScan.cr else {
            return .failure(.badRequest("chunk line not ended by CRLF"))
        }
        let end = lineFeed - 1

        var index = start
        var size = 0
        while index < end, let digit = Self.hexValue(base.byte(at: index)) {
            guard size <= Int.max >> 4 else { return .failure(.badRequest("chunk size overflow")) }
            size = size << 4 | digit
            index += 1
        }
        if index == start {
            return .failure(.badRequest("invalid chunk size"))
        }
        if index < end {
            while index < end && ByteScan.isWhitespace(base.byte(at: index)) {
                index += 1
            }
            guard index < end, base.byte(at: index) == ByteScan.semicolon else {
                return .failure(.badRequest("invalid chunk size"))
            }
            if ByteScan.firstInvalidFieldValueByte(base, from: index + 1, to: end) != nil {
                return .failure(.badRequest("invalid chunk extension"))
            }
        }
        return .line(next: lineFeed + 1, size: size)
    }

    /// One trailer line. Trailer fields are validated like header fields, then discarded; together
    /// they may take at most `maxTrailerBytes` (each line counted with its CRLF; the final empty line is not).
    mutating func parseTrailerLine(_ base: UnsafeRawPointer, from start: Int, count: Int, bytesSoFar: Int) -> TrailerLineResult {
        let budget = limits.maxTrailerBytes - bytesSoFar
        // A line within budget has its LF before `start + budget`; the empty line needs 2 bytes.
        let window = budget + 2
        let available = count - start
        let searchEnd = start + min(available, window)
        let searchFrom = start + min(lineSearchedBytes, searchEnd - start)
        guard let lineFeed = ByteScan.firstLineFeed(base, from: searchFrom, to: searchEnd) else {
            if available >= window {
                return .failure(.headerFieldsTooLarge)
            }
            lineSearchedBytes = searchEnd - start
            return .needMore
        }
        lineSearchedBytes = 0
        guard lineFeed > start, base.byte(at: lineFeed - 1) == ByteScan.cr else {
            return .failure(.badRequest("trailer line not ended by CRLF"))
        }
        let end = lineFeed - 1
        if end == start {
            return .endOfTrailers(next: lineFeed + 1)
        }
        let lineBytes = lineFeed + 1 - start
        if lineBytes > budget {
            return .failure(.headerFieldsTooLarge)
        }
        if case .failure(let error) = Self.parseFieldLine(base, from: start, to: end) {
            return .failure(error)
        }
        return .field(next: lineFeed + 1, lineBytes: lineBytes)
    }

    @inline(__always)
    static func hexValue(_ byte: UInt8) -> Int? {
        let digit = byte &- 0x30
        if digit <= 9 { return Int(digit) }
        let letter = (byte | 0x20) &- 0x61
        if letter <= 5 { return Int(letter) + 10 }
        return nil
    }
}
