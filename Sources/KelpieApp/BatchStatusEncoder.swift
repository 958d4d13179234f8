import HTTPServer
import Ingest

/// The `/1/batch` reply body: one `{"status":…}` per submitted event, in order, `error` only on failures.
enum BatchStatusEncoder {
    private static let accepted = Array(#"{"status":202}"#.utf8)

    static func json(_ statuses: [EventStatus]) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(2 + statuses.count * (accepted.count + 1))
        body.append(UInt8(ascii: "["))
        for (index, status) in statuses.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            switch status {
            case .accepted:
                body.append(contentsOf: accepted)
            case .rejected(let code, let message):
                body.append(contentsOf: #"{"status":"#.utf8)
                body.append(contentsOf: String(code).utf8)
                body.append(contentsOf: #","error":""#.utf8)
                JSONString.appendEscaped(message, to: &body)
                body.append(contentsOf: #""}"#.utf8)
            }
        }
        body.append(UInt8(ascii: "]"))
        return body
    }
}
