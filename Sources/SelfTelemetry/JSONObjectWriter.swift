import EventModel

/// Writes the members of a flat JSON object (`"name":value` pairs, comma-separated) straight into the
/// caller's buffer, skipping nil values, so events leave unknown fields out rather than writing nulls.
/// The names are the code's own. Runs once per field of every event on the sender's queue: no
/// intermediate strings for numbers, no copy of the finished object.
struct JSONObjectWriter {
    private(set) var out: [UInt8]
    private var empty = true

    /// Starts an object (`{`) at the end of `buffer`, taking the buffer over (left empty) until ``finish()``
    /// hands it back: appending never copies it.
    init(appendingTo buffer: inout [UInt8]) {
        out = []
        swap(&out, &buffer)
        out.append(UInt8(ascii: "{"))
    }

    /// Closes the object (`}`) and hands the buffer back.
    consuming func finish() -> [UInt8] {
        out.append(UInt8(ascii: "}"))
        return out
    }

    private mutating func key(_ name: StaticString) {
        if !empty { out.append(UInt8(ascii: ",")) }
        empty = false
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
    }

    mutating func string(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        out.append(UInt8(ascii: "\""))
        JSONStringEscaper.appendEscaped(value, controls: .unicode, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    mutating func int(_ name: StaticString, _ value: Int?) {
        guard let value else { return }
        key(name)
        appendDecimal(value)
    }

    /// Whole microseconds (rounded down) of a duration.
    mutating func microseconds(_ name: StaticString, _ value: Duration?) {
        guard let value else { return }
        let (seconds, attoseconds) = value.components
        int(name, Int(seconds) &* 1_000_000 &+ Int(attoseconds / 1_000_000_000_000))
    }

    /// A number with one decimal; nothing for NaN or infinity (not JSON).
    mutating func decimal(_ name: StaticString, _ value: Double?) {
        guard let value, value.isFinite, abs(value) < 1e15 else { return }
        key(name)
        let tenths = Int((value * 10).rounded())
        if tenths < 0 { out.append(UInt8(ascii: "-")) }
        appendDecimal(abs(tenths) / 10)
        out.append(UInt8(ascii: "."))
        out.append(UInt8(ascii: "0") + UInt8(abs(tenths) % 10))
    }

    mutating func bool(_ name: StaticString, _ value: Bool?) {
        guard let value else { return }
        key(name)
        out.append(contentsOf: value ? "true".utf8 : "false".utf8)
    }

    /// Members written elsewhere, each with a leading comma (``members(_:)``).
    mutating func append(members more: [UInt8]) {
        guard !more.isEmpty else { return }
        out.append(contentsOf: empty ? more.dropFirst() : more[...])
        empty = false
    }

    /// Members written by `write`, each with a leading comma, to add to other objects with ``append(members:)``.
    static func members(_ write: (inout JSONObjectWriter) -> Void) -> [UInt8] {
        var buffer: [UInt8] = []
        var writer = JSONObjectWriter(appendingTo: &buffer)
        writer.empty = false  // every member gets its comma
        write(&writer)
        return Array(writer.finish().dropFirst().dropLast())
    }

    private mutating func appendDecimal(_ value: Int) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes, room for 20 digits
        let count = withUnsafeMutableBytes(of: &digits) { buffer in
            var end = buffer.count
            repeat {
                end -= 1
                buffer[end] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[end...]))
            return buffer.count - end
        }
        _ = count
    }
}
