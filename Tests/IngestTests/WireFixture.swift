import Foundation
import TestSupport

/// One captured request from Tests/IngestTests/Fixtures (copied from /work/shared/fixtures/wire).
struct WireFixture {
    let name: String
    let body: [UInt8]
    /// Headers in wire order, original case.
    let headers: [(name: String, value: String)]
    /// The capture server's decoding (`decoded` member of NAME.decoded.json), parsed with the test oracle.
    let decoded: TestJSON

    init(_ name: String) throws {
        self.name = name
        body = try Self.load(name + ".body")
        let headerDocument = try TestJSON.parse(try Self.load(name + ".headers.json"))
        guard case .array(let pairs)? = headerDocument["headers"] else { throw FixtureError.badHeaders(name) }
        headers = try pairs.map { pair in
            guard case .array(let items) = pair, items.count == 2,
                  case .string(let headerName) = items[0], case .string(let value) = items[1]
            else { throw FixtureError.badHeaders(name) }
            return (headerName, value)
        }
        guard let decoded = try TestJSON.parse(try Self.load(name + ".decoded.json"))["decoded"] else {
            throw FixtureError.missingDecoded(name)
        }
        self.decoded = decoded
    }

    /// First header with this name, compared case-insensitively.
    func header(_ name: String) -> String? {
        headers.first(where: { $0.name.lowercased() == name.lowercased() })?.value
    }

    static func load(_ file: String) throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: "Fixtures/" + file, withExtension: nil) else {
            throw FixtureError.missingFile(file)
        }
        return Array(try Data(contentsOf: url))
    }

    enum FixtureError: Error {
        case missingFile(String)
        case badHeaders(String)
        case missingDecoded(String)
    }
}
