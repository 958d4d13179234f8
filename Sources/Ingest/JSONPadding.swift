internal import CSimdJSON

/// simdjson reads up to `bytes` past the end of its input, so every body handed to the JSON decoder
/// must live in an array whose capacity leaves that much room after `count`.
enum JSONPadding {
    /// Readable bytes simdjson needs after the input (64 with simdjson 3).
    static let bytes: Int = kelpie_sj_padding()

    static func hasPadding(_ body: [UInt8]) -> Bool {
        body.capacity - body.count >= bytes
    }

    /// `body` itself when its capacity already has the padding (no copy), else a padded copy.
    static func padded(_ body: [UInt8]) -> [UInt8] {
        if hasPadding(body) { return body }
        var copy: [UInt8] = []
        copy.reserveCapacity(body.count + bytes)
        copy.append(contentsOf: body)
        return copy
    }
}
