import HTTP1

/// The whole input in one buffer, parsed request after request as a connection would: every event must
/// keep the parser's contract (consumed within the input, body slices inside the consumed prefix).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP1Parser(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    var parser = RequestParser()
    var offset = 0
    while offset <= input.count {
        let slice = UnsafeRawBufferPointer(rebasing: input[offset...])
        let (consumed, event) = parser.parse(slice)
        precondition(consumed >= 0 && consumed <= slice.count, "consumed \(consumed) of \(slice.count)")
        offset += consumed
        switch event {
        case .needMore, .error:
            return 0
        case .body(let range):
            precondition(range.lowerBound >= 0 && range.upperBound <= consumed, "body slice outside the consumed prefix")
        case .head, .end:
            break
        }
    }
    return 0
}
