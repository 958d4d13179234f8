internal import CNGHTTP2

/// The C callbacks nghttp2 calls during `mem_recv` and `mem_send`. Each finds its session through
/// `user_data` and records what happened; none does I/O.
extension HTTP2Session {
    static func install(_ callbacks: OpaquePointer?) {
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) { _, frame, userData in
            guard let frame, frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST else { return 0 }
            HTTP2Session.from(userData).streams[frame.pointee.hd.stream_id] = StreamState()
            return 0
        }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) { _, frame, name, nameLength, value, valueLength, _, userData in
            guard let frame, let name, let value else { return 0 }
            HTTP2Session.from(userData).headerReceived(
                streamID: frame.pointee.hd.stream_id, isRequestHead: frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST,
                name: UnsafeBufferPointer(start: name, count: nameLength),
                value: UnsafeBufferPointer(start: value, count: valueLength)
            )
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, userData in
            guard let frame else { return 0 }
            HTTP2Session.from(userData).frameReceived(frame.pointee)
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, streamID, data, length, userData in
            HTTP2Session.from(userData).dataReceived(streamID: streamID, UnsafeRawBufferPointer(start: data, count: length))
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, streamID, errorCode, userData in
            let session = HTTP2Session.from(userData)
            // Only streams that carried a request are the layer above's business.
            if session.streams.removeValue(forKey: streamID) != nil {
                session.events.append(.closed(streamID: streamID, errorCode: HTTP2ErrorCode(wireValue: errorCode)))
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks) { _, frame, userData in
            guard let frame else { return 0 }
            let session = HTTP2Session.from(userData)
            let header = frame.pointee.hd
            switch UInt32(header.type) {
            case NGHTTP2_GOAWAY.rawValue:
                session.goAwaySent(errorCode: frame.pointee.goaway.error_code)
            case NGHTTP2_HEADERS.rawValue, NGHTTP2_DATA.rawValue:
                if header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0 {
                    session.responseEnded(streamID: header.stream_id)
                }
            default:
                break
            }
            return 0
        }
    }

    /// The DATA source for response bodies: copies the next piece and, at the end, either ends the stream
    /// or hands over to the trailers.
    static let readResponseBody: nghttp2_data_source_read_callback = { _, streamID, buffer, length, flags, _, userData in
        let session = HTTP2Session.from(userData)
        guard let buffer, let flags, var response = session.streams[streamID]?.response else {
            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        let count = min(length, response.body.count - response.offset)
        if count > 0 {
            response.body.withUnsafeBytes { body in
                UnsafeMutableRawPointer(buffer).copyMemory(from: body.baseAddress! + response.offset, byteCount: count)
            }
            response.offset += count
        }
        if response.offset == response.body.count {
            flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            if !response.trailers.isEmpty {
                flags.pointee |= NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
                _ = session.submitTrailers(streamID: streamID, response.trailers)
            }
        }
        session.streams[streamID]?.response = response
        return count
    }

    func headerReceived(streamID: Int32, isRequestHead: Bool, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        guard var stream = streams[streamID] else { return }
        // RFC 9113 §6.5.2: each field counts its name, its value and 32 bytes of overhead. Over the cap
        // the fields are no longer stored, but nghttp2 keeps decoding so the HPACK state stays in step.
        stream.headerListBytes += name.count + value.count + 32
        if stream.headerListBytes > limits.maxHeaderListBytes {
            stream.headerListTooLarge = true
        }
        // Trailer fields only count towards the cap; nothing above reads them.
        if isRequestHead, !stream.headerListTooLarge {
            let nameText = String(decoding: name, as: UTF8.self)
            let valueText = String(decoding: value, as: UTF8.self)
            switch nameText {
            case ":method": stream.head.method = valueText
            case ":path": stream.head.path = valueText
            case ":scheme": stream.head.scheme = valueText
            case ":authority": stream.head.authority = valueText
            default: stream.head.fields.append(HTTP2HeaderField(nameText, valueText))
            }
        }
        streams[streamID] = stream
    }

    func frameReceived(_ frame: nghttp2_frame) {
        let header = frame.hd
        let streamID = header.stream_id
        let endsStream = header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        switch UInt32(header.type) {
        case NGHTTP2_HEADERS.rawValue:
            guard var stream = streams[streamID] else { return }
            if frame.headers.cat == NGHTTP2_HCAT_REQUEST {
                if endsStream { stream.requestEnded = true }
                streams[streamID] = stream
                if stream.headerListTooLarge {
                    refuseHeaderList(streamID: streamID)
                    return
                }
                events.append(.head(streamID: streamID, stream.head))
            } else if endsStream {
                // Trailers end the request; their fields are not passed on.
                stream.requestEnded = true
                streams[streamID] = stream
            } else {
                return
            }
            if endsStream && !stream.headerListTooLarge && !stream.bodyTooLarge { events.append(.end(streamID: streamID)) }
        case NGHTTP2_DATA.rawValue:
            guard endsStream, var stream = streams[streamID] else { return }
            stream.requestEnded = true
            streams[streamID] = stream
            if !stream.headerListTooLarge && !stream.bodyTooLarge { events.append(.end(streamID: streamID)) }
        case NGHTTP2_RST_STREAM.rawValue:
            resetReceived()
        case NGHTTP2_PING.rawValue:
            if header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0 { pingAcknowledged() }
        default:
            break
        }
    }

    func dataReceived(streamID: Int32, _ bytes: UnsafeRawBufferPointer) {
        guard var stream = streams[streamID], !stream.headerListTooLarge, !stream.bodyTooLarge else {
            // Nobody will take these bytes: give their window back at once.
            consume(streamID: streamID, byteCount: bytes.count)
            return
        }
        guard stream.bodyBytes + bytes.count <= limits.maxBodyBytesPerStream else {
            stream.bodyTooLarge = true
            streams[streamID] = stream
            consume(streamID: streamID, byteCount: bytes.count)
            events.append(.bodyTooLarge(streamID: streamID))
            return
        }
        stream.bodyBytes += bytes.count
        streams[streamID] = stream
        events.append(.data(streamID: streamID, bytes: Array(bytes)))
    }
}
