@testable import DispatchSockets
import Glibc
import Testing

struct OutboundBufferTests {
    private func pending(_ buffer: borrowing OutboundBuffer) -> [[UInt8]] {
        let vectors = UnsafeMutablePointer<iovec>.allocate(capacity: OutboundBuffer.maxVectorsPerWrite)
        defer { vectors.deallocate() }
        let count = buffer.fillVectors(vectors, maxCount: OutboundBuffer.maxVectorsPerWrite)
        return (0..<count).map { index in
            Array(UnsafeRawBufferPointer(start: vectors[index].iov_base, count: vectors[index].iov_len))
        }
    }

    @Test func smallWritesCoalesceIntoOneChunk() {
        var buffer = OutboundBuffer()
        for byte in UInt8(0)..<100 {
            [byte, byte].withUnsafeBytes { buffer.append($0) }
        }
        let byteCount = buffer.byteCount
        #expect(byteCount == 200)
        let chunks = pending(buffer)
        #expect(chunks.count == 1)
        #expect(chunks[0] == (UInt8(0)..<100).flatMap { [$0, $0] })
    }

    @Test func largeWriteSpillsIntoANewChunkAndConsumeWalksAcrossChunks() {
        var buffer = OutboundBuffer()
        let first = [UInt8](repeating: 1, count: OutboundBuffer.minimumChunkCapacityBytes - 10)
        let second = [UInt8](repeating: 2, count: 100_000)
        first.withUnsafeBytes { buffer.append($0) }
        second.withUnsafeBytes { buffer.append($0) }
        let byteCount = buffer.byteCount
        #expect(byteCount == first.count + second.count)
        #expect(pending(buffer).map(\.count) == [OutboundBuffer.minimumChunkCapacityBytes, 100_000 - 10])
        buffer.consume(first.count + 5)
        let rest = pending(buffer).flatMap { $0 }
        #expect(rest == [UInt8](repeating: 2, count: 100_000 - 5))
        buffer.consume(rest.count)
        let drained = buffer.isEmpty
        #expect(drained)
        #expect(pending(buffer).isEmpty)
    }

    @Test func manyChunksAreGatheredAtMostMaxVectorsAtATime() {
        var buffer = OutboundBuffer()
        let chunkBytes = OutboundBuffer.minimumChunkCapacityBytes
        for index in 0..<(OutboundBuffer.maxVectorsPerWrite + 10) {
            [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: chunkBytes).withUnsafeBytes { buffer.append($0) }
        }
        #expect(pending(buffer).count == OutboundBuffer.maxVectorsPerWrite)
        buffer.consume(chunkBytes * OutboundBuffer.maxVectorsPerWrite)
        let rest = pending(buffer)
        #expect(rest.count == 10)
        #expect(rest.first?.first == UInt8(OutboundBuffer.maxVectorsPerWrite))
        buffer.removeAll()
        let emptied = buffer.isEmpty
        #expect(emptied)
    }
}

struct ConnectionLimiterTests {
    @Test func reservesUpToTheCapThenPausesUntilARelease() {
        let limiter = ConnectionLimiter(maxConnections: 2)
        #expect(limiter.reserveSlot())
        #expect(limiter.reserveSlot())
        #expect(!limiter.reserveSlot(), "at the cap")
        #expect(limiter.currentCount == 2)
        #expect(limiter.releaseSlot(), "the acceptor was paused: wake it")
        #expect(limiter.currentCount == 1)
        #expect(limiter.reserveSlot())
        #expect(!limiter.reserveSlot(), "at the cap again")
    }

    @Test func releaseWithoutAPausedAcceptorAsksForNoWakeUp() {
        let limiter = ConnectionLimiter(maxConnections: 3)
        #expect(limiter.reserveSlot())
        #expect(!limiter.releaseSlot())
        #expect(limiter.reserveSlot())
        limiter.returnUnusedSlot()
        #expect(limiter.currentCount == 0)
    }

    @Test func onlyOneReleaseWakesThePausedAcceptor() {
        let limiter = ConnectionLimiter(maxConnections: 2)
        #expect(limiter.reserveSlot())
        #expect(limiter.reserveSlot())
        #expect(!limiter.reserveSlot())
        #expect(limiter.releaseSlot())
        #expect(!limiter.releaseSlot(), "the flag was consumed by the first release")
    }
}

struct AcceptBackoffTests {
    @Test func doublesFromFiveMillisecondsUpToOneSecondAndResetsOnSuccess() {
        var backoff = AcceptBackoff()
        let delays = (0..<10).map { _ in backoff.failed() }
        #expect(delays.prefix(4) == [.milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(40)])
        #expect(delays.last == .seconds(1))
        #expect(delays.allSatisfy { $0 <= AcceptBackoff.maxDelay })
        backoff.succeeded()
        #expect(backoff.failed() == .milliseconds(5))
    }
}

struct SocketAddressTests {
    @Test func parsesNumericHostsWithAndWithoutBrackets() throws {
        #expect(try SocketAddress(parsing: "127.0.0.1:8080") == SocketAddress(host: "127.0.0.1", port: 8080))
        let any6 = try SocketAddress(parsing: "[::]:8080")
        #expect(any6.family == .ipv6)
        #expect(any6.host == "::")
        #expect(any6.description == "[::]:8080")
        #expect(try SocketAddress(host: "[::1]", port: 0).host == "::1")
        #expect(try SocketAddress(host: "0.0.0.0", port: 1).description == "0.0.0.0:1")
    }

    @Test(arguments: ["localhost:80", "1.2.3.4", "[::1]8080", "::1:80", "1.2.3.4:70000", "[zz]:1", ""])
    func rejectsWhatIsNotANumericHostAndPort(_ text: String) {
        #expect(throws: SocketError.self) { try SocketAddress(parsing: text) }
    }

    @Test func reportsIPv4MappedPeersAsIPv4() throws {
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { raw in
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = UInt16(4242).bigEndian
            inet_pton(AF_INET6, "::ffff:10.1.2.3", &address.sin6_addr)
            raw.storeBytes(of: address, as: sockaddr_in6.self)
        }
        let address = try #require(SocketAddress(storage: &storage))
        #expect(address == (try SocketAddress(host: "10.1.2.3", port: 4242)))
    }
}

struct SocketServerConfigurationTests {
    @Test func defaultsAreValidAndMatchTheDocumentation() throws {
        let configuration = SocketServerConfiguration()
        try configuration.validate()
        #expect(configuration.backend == .epoll)
        #expect(configuration.maxConnections == 10_000)
        #expect(configuration.listenBacklog == 1024)
        #expect(configuration.maxReadBytesPerWakeup == 256 * 1024)
        #expect(configuration.readChunkBytes == 64 * 1024)
        #expect(configuration.timerTick == .milliseconds(100))
        #expect(configuration.laneCount == SocketServerConfiguration.onlineProcessorCount)
    }

    @Test func outOfRangeValuesAreRejected() {
        let broken: [(inout SocketServerConfiguration) -> Void] = [
            { $0.laneCount = 0 }, { $0.maxConnections = 0 }, { $0.listenBacklog = 0 },
            { $0.readChunkBytes = 0 }, { $0.maxReadBytesPerWakeup = 0 }, { $0.timerTick = .zero },
            { $0.closeLingerTimeout = .milliseconds(-1) },
        ]
        for breakIt in broken {
            var configuration = SocketServerConfiguration()
            breakIt(&configuration)
            #expect(throws: SocketError.self) { try configuration.validate() }
        }
    }
}
