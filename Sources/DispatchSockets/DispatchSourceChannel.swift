internal import Dispatch
internal import Glibc

/// One descriptor watched by Dispatch sources, following the libdispatch-on-Linux rules
/// (style-anchors §5):
/// - the read source is created once, then suspended/resumed for backpressure, never recreated;
/// - the write source is created lazily, at most once, resumed only while output is pending;
/// - every source is resumed before it is cancelled (a suspended source never delivers its cancel
///   handler, and releasing one crashes);
/// - the descriptor is closed exactly once, in the cancel handler of the last live source;
/// - all of this happens on the lane queue, which is also the sources' target queue.
final class DispatchSourceChannel: ReadinessChannel, @unchecked Sendable {  // unchecked: lane-confined; the sources' handlers run on the lane queue
    let fileDescriptor: Int32
    private let queue: DispatchQueue
    private var target: (any ReadinessTarget)?
    private var readSource: (any DispatchSourceRead)?
    private var isReadSuspended = false
    private var writeSource: (any DispatchSourceWrite)?
    private var isWriteSuspended = false
    /// Sources whose cancel handler has not run yet.
    private var liveSourceCount = 0
    private var isClosed = false

    init(fileDescriptor: Int32, queue: DispatchQueue, target: any ReadinessTarget) {
        self.fileDescriptor = fileDescriptor
        self.queue = queue
        self.target = target
    }

    func activate() {
        guard readSource == nil, !isClosed, let target else { return }
        let source = DispatchSource.makeReadSource(fileDescriptor: fileDescriptor, queue: queue)
        // The handlers hold the channel until the cancel handler releases the sources.
        source.setEventHandler { self.readReady() }
        source.setCancelHandler { self.sourceDidCancel() }
        readSource = source
        liveSourceCount += 1
        source.activate()
        if !target.wantsReadable {
            source.suspend()
            isReadSuspended = true
        }
        if target.wantsWritable { interestDidChange() }
    }

    func interestDidChange() {
        guard !isClosed, let target else { return }
        if let readSource {
            let wanted = target.wantsReadable
            if wanted, isReadSuspended {
                isReadSuspended = false
                readSource.resume()
            } else if !wanted, !isReadSuspended {
                isReadSuspended = true
                readSource.suspend()
            }
        }
        if target.wantsWritable {
            if let writeSource {
                if isWriteSuspended {
                    isWriteSuspended = false
                    writeSource.resume()
                }
            } else {
                let source = DispatchSource.makeWriteSource(fileDescriptor: fileDescriptor, queue: queue)
                source.setEventHandler { self.writeReady() }
                source.setCancelHandler { self.sourceDidCancel() }
                writeSource = source
                liveSourceCount += 1
                source.activate()
            }
        } else if let writeSource, !isWriteSuspended {
            isWriteSuspended = true
            writeSource.suspend()
        }
    }

    private func readReady() {
        guard !isClosed, let target, target.wantsReadable else { return }
        // Dispatch re-arms after every delivery (EPOLLONESHOT + EPOLL_CTL_MOD), i.e. it behaves
        // level-triggered: input left behind at the byte bound fires the handler again.
        _ = target.handleReadable(trustShortReads: true)
    }

    private func writeReady() {
        guard !isClosed, let target, target.wantsWritable else { return }
        target.handleWritable()
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        if let readSource {
            if isReadSuspended {
                isReadSuspended = false
                readSource.resume()
            }
            readSource.cancel()
        }
        if let writeSource {
            if isWriteSuspended {
                isWriteSuspended = false
                writeSource.resume()
            }
            writeSource.cancel()
        }
        if liveSourceCount == 0 {
            // Never activated: nothing watches the descriptor, close it from a fresh block.
            queue.async { self.closeDescriptor() }
        }
    }

    private func sourceDidCancel() {
        liveSourceCount -= 1
        if liveSourceCount == 0 { closeDescriptor() }
    }

    private func closeDescriptor() {
        Syscalls.close(fileDescriptor)
        readSource = nil
        writeSource = nil
        let target = self.target
        self.target = nil
        target?.channelDidClose()
    }
}
