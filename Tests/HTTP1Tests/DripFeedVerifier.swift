import Testing
@testable import HTTP1

/// Everything a caller observes when it drives `RequestParser` over one input to exhaustion, in a
/// form that does not depend on how the input was split: consecutive body slices are merged.
struct ParseTranscript: Equatable, CustomStringConvertible {
    enum Entry: Equatable {
        case head(RequestHead)
        case body([UInt8])
        case end
        case error(HTTPParseError)
    }

    var entries: [Entry] = []
    /// Bytes still in the caller's buffer after the last `.needMore` (left empty after an error).
    var unconsumed: [UInt8] = []

    var heads: [RequestHead] {
        entries.compactMap { if case .head(let head) = $0 { head } else { nil } }
    }

    /// The body of each request, in order (requests without body data get `[]`).
    var bodies: [[UInt8]] {
        var result: [[UInt8]] = []
        for entry in entries {
            switch entry {
            case .head: result.append([])
            case .body(let data): result[result.count - 1] += data
            default: break
            }
        }
        return result
    }

    var endCount: Int {
        entries.filter { $0 == .end }.count
    }

    var error: HTTPParseError? {
        if case .error(let error) = entries.last { error } else { nil }
    }

    var description: String {
        let lines = entries.map { entry -> String in
            switch entry {
            case .head(let head):
                "head \(head.method) \(head.target) \(head.version) \(head.framing) keepAlive=\(head.keepAlive) "
                    + "continue=\(head.expectsContinue) \(head.headers)"
            case .body(let data): "body \(data.count) bytes \(String(decoding: data.prefix(40), as: UTF8.self).debugDescription)"
            case .end: "end"
            case .error(let error): "error \(error)"
            }
        }
        return (lines + ["unconsumed \(unconsumed.count) bytes"]).joined(separator: "\n")
    }
}

/// Drives the parser the way a connection does, over different splits of the same input, and checks
/// that every split yields the identical transcript (NIO's ByteToMessageDecoderVerifier idea).
enum DripFeedVerifier {
    /// Feeds `input` (1) whole, (2) byte by byte, (3) cut at `randomSplitCount` random points drawn
    /// from a generator seeded with `seed`; records an issue for any difference or broken invariant
    /// and returns the whole-input transcript.
    @discardableResult
    static func verify(
        _ input: [UInt8],
        limits: ParserLimits = .init(),
        seed: UInt64 = 0x5EED_CAFE,
        randomSplitCount: Int = 200,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> ParseTranscript {
        let whole = run(input, splitAt: [], limits: limits, sourceLocation: sourceLocation)
        let byteByByte = run(input, splitAt: Array(0..<input.count), limits: limits, sourceLocation: sourceLocation)
        var generator = SeededGenerator(seed: seed ^ UInt64(input.count))
        let randomSplits = randomSplitPoints(count: randomSplitCount, inputLength: input.count, using: &generator)
        let randomly = run(input, splitAt: randomSplits, limits: limits, sourceLocation: sourceLocation)

        #expect(byteByByte == whole, "byte-by-byte feed differs from whole feed:\n\(byteByByte)\n---\n\(whole)", sourceLocation: sourceLocation)
        #expect(randomly == whole, "random-split feed differs from whole feed:\n\(randomly)\n---\n\(whole)", sourceLocation: sourceLocation)
        return whole
    }

    static func randomSplitPoints(count: Int, inputLength: Int, using generator: inout SeededGenerator) -> [Int] {
        guard inputLength > 1 else { return [] }
        var points = Set<Int>()
        for _ in 0..<count {
            points.insert(Int.random(in: 1..<inputLength, using: &generator))
        }
        return points.sorted()
    }

    /// Feeds `input` in pieces cut at `splitAt` (sorted offsets; offset 0 and duplicates are harmless),
    /// looping over `parse` like a connection would, and checks the parser's contract on every call.
    static func run(
        _ input: [UInt8],
        splitAt: [Int],
        limits: ParserLimits = .init(),
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> ParseTranscript {
        var parser = RequestParser(limits: limits)
        var transcript = ParseTranscript()
        var pending: [UInt8] = []
        var pieceStart = 0
        let cuts = splitAt.filter { $0 > 0 && $0 < input.count } + [input.count]

        feeding: for cut in cuts where cut > pieceStart {
            pending += input[pieceStart..<cut]
            pieceStart = cut
            // Every call either consumes bytes or produces an event; a request yields at most
            // head + end without consuming, so this bound only trips on a stuck parser.
            var callBudget = 3 * pending.count + 16
            while true {
                callBudget -= 1
                guard callBudget >= 0 else {
                    Issue.record("parser made no progress", sourceLocation: sourceLocation)
                    break feeding
                }
                let (consumed, event) = pending.withUnsafeBytes { parser.parse($0) }
                guard consumed >= 0 && consumed <= pending.count else {
                    Issue.record("consumed \(consumed) outside 0...\(pending.count)", sourceLocation: sourceLocation)
                    break feeding
                }
                switch event {
                case .needMore:
                    pending.removeFirst(consumed)
                    // needMore means no progress is possible: asking again must change nothing.
                    let (again, againEvent) = pending.withUnsafeBytes { parser.parse($0) }
                    if again != 0 || againEvent != .needMore {
                        Issue.record("needMore not stable: then (\(again), \(againEvent))", sourceLocation: sourceLocation)
                    }
                    continue feeding
                case .head(let head):
                    if consumed == 0 { Issue.record("head consumed nothing", sourceLocation: sourceLocation) }
                    transcript.entries.append(.head(head))
                case .body(let range):
                    guard !range.isEmpty, range.lowerBound >= 0, range.upperBound <= consumed else {
                        Issue.record("body range \(range) not inside consumed \(consumed)", sourceLocation: sourceLocation)
                        break feeding
                    }
                    let data = Array(pending[range])
                    if case .body(let previous) = transcript.entries.last {
                        transcript.entries[transcript.entries.count - 1] = .body(previous + data)
                    } else {
                        transcript.entries.append(.body(data))
                    }
                case .end:
                    transcript.entries.append(.end)
                case .error(let error):
                    transcript.entries.append(.error(error))
                    pending.removeFirst(consumed)
                    let (again, againEvent) = pending.withUnsafeBytes { parser.parse($0) }
                    if again != 0 || againEvent != .error(error) {
                        Issue.record("error state not terminal: then (\(again), \(againEvent))", sourceLocation: sourceLocation)
                    }
                    // What is left depends on how much had arrived when the error was seen; not compared.
                    return transcript
                }
                pending.removeFirst(consumed)
            }
        }
        transcript.unconsumed = pending
        return transcript
    }
}
