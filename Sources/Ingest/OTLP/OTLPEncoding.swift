/// The body encoding of an OTLP/HTTP request, and of its response (the spec requires the same one).
public enum OTLPEncoding: Sendable, Equatable {
    case protobuf
    case json

    /// Husky's 415 text for any other content type (its list, in its order).
    public static let unsupportedContentTypeMessage =
        "unsupported content-type, valid types are: application/protobuf, application/x-protobuf, application/json"

    /// From a `Content-Type` value: `application/x-protobuf` and `application/protobuf` are protobuf,
    /// `application/json` is JSON; parameters (`; charset=utf-8`) and case are ignored, as the OTel
    /// Collector does (husky compares the whole header exactly). Anything else, or no header, is nil:
    /// answer 415 with ``unsupportedContentTypeMessage`` as `text/plain`.
    public init?(contentType: String?) {
        guard let contentType else { return nil }
        var mediaType = Substring(contentType)
        if let semicolon = mediaType.firstIndex(of: ";") { mediaType = mediaType[..<semicolon] }
        while let first = mediaType.first, first == " " || first == "\t" { mediaType.removeFirst() }
        while let last = mediaType.last, last == " " || last == "\t" { mediaType.removeLast() }
        switch mediaType.lowercased() {
        case "application/x-protobuf", "application/protobuf": self = .protobuf
        case "application/json": self = .json
        default: return nil
        }
    }
}
