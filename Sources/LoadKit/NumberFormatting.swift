/// Fixed-point number formatting without Foundation.
enum NumberFormatting {
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int64(scaled / scale)
        let fraction = Int64(scaled - Double(whole) * scale)
        let sign = value < 0 && scaled > 0 ? "-" : ""
        guard decimals > 0 else { return sign + String(whole) }
        var fractionText = String(fraction)
        while fractionText.count < decimals { fractionText = "0" + fractionText }
        return "\(sign)\(whole).\(fractionText)"
    }

    /// 1234567 → "1.23M", 12345 → "12.3k".
    static func short(_ value: Double) -> String {
        if value >= 1e6 { return fixed(value / 1e6, 2) + "M" }
        if value >= 1e4 { return fixed(value / 1e3, 1) + "k" }
        return fixed(value, value < 100 ? 1 : 0)
    }

    static func millis(_ value: Double) -> String {
        value >= 100 ? fixed(value, 0) + "ms" : (value >= 10 ? fixed(value, 1) + "ms" : fixed(value, 2) + "ms")
    }

    static func padded(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    static func rightAligned(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
