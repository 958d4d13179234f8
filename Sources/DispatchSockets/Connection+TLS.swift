/// TLS on a connection: the handshake (bounded by its own deadline, before any handler exists), then
/// every byte through the session's SSL_read/SSL_write. WANT_READ/WANT_WRITE map onto the same
/// readiness interest as plain sockets, so both backends drive it unchanged; `scheduleRead` covers
/// the cases readiness cannot see (input OpenSSL buffered, a read that had to wait for writability).
extension Connection {
    /// From `open()`: only the handshake deadline runs until the handshake completes.
    func beginHandshake() {
        guard let tlsSession else { return }
        let deadline = ContinuousClock.now.advanced(by: tlsSession.context.configuration.handshakeTimeout)
        self.deadline = deadline
        lane.noteDeadline(deadline)
    }

    /// Advances the handshake. Returns true when it completed in this call (the handler now exists).
    /// `afterWritable`: called from write readiness, so no read readiness will follow by itself.
    @discardableResult
    func driveHandshake(_ session: TLSSession, afterWritable: Bool) -> Bool {
        switch session.handshake() {
        case .completed:
            session.isBlockedOnWrite = false
            handshakeDidComplete(session)
            if afterWritable, state == .open { channel.scheduleRead() }
            return state == .open
        case .wantsReadable:
            if session.isBlockedOnWrite {
                session.isBlockedOnWrite = false
                channel.interestDidChange()
            }
            if afterWritable { channel.scheduleRead() }
        case .wantsWritable:
            session.isBlockedOnWrite = true
            channel.interestDidChange()
        case .peerClosed:
            lane.reportHandshake(.peerClosed)
            abort()
        case .failed:
            lane.reportHandshake(.failed)
            abort()
        }
        return false
    }

    private func handshakeDidComplete(_ session: TLSSession) {
        deadline = nil
        let info = session.info
        tls = info
        lane.reportHandshake(.completed(info))
        guard let server = lane.server else {
            abort()
            return
        }
        attach(handler: server.makeHandler(self))
        channel.interestDidChange()
        handler?.connectionDidOpen(self)
    }

    func handshakeDidTimeOut() {
        lane.reportHandshake(.timedOut)
        abort()
    }

    func handleReadableTLS(_ session: TLSSession) -> ReadProgress {
        if session.isHandshaking {
            guard driveHandshake(session, afterWritable: false) else { return .drained }
        }
        let buffer = lane.receiveBuffer
        var total = 0
        while state == .open, wantsReadable {
            switch session.read(into: buffer) {
            case .transferred(let count):
                total += count
                handler?.connection(self, didRead: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                if total >= lane.maxReadBytesPerWakeup {
                    // Dispatch sources only see the socket; what OpenSSL holds needs an explicit turn.
                    if session.hasBufferedInput { channel.scheduleRead() }
                    return .inputMayRemain
                }
            case .wantsReadable:
                return .drained
            case .wantsWritable:
                session.isBlockedOnWrite = true
                channel.interestDidChange()
                return .drained
            case .closed:
                hasReadEOF = true
                channel.interestDidChange()
                handler?.connectionDidReadEOF(self)
                return .drained
            case .failed:
                abort()
                return .drained
            }
        }
        // The handler began closing: the rest is discarded from the socket directly.
        if state == .flushingBeforeClose || state == .lingering { return handleReadable(trustShortReads: false) }
        return .inputMayRemain
    }

    func handleWritableTLS(_ session: TLSSession) {
        if session.isHandshaking {
            driveHandshake(session, afterWritable: true)
            return
        }
        if session.isBlockedOnWrite {
            // A read stopped on WANT_WRITE; retrying it flushes what OpenSSL had to send.
            session.isBlockedOnWrite = false
            channel.interestDidChange()
            if state == .open { channel.scheduleRead() }
        }
        guard !outbound.isEmpty else { return }
        while !outbound.isEmpty {
            // One contiguous chunk per SSL_write: a retry after WANT_WRITE must offer the same bytes,
            // and the head chunk only ever grows at its end.
            _ = outbound.fillVectors(lane.writeVectors, maxCount: 1)
            let head = UnsafeRawBufferPointer(start: lane.writeVectors[0].iov_base, count: lane.writeVectors[0].iov_len)
            switch session.write(head) {
            case .transferred(let count):
                outbound.consume(count)
            case .wantsReadable, .wantsWritable:
                publishPendingOutput()
                return
            case .closed, .failed:
                abort()
                return
            }
        }
        outputDidDrain()
    }

    /// `write` on a TLS connection: records go out now as far as the socket takes them; the rest waits
    /// in `outbound` (plaintext) for write readiness.
    func writeTLS(_ bytes: UnsafeRawBufferPointer, session: TLSSession) {
        var offset = 0
        let wasIdle = outbound.isEmpty
        if wasIdle, !session.isBlockedOnWrite {
            sending: while offset < bytes.count {
                switch session.write(UnsafeRawBufferPointer(rebasing: bytes[offset...])) {
                case .transferred(let count):
                    offset += count
                case .wantsReadable, .wantsWritable:
                    break sending
                case .closed, .failed:
                    abort()
                    return
                }
            }
            if offset == bytes.count { return }
        }
        outbound.append(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
        publishPendingOutput()
        if wasIdle { channel.interestDidChange() }
    }
}
