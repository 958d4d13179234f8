import Pipeline

/// Turns a canonical event line into a Honeycomb batch item by slicing, never parsing `data`:
/// `{"dataset":"d","time":"T","samplerate":N,"key_id":"k","data":{…}}` → `{"time":"T","samplerate":N,"data":{…}}`.
/// The canonical field order is fixed (see the pipeline's WAL line encoder), so the item is the line with
/// the dataset and key id cut out.
enum BatchItemEncoder {
    static let keyIDMarkerCount = ",\"key_id\":\"".utf8.count

    /// The two slices of `block`'s event `index` that make up its item, between `{` and the rest.
    static func parts(of block: SinkBlock, event index: Int) -> (timeAndRate: Range<Int>, data: Range<Int>) {
        let event = block.events[index]
        // After the dataset's closing quote and comma comes `"time":…`, up to the key id marker.
        let timeStart = event.dataset.upperBound + 2
        let timeEnd = event.keyID.lowerBound - keyIDMarkerCount
        // After the key id's closing quote: `,"data":{…}}`.
        let dataStart = event.keyID.upperBound + 1
        return (timeStart..<timeEnd, dataStart..<event.line.upperBound)
    }

    /// Bytes the item of event `index` takes.
    static func itemByteCount(of block: SinkBlock, event index: Int) -> Int {
        let (timeAndRate, data) = parts(of: block, event: index)
        return 1 + timeAndRate.count + data.count
    }

    /// Appends the item of event `index` to `body`.
    static func appendItem(of block: SinkBlock, event index: Int, to body: inout [UInt8]) {
        let (timeAndRate, data) = parts(of: block, event: index)
        body.append(UInt8(ascii: "{"))
        body.append(contentsOf: block.lines[timeAndRate])
        body.append(contentsOf: block.lines[data])
    }
}
