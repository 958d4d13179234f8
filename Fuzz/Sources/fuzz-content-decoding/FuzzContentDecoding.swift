import Ingest

/// gzip, zstd and identity decoding with a cap. The first byte picks the encoding (0 identity, 1 gzip,
/// 2 zstd, modulo 3). Output never passes the cap, whatever the input declares.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzContentDecoding(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let encodings: [ContentEncoding] = [.identity, .gzip, .zstd]
    let encoding = encodings[Int(data[0]) % encodings.count]
    let body = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let cap = 1 << 20
    if let decoded = try? ContentDecoder.decode(body, encoding: encoding, maxDecodedBytes: cap) {
        precondition(decoded.count <= cap, "decoded \(decoded.count) bytes past the \(cap)-byte cap")
    }
    return 0
}
