public import HTTP1

extension HTTPStatus {
    /// The status for a bare code, with its standard reason phrase (for layers that speak in codes).
    public init(code: Int) {
        let known: [HTTPStatus] = [
            .ok, .accepted, .noContent, .badRequest, .unauthorized, .forbidden, .notFound, .methodNotAllowed,
            .requestTimeout, .lengthRequired, .contentTooLarge, .uriTooLong, .unsupportedMediaType,
            .expectationFailed, .tooManyRequests, .requestHeaderFieldsTooLarge, .internalServerError,
            .notImplemented, .serviceUnavailable, .httpVersionNotSupported,
        ]
        self = known.first { $0.code == code } ?? HTTPStatus(code: code, reason: "Status \(code)")
    }
}
