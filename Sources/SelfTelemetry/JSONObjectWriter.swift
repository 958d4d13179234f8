import EventModel

/// Writes the members of a flat JSON object (`"name":value` pairs, comma-separated), skipping nil values,
/// so events leave unknown fields out rather than writing nulls. The names are the code's own.
struct JSONObjectWriter {
    /// `,"a":1,"b":"x"`: every member with its leading comma.
    private(set) var members: [UInt8] = []

    init(capacity: Int = 512) {
        members.reserveCapacity(capacity)
    }

    private mutating func key(_ name: StaticString) {
        members.append(UInt8(ascii: ","))
        members.append(UInt8(ascii: "\""))
        members.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        members.append(UInt8(ascii: "\""))
        members.append(UInt8(ascii: ":"))
    }

    mutating func string(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        members.append(UInt8(ascii: "\""))
        JSONStringEscaper.appendEscaped(value, controls: .unicode, to: &members)
        members.append(UInt8(ascii: "\""))
    }

    mutating func int(_ name: StaticString, _ value: Int?) {
        guard let value else { return }
        key(name)
        members.append(contentsOf: String(value).utf8)
    }

    /// Whole microseconds (rounded down) of a duration.
    mutating func microseconds(_ name: StaticString, _ value: Duration?) {
        guard let value else { return }
        let (seconds, attoseconds) = value.components
        int(name, Int(seconds) * 1_000_000 + Int(attoseconds / 1_000_000_000_000))
    }

    /// A number with one decimal; nothing for NaN or infinity (not JSON).
    mutating func decimal(_ name: StaticString, _ value: Double?) {
        guard let value, value.isFinite else { return }
        key(name)
        let tenths = Int((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        members.append(contentsOf: "\(sign)\(abs(tenths) / 10).\(abs(tenths) % 10)".utf8)
    }

    mutating func bool(_ name: StaticString, _ value: Bool?) {
        guard let value else { return }
        key(name)
        members.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// Members written elsewhere (with their leading commas).
    mutating func append(members more: [UInt8]) {
        members.append(contentsOf: more)
    }

    /// `{…}` of the members written so far.
    func object() -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(members.count + 1)
        out.append(contentsOf: members.dropFirst())
        out.append(UInt8(ascii: "}"))
        return out
    }
}
