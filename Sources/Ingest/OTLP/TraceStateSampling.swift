/// husky's fallback sample rate from a span's W3C `tracestate`: the OpenTelemetry sampling threshold
/// (`ot=…;th:<hex>`, or the legacy `th=<hex>`) turned into an adjusted count.
enum TraceStateSampling {
    /// 2^56: thresholds are 56-bit fractions of this.
    static let maxAdjustedCount = 72_057_594_037_927_936.0
    static let maxThresholdHexDigits = 14
    /// Above this adjusted count husky skips random rounding (within 1%).
    static let exactRoundingAbove: Int32 = 100

    static func sampleRate(traceState: UnsafePointer<UInt8>, count: Int) -> Int32? {
        let text = String(decoding: UnsafeBufferPointer(start: traceState, count: count), as: UTF8.self)
        guard let threshold = thresholdHex(in: text).flatMap(parseThreshold) else { return nil }
        let adjusted = maxAdjustedCount / (maxAdjustedCount - Double(threshold))
        guard adjusted.isFinite, adjusted >= 1 else { return nil }
        if adjusted >= Double(Int32.max) { return Int32.max }
        let low = Int32(adjusted.rounded(.down))
        if low > exactRoundingAbove { return low }
        let high = Int32(adjusted.rounded(.up))
        if high == low { return low }
        // Randomly round so the average over many spans matches the adjusted count (husky).
        return Double.random(in: 0..<1) < adjusted - Double(low) ? high : low
    }

    /// The `th` value: first from an `ot=` vendor entry (`ot=p:8;th:c`), else from `th=` pairs.
    static func thresholdHex(in traceState: String) -> Substring? {
        for entry in traceState.split(separator: ",", omittingEmptySubsequences: false) where entry.hasPrefix("ot=") {
            for pair in entry.dropFirst(3).split(separator: ";", omittingEmptySubsequences: false) {
                let parts = pair.split(separator: ":", omittingEmptySubsequences: false)
                if parts.count == 2 && parts[0] == "th" { return parts[1] }
            }
        }
        var legacy: Substring?
        for pair in traceState.split(separator: ";", omittingEmptySubsequences: false) {
            let parts = pair.split(separator: "=", omittingEmptySubsequences: false)
            if parts.count == 2 && parts[0] == "th" { legacy = parts[1] }
        }
        return legacy
    }

    /// 1–14 hex digits, padded on the right to 56 bits.
    static func parseThreshold(_ hex: Substring) -> UInt64? {
        guard !hex.isEmpty, hex.utf8.count <= maxThresholdHexDigits, let value = UInt64(hex, radix: 16) else { return nil }
        return value << UInt64(4 * (maxThresholdHexDigits - hex.utf8.count))
    }
}
