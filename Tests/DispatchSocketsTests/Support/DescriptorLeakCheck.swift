@testable import DispatchSockets
import Glibc

/// Finds descriptors a server opened and did not close, without being fooled by other test targets
/// that open and close descriptors concurrently in the same process: sockets are attributed to the
/// server by their local port, each epoll lane's own descriptors (epoll, eventfd) by open-file
/// identity (a dup kept here, compared with kcmp, so a number closed and reused by someone else
/// does not count).
final class DescriptorLeakCheck {
    let port: UInt16
    private var laneHandles: [(number: Int32, handle: Int32)] = []

    init(server: SocketServer, port: UInt16) {
        self.port = port
        for lane in server.lanes {
            guard let loop = lane.loop as? EpollLaneLoop else { continue }
            for fd in loop.ownDescriptors {
                laneHandles.append((fd, fcntl(fd, F_DUPFD_CLOEXEC, 0)))
            }
        }
    }

    deinit {
        for entry in laneHandles where entry.handle >= 0 { close(entry.handle) }
    }

    /// How many lane descriptors are being tracked (2 per lane for epoll, 0 for dispatch).
    var trackedLaneDescriptorCount: Int { laneHandles.count }

    /// Server-side sockets still open on the port (listener included).
    func openServerSockets() -> [ProcessDescriptors.TCPSocket] {
        ProcessDescriptors.serverSockets(port: port)
    }

    /// Lane descriptor numbers that are still open on the same open file as when the server ran.
    func openLaneDescriptors() -> [Int32] {
        laneHandles.compactMap { entry in
            guard entry.handle >= 0, fcntl(entry.number, F_GETFD) >= 0 else { return nil }
            return Syscalls.isSameOpenFile(entry.number, entry.handle) == false ? nil : entry.number
        }
    }

    /// Everything the server still holds; empty after a completed shutdown.
    func leaks() -> [String] {
        openServerSockets().map { "socket fd \($0.fileDescriptor) (remote port \($0.remotePort))" }
            + openLaneDescriptors().map { "lane fd \($0)" }
    }
}
