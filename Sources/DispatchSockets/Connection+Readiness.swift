internal import Glibc

/// Readiness handling: the lane's loop (or a Dispatch source) calls these on the lane.
extension Connection: ReadinessTarget {
    var wantsReadable: Bool {
        switch state {
        case .open: return !isReadingPaused && !hasReadEOF && tlsSession?.isBlockedOnWrite != true
        // Closing: keep reading (and discarding) so a peer blocked on sending can go on to read.
        case .flushingBeforeClose, .lingering: return !hasReadEOF
        case .closing, .closed: return false
        }
    }

    var wantsWritable: Bool {
        switch state {
        case .open, .flushingBeforeClose: return !outbound.isEmpty || tlsSession?.isBlockedOnWrite == true
        case .lingering, .closing, .closed: return false
        }
    }

    func handleReadable(trustShortReads: Bool) -> ReadProgress {
        // Closing states only discard input, so they read the socket directly, TLS or not.
        if let tlsSession, state == .open { return handleReadableTLS(tlsSession) }
        let buffer = lane.receiveBuffer
        var total = 0
        while wantsReadable {
            switch Syscalls.read(fileDescriptor, into: buffer) {
            case .transferred(0):
                didReadEOF()
                return .drained
            case .transferred(let count):
                total += count
                if state == .open {
                    handler?.connection(self, didRead: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                }
                if count < buffer.count, trustShortReads { return .drained }
                if total >= lane.maxReadBytesPerWakeup { return .inputMayRemain }
            case .wouldBlock:
                return .drained
            case .failed:
                abort()
                return .drained
            }
        }
        return .inputMayRemain
    }

    private func didReadEOF() {
        hasReadEOF = true
        switch state {
        case .open:
            channel.interestDidChange()
            handler?.connectionDidReadEOF(self)
        case .flushingBeforeClose:
            channel.interestDidChange()
        case .lingering:
            abort()
        case .closing, .closed:
            break
        }
    }

    func handleWritable() {
        guard wantsWritable else { return }
        if let tlsSession {
            handleWritableTLS(tlsSession)
            return
        }
        while !outbound.isEmpty {
            let vectorCount = outbound.fillVectors(lane.writeVectors, maxCount: OutboundBuffer.maxVectorsPerWrite)
            var offered = 0
            for index in 0..<vectorCount { offered += lane.writeVectors[index].iov_len }
            let result = vectorCount == 1
                ? Syscalls.send(fileDescriptor, UnsafeRawBufferPointer(start: lane.writeVectors[0].iov_base, count: offered))
                : Syscalls.sendVectored(fileDescriptor, lane.writeVectors, count: vectorCount)
            switch result {
            case .transferred(let count):
                outbound.consume(count)
                // A short write means the socket buffer is full: wait for the next readiness.
                if count < offered {
                    publishPendingOutput()
                    return
                }
            case .wouldBlock:
                publishPendingOutput()
                return
            case .failed:
                abort()
                return
            }
        }
        outputDidDrain()
    }

    /// Everything pending was sent: stop watching for writability, tell the handler, or go on closing.
    func outputDidDrain() {
        publishPendingOutput()
        channel.interestDidChange()
        switch state {
        case .open:
            handler?.connectionDidDrainOutput(self)
        case .flushingBeforeClose:
            shutDownWriteSideAndLinger()
        case .lingering, .closing, .closed:
            break
        }
    }

    func handleSocketError() {
        abort()
    }

    func channelDidClose() {
        descriptorDidClose()
    }
}
