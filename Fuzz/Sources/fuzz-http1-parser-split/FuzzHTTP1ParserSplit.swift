import HTTP1

/// Differential: the input parsed whole must give the same events (heads, body bytes, ends, the final
/// error or not) as the same bytes arriving in pieces, carried over between reads exactly as
/// HTTPConnection keeps an unconsumed tail. The first input byte picks the piece sizes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP1ParserSplit(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 1 else { return 0 }
    let seed = Int(data[0])
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let whole = Transcript.parse(pieces: [bytes])
    var pieces: [[UInt8]] = []
    var offset = 0
    var step = 0
    while offset < bytes.count {
        let length = min(1 + (seed &* 31 &+ step &* 7) % 23, bytes.count - offset)
        pieces.append(Array(bytes[offset..<offset + length]))
        offset += length
        step += 1
    }
    let split = Transcript.parse(pieces: pieces)
    precondition(whole == split, "split parse differs:\nwhole \(whole)\nsplit \(split)")
    return 0
}

/// What a connection would see, independent of how the bytes were cut.
struct Transcript: Equatable {
    var heads: [RequestHead] = []
    var body: [UInt8] = []
    var ends = 0
    var failed: HTTPParseError?

    static func parse(pieces: [[UInt8]]) -> Transcript {
        var transcript = Transcript()
        var parser = RequestParser()
        var pending: [UInt8] = []
        for piece in pieces {
            pending += piece
            var offset = 0
            parsing: while true {
                let (consumed, event): (Int, ParseEvent) = pending.withUnsafeBytes { buffer in
                    let slice = UnsafeRawBufferPointer(rebasing: buffer[offset...])
                    let result = parser.parse(slice)
                    if case .body(let range) = result.event {
                        transcript.body += slice[range]
                    }
                    return result
                }
                offset += consumed
                switch event {
                case .needMore: break parsing
                case .head(let head): transcript.heads.append(head)
                case .body: break
                case .end: transcript.ends += 1
                case .error(let error):
                    transcript.failed = error
                    return transcript
                }
            }
            pending.removeFirst(offset)
        }
        return transcript
    }
}
