/// Parses the human forms of durations and sizes used in flags and environment variables.
public enum ConfigValueParser {
    /// `500ms`, `5s`, `2m`, `1h`, `1.5s`, or bare seconds (`30`).
    public static func duration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 1e-3), ("us", 1e-6), ("µs", 1e-6), ("ns", 1e-9), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, seconds) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value >= 0, value.isFinite else { return nil }
            return .nanoseconds(Int64((value * seconds * 1e9).rounded()))
        }
        guard let value = Double(text), value >= 0, value.isFinite else { return nil }
        return .nanoseconds(Int64((value * 1e9).rounded()))
    }

    /// `1048576`, `64KiB`, `64MiB`, `1GiB`, `10MB` (decimal), `512k` (binary, like `KiB`).
    public static func byteCount(_ text: String) -> Int? {
        let units: [(String, Int)] = [
            ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40),
            ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000),
            ("k", 1 << 10), ("K", 1 << 10), ("m", 1 << 20), ("M", 1 << 20), ("g", 1 << 30), ("G", 1 << 30), ("B", 1),
        ]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Int(text.dropLast(suffix.count)), value >= 0 else { return nil }
            let (product, overflow) = value.multipliedReportingOverflow(by: scale)
            return overflow ? nil : product
        }
        guard let value = Int(text), value >= 0 else { return nil }
        return value
    }
}
