internal import CNGHTTP2

/// Lays header fields out as the `nghttp2_nv` array nghttp2's submit functions take. nghttp2 copies the
/// names and values during the call, so the storage only has to outlive `body`.
enum HeaderBlock {
    static func withNameValues<Result>(
        _ fields: [(name: String, value: String)], _ body: (UnsafePointer<nghttp2_nv>?, Int) -> Result
    ) -> Result {
        var storage: [UInt8] = []
        storage.reserveCapacity(fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count })
        var offsets: [(name: Range<Int>, value: Range<Int>)] = []
        offsets.reserveCapacity(fields.count)
        for field in fields {
            let nameStart = storage.count
            storage.append(contentsOf: field.name.utf8)
            let valueStart = storage.count
            storage.append(contentsOf: field.value.utf8)
            offsets.append((nameStart..<valueStart, valueStart..<storage.count))
        }
        // One spare byte so an empty storage still has a base address.
        storage.append(0)
        return storage.withUnsafeMutableBufferPointer { bytes in
            let base = bytes.baseAddress!
            let list = offsets.map { range in
                nghttp2_nv(
                    name: base + range.name.lowerBound, value: base + range.value.lowerBound,
                    namelen: range.name.count, valuelen: range.value.count, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)
                )
            }
            return list.withUnsafeBufferPointer { body($0.baseAddress, $0.count) }
        }
    }
}
