@testable import DispatchSockets
import CSSL
import Locking
import Glibc
import Testing
import TestSupport

/// TLS termination over real loopback sockets, for both backends: a client built on the same OpenSSL
/// talks to the echo handler through TLS. Certificates are made per suite with the openssl CLI.
@Suite(.serialized)
struct SocketServerTLSTests {
    static let certificates: TestCertificates = try! TestCertificates()
    static let first: TestCertificates.Leaf = try! certificates.leaf("first")
    static let second: TestCertificates.Leaf = try! certificates.leaf("second")

    static func context(_ leaf: TestCertificates.Leaf = first, handshakeTimeout: Duration = .seconds(10)) throws -> TLSContext {
        try TLSContext(configuration: TLSConfiguration(
            certificateChainPath: leaf.certificatePath, privateKeyPath: leaf.privateKeyPath,
            handshakeTimeout: handshakeTimeout))
    }

    @Test(arguments: IOBackendKind.allCases)
    func handshakeNegotiatesTLS13AndALPNThenEchoes(backend: IOBackendKind) async throws {
        let observer = RecordingTLSObserver()
        var script = HandlerScript()
        script.onOpen = { connection, events in
            if connection.tls?.applicationProtocol == "http/1.1" { events.note("alpn") }
        }
        let context = try Self.context()
        try await withServer(backend: backend, script: script, configure: { $0.tls = context }, tlsObserver: observer) { running in
            let client = try TestClient(connectingTo: running.address)
            let tls = try TLSClientSession(
                fileDescriptor: client.fileDescriptor, applicationProtocols: ["h2", "http/1.1"],
                caCertificatePath: Self.certificates.caCertificatePath)
            #expect(tls.protocolVersion == "TLSv1.3")
            #expect(tls.applicationProtocol == "http/1.1", "h2 is not offered by the server yet")
            #expect(tls.peerSubject.contains("CN=first"))
            try tls.send(Array("hello, tls".utf8))
            #expect(try tls.receive(exactly: 10) == Array("hello, tls".utf8))
            #expect(running.events.noteValue("alpn") == 1, "the handler sees the negotiated protocol")
            tls.sendCloseNotify()
            client.close()
            #expect(await waitUntil { running.events.closedCount == 1 })
            #expect(observer.outcomes.first == .completed(TLSConnectionInfo(protocolVersion: "TLSv1.3", applicationProtocol: "http/1.1", isResumed: false)))
        }
    }

    @Test(arguments: IOBackendKind.allCases)
    func tls12ClientGetsTLS12(backend: IOBackendKind) async throws {
        let context = try Self.context()
        try await withServer(backend: backend, configure: { $0.tls = context }) { running in
            let client = try TestClient(connectingTo: running.address)
            let tls = try TLSClientSession(fileDescriptor: client.fileDescriptor, maxVersion: TLS1_2_VERSION)
            #expect(tls.protocolVersion == "TLSv1.2")
            try tls.send(Array("twelve".utf8))
            #expect(try tls.receive(exactly: 6) == Array("twelve".utf8))
        }
    }

    /// Many messages sent back to back (pipelined) and a 4 MiB stream, with a 1 KiB receive buffer and
    /// a 2 KiB per-wakeup bound: most records are left partly inside OpenSSL between reads, which no
    /// readiness event reports.
    @Test(arguments: IOBackendKind.allCases)
    func pipelinedAndLargeTransfersCrossManyRecords(backend: IOBackendKind) async throws {
        let context = try Self.context()
        try await withServer(backend: backend, configure: {
            $0.tls = context
            $0.readChunkBytes = 1024
            $0.maxReadBytesPerWakeup = 2048
        }) { running in
            let client = try TestClient(connectingTo: running.address, timeout: .seconds(20))
            let tls = try TLSClientSession(fileDescriptor: client.fileDescriptor)
            var pipelined: [UInt8] = []
            for index in 0..<200 { pipelined += Array("message \(index);".utf8) }
            try tls.send(pipelined)
            #expect(try tls.receive(exactly: pipelined.count) == pipelined)
            let payload = SocketServerTests.pattern(count: 4 * 1024 * 1024)
            try tls.send(payload)
            let echoed = try tls.receive(exactly: payload.count)
            #expect(echoed == payload)
        }
    }

    /// The server writes 8 MiB at once to a client that reads late: records queue in the outbound
    /// buffer (WANT_WRITE), then drain in order; the flushing close ends with close_notify.
    @Test(arguments: IOBackendKind.allCases)
    func largeWriteToSlowReaderDrainsThenCloses(backend: IOBackendKind) async throws {
        let payloadBytes = 8 * 1024 * 1024
        var script = HandlerScript()
        script.onRead = { connection, _, events in
            connection.write(SocketServerTests.pattern(count: payloadBytes))
            events.note("pendingAfterWrite", by: connection.pendingOutputBytes)
        }
        script.onDrain = { connection, _ in connection.close(flushingOutput: true) }
        let context = try Self.context()
        try await withServer(backend: backend, script: script, configure: { $0.tls = context }) { running in
            let client = try TestClient(connectingTo: running.address, timeout: .seconds(20))
            let tls = try TLSClientSession(fileDescriptor: client.fileDescriptor)
            try tls.send(Array("go".utf8))
            #expect(await waitUntil { running.events.noteValue("pendingAfterWrite") > 0 }, "the kernel cannot take 8 MiB at once")
            var received: [UInt8] = []
            while true {
                let chunk = try tls.receive()
                if chunk.isEmpty { break }
                received += chunk
            }
            #expect(received.count == payloadBytes)
            #expect(received == SocketServerTests.pattern(count: payloadBytes))
        }
    }

    @Test(arguments: IOBackendKind.allCases)
    func handshakeTimeoutClosesASilentClient(backend: IOBackendKind) async throws {
        let observer = RecordingTLSObserver()
        let context = try Self.context(handshakeTimeout: .milliseconds(300))
        try await withServer(backend: backend, configure: { $0.tls = context }, tlsObserver: observer) { running in
            let client = try TestClient(connectingTo: running.address)
            let started = ContinuousClock.now
            #expect(try client.receive().isEmpty, "the server closes the silent connection")
            #expect(ContinuousClock.now - started >= .milliseconds(250))
            #expect(await waitUntil { observer.outcomes == [.timedOut] })
            #expect(running.events.openedCount == 0, "no handler before the handshake completed")
            #expect(await waitUntil { running.server.openConnectionCount == 0 })
        }
    }

    @Test(arguments: IOBackendKind.allCases)
    func plaintextToTheTLSPortFailsCleanly(backend: IOBackendKind) async throws {
        let observer = RecordingTLSObserver()
        let context = try Self.context()
        try await withServer(backend: backend, configure: { $0.tls = context }, tlsObserver: observer) { running in
            let plain = try TestClient(connectingTo: running.address)
            try plain.send("POST /1/events/x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
            let answer = (try? plain.receive()) ?? []
            #expect(!String(decoding: answer, as: UTF8.self).contains("HTTP/1.1"), "no HTTP answer from the socket layer")
            #expect(await waitUntil { observer.outcomes == [.failed] })
            #expect(running.events.openedCount == 0)
            // The listener is unharmed.
            let client = try TestClient(connectingTo: running.address)
            let tls = try TLSClientSession(fileDescriptor: client.fileDescriptor)
            try tls.send(Array("still here".utf8))
            #expect(try tls.receive(exactly: 10) == Array("still here".utf8))
        }
    }

    @Test(arguments: IOBackendKind.allCases)
    func clientThatClosesDuringTheHandshakeIsCountedAsPeerClosed(backend: IOBackendKind) async throws {
        let observer = RecordingTLSObserver()
        let context = try Self.context()
        try await withServer(backend: backend, configure: { $0.tls = context }, tlsObserver: observer) { running in
            let client = try TestClient(connectingTo: running.address)
            client.close()
            #expect(await waitUntil { observer.outcomes == [.peerClosed] }, "\(observer.outcomes)")
        }
    }

    @Test(arguments: IOBackendKind.allCases)
    func sessionsResume(backend: IOBackendKind) async throws {
        let context = try Self.context()
        try await withServer(backend: backend, configure: { $0.tls = context }) { running in
            for maxVersion in [TLS1_3_VERSION, TLS1_2_VERSION] {
                let first = try TestClient(connectingTo: running.address)
                let firstTLS = try TLSClientSession(fileDescriptor: first.fileDescriptor, maxVersion: maxVersion)
                try firstTLS.send(Array("one".utf8))
                _ = try firstTLS.receive(exactly: 3)  // TLS 1.3 tickets arrive with the first read
                let session = try #require(firstTLS.takeSession())
                defer { TLSClientSession.freeSession(session) }
                #expect(!firstTLS.isResumed)
                let second = try TestClient(connectingTo: running.address)
                let secondTLS = try TLSClientSession(fileDescriptor: second.fileDescriptor, session: session, maxVersion: maxVersion)
                #expect(secondTLS.isResumed, "resumed with \(secondTLS.protocolVersion)")
                try secondTLS.send(Array("two".utf8))
                #expect(try secondTLS.receive(exactly: 3) == Array("two".utf8))
            }
        }
    }

    /// A reloaded certificate reaches new connections only; one opened before keeps working.
    @Test(arguments: IOBackendKind.allCases)
    func replacedContextServesNewConnectionsWhileOldOnesKeepWorking(backend: IOBackendKind) async throws {
        let context = try Self.context(Self.first)
        try await withServer(backend: backend, configure: { $0.tls = context }) { running in
            let old = try TestClient(connectingTo: running.address)
            let oldTLS = try TLSClientSession(fileDescriptor: old.fileDescriptor)
            #expect(oldTLS.peerSubject.contains("CN=first"))
            running.server.replaceTLSContext(try Self.context(Self.second))
            let new = try TestClient(connectingTo: running.address)
            let newTLS = try TLSClientSession(
                fileDescriptor: new.fileDescriptor, caCertificatePath: Self.certificates.caCertificatePath)
            #expect(newTLS.peerSubject.contains("CN=second"))
            for round in 0..<3 {
                try oldTLS.send(Array("old \(round)".utf8))
                #expect(try oldTLS.receive(exactly: 5) == Array("old \(round)".utf8))
                try newTLS.send(Array("new \(round)".utf8))
                #expect(try newTLS.receive(exactly: 5) == Array("new \(round)".utf8))
            }
        }
    }
}

struct TLSContextTests {
    @Test func missingCertificateNamesTheFile() throws {
        let leaf = SocketServerTLSTests.first
        #expect(throws: TLSError.certificate(path: "/nonexistent/cert.pem", reason: "No such file or directory")) {
            try TLSContext(configuration: TLSConfiguration(certificateChainPath: "/nonexistent/cert.pem", privateKeyPath: leaf.privateKeyPath))
        }
    }

    @Test func keyThatIsNotPEMIsABadKey() throws {
        let leaf = SocketServerTLSTests.first
        do {
            _ = try TLSContext(configuration: TLSConfiguration(certificateChainPath: leaf.certificatePath, privateKeyPath: leaf.certificatePath))
            Issue.record("a certificate is not a private key")
        } catch {
            guard case .privateKey(let path, _) = error else { Issue.record("\(error)"); return }
            #expect(path == leaf.certificatePath)
        }
    }

    @Test func mismatchedKeyIsReportedAsSuch() throws {
        let first = SocketServerTLSTests.first, second = SocketServerTLSTests.second
        #expect(throws: TLSError.keyMismatch(certificatePath: first.certificatePath, privateKeyPath: second.privateKeyPath)) {
            try TLSContext(configuration: TLSConfiguration(certificateChainPath: first.certificatePath, privateKeyPath: second.privateKeyPath))
        }
    }

    @Test func unknownALPNAndCipherSettingsAreRefused() throws {
        let leaf = SocketServerTLSTests.first
        var configuration = TLSConfiguration(certificateChainPath: leaf.certificatePath, privateKeyPath: leaf.privateKeyPath)
        configuration.tls12CipherList = "NO-SUCH-CIPHER"
        #expect(throws: TLSError.self) { try TLSContext(configuration: configuration) }
        configuration.tls12CipherList = TLSConfiguration.defaultTLS12CipherList
        configuration.applicationProtocols = [""]
        #expect(throws: TLSError.self) { try TLSContext(configuration: configuration) }
    }
}

/// Records every handshake outcome, in order.
final class RecordingTLSObserver: TLSObserver {
    private let recorded = Lock<[TLSHandshakeOutcome]>([])
    func tlsHandshakeFinished(_ outcome: TLSHandshakeOutcome) { recorded.withLock { $0.append(outcome) } }
    var outcomes: [TLSHandshakeOutcome] { recorded.withLock { $0 } }
}
