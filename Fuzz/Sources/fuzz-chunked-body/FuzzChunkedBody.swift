import HTTP1

/// The chunked decoder: a fixed chunked request head, then the fuzz input as the body (size lines,
/// extensions, data, trailers). De-chunked bytes can never outnumber the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChunkedBody(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = chunkedHead + Array(UnsafeBufferPointer(start: data, count: size))
    var parser = RequestParser()
    var bodyBytes = 0
    input.withUnsafeBytes { buffer in
        var offset = 0
        while true {
            let slice = UnsafeRawBufferPointer(rebasing: buffer[offset...])
            let (consumed, event) = parser.parse(slice)
            precondition(consumed <= slice.count)
            offset += consumed
            switch event {
            case .needMore, .error, .end: return
            case .head: break
            case .body(let range):
                precondition(range.upperBound <= consumed, "body slice outside the consumed prefix")
                bodyBytes += range.count
            }
        }
    }
    precondition(bodyBytes <= size, "more body bytes (\(bodyBytes)) than input (\(size))")
    return 0
}

let chunkedHead = Array("POST /1/batch/fuzz HTTP/1.1\r\nHost: fuzz\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
