import CNGHTTP2

/// An HTTP/2 client for tests: nghttp2's own client session, driven in memory (or over a socket with
/// ``exchange(over:timeout:until:)``). It produces the frames a real client sends and records what the server
/// answered, per stream.
public final class HTTP2TestClient {
    public struct StreamRecord: Sendable {
        public var headers: [(String, String)] = []
        public var trailers: [(String, String)] = []
        public var body: [UInt8] = []
        public var closedWith: UInt32?
        public var resetByServer: UInt32?

        public var status: String? { headers.first { $0.0 == ":status" }?.1 }
    }

    private var session: OpaquePointer!
    public var streams: [Int32: StreamRecord] = [:]
    /// Error code of the GOAWAY received, if any, and its last stream id.
    public var goAway: (errorCode: UInt32, lastStreamID: Int32)?
    public var goAwayCount = 0
    public var pingAcks = 0
    fileprivate var uploads: [Int32: (body: [UInt8], offset: Int)] = [:]

    public init(settings: [(Int32, UInt32)] = []) {
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) { _, frame, name, nameLength, value, valueLength, _, userData in
            let client = HTTP2TestClient.from(userData)
            let id = frame!.pointee.hd.stream_id
            let field = (
                String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self),
                String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self)
            )
            if frame!.pointee.headers.cat == NGHTTP2_HCAT_RESPONSE {
                client.streams[id, default: StreamRecord()].headers.append(field)
            } else {
                client.streams[id, default: StreamRecord()].trailers.append(field)
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, id, data, length, userData in
            HTTP2TestClient.from(userData).streams[id, default: StreamRecord()].body
                .append(contentsOf: UnsafeBufferPointer(start: data, count: length))
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, userData in
            let client = HTTP2TestClient.from(userData)
            let header = frame!.pointee.hd
            switch UInt32(header.type) {
            case NGHTTP2_GOAWAY.rawValue:
                client.goAway = (frame!.pointee.goaway.error_code, frame!.pointee.goaway.last_stream_id)
                client.goAwayCount += 1
            case NGHTTP2_RST_STREAM.rawValue:
                client.streams[header.stream_id, default: StreamRecord()].resetByServer = frame!.pointee.rst_stream.error_code
            case NGHTTP2_PING.rawValue:
                if header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0 { client.pingAcks += 1 }
            default:
                break
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, id, errorCode, userData in
            HTTP2TestClient.from(userData).streams[id, default: StreamRecord()].closedWith = errorCode
            return 0
        }
        var option: OpaquePointer?
        nghttp2_option_new(&option)
        defer { nghttp2_option_del(option) }
        // nghttp2 bounds an outgoing header block by its uncompressed size; a test client sends HPACK bombs.
        nghttp2_option_set_max_send_header_block_length(option, 1 << 20)
        var created: OpaquePointer?
        nghttp2_session_client_new2(&created, callbacks, Unmanaged.passUnretained(self).toOpaque(), option)
        session = created
        var entries = settings.map { nghttp2_settings_entry(settings_id: $0.0, value: $0.1) }
        nghttp2_submit_settings(session, 0, &entries, entries.count)
    }

    deinit {
        nghttp2_session_del(session)
    }

    static func from(_ userData: UnsafeMutableRawPointer?) -> HTTP2TestClient {
        Unmanaged<HTTP2TestClient>.fromOpaque(userData!).takeUnretainedValue()
    }

    /// Submits a request; with `endStream: false` and no body the stream stays open for the client.
    @discardableResult
    public func request(
        method: String = "POST", path: String = "/", headers: [(String, String)] = [], body: [UInt8]? = nil
    ) -> Int32 {
        let fields = [(":method", method), (":scheme", "http"), (":authority", "localhost"), (":path", path)] + headers
        return withNameValues(fields) { list, count in
            guard let body else {
                return nghttp2_submit_request(session, nil, list, count, nil, nil)
            }
            var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil)) { _, id, buffer, length, flags, _, userData in
                let client = HTTP2TestClient.from(userData)
                guard var upload = client.uploads[id] else { return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue) }
                let count = min(length, upload.body.count - upload.offset)
                upload.body.withUnsafeBytes { UnsafeMutableRawPointer(buffer!).copyMemory(from: $0.baseAddress! + upload.offset, byteCount: count) }
                upload.offset += count
                if upload.offset == upload.body.count { flags!.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue }
                client.uploads[id] = upload
                return count
            }
            let id = nghttp2_submit_request(session, nil, list, count, &provider, nil)
            uploads[id] = (body, 0)
            return id
        }
    }

    /// HEADERS without END_STREAM: a request whose body never comes (until reset).
    @discardableResult
    public func openStream(path: String = "/") -> Int32 {
        let fields = [(":method", "POST"), (":scheme", "http"), (":authority", "localhost"), (":path", path)]
        return withNameValues(fields) { list, count in
            nghttp2_submit_headers(session, 0, -1, nil, list, count, nil)
        }
    }

    /// RST_STREAM; the default code is CANCEL (0x8).
    public func reset(_ id: Int32, code: UInt32 = 0x8) {
        nghttp2_submit_rst_stream(session, 0, id, code)
    }

    public func ping() {
        nghttp2_submit_ping(session, 0, nil)
    }

    /// Bytes the client wants to send now.
    public func takeOutput() -> [UInt8] {
        var output: [UInt8] = []
        while true {
            var data: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(session, &data)
            guard count > 0, let data else { break }
            output.append(contentsOf: UnsafeBufferPointer(start: data, count: count))
        }
        return output
    }

    public func receive(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        _ = bytes.withUnsafeBufferPointer { nghttp2_session_mem_recv(session, $0.baseAddress, $0.count) }
    }

    private func withNameValues<Result>(_ fields: [(String, String)], _ body: (UnsafePointer<nghttp2_nv>?, Int) -> Result) -> Result {
        let total = fields.reduce(1) { $0 + $1.0.utf8.count + $1.1.utf8.count }
        let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: total)
        defer { storage.deallocate() }
        var offset = 0
        var list: [nghttp2_nv] = []
        for (name, value) in fields {
            let nameStart = storage + offset
            for byte in name.utf8 { storage[offset] = byte; offset += 1 }
            let valueStart = storage + offset
            for byte in value.utf8 { storage[offset] = byte; offset += 1 }
            list.append(nghttp2_nv(
                name: nameStart, value: valueStart, namelen: name.utf8.count, valuelen: value.utf8.count,
                flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)
            ))
        }
        return list.withUnsafeBufferPointer { body($0.baseAddress, $0.count) }
    }
}
