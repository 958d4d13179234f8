import DispatchSockets
import Foundation
import KelpieApp
import Logging
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The whole server behind TLS, for both readiness backends: ingest and pipelining through TLS,
/// the certificate reloaded while a connection stays open, metrics, and start-up errors that name
/// the flag to fix.
@Suite(.serialized)
struct TLSTests {
    static let certificates: TestCertificates = try! TestCertificates()
    static let first: TestCertificates.Leaf = try! certificates.leaf("first")
    static let second: TestCertificates.Leaf = try! certificates.leaf("second")

    static func tlsServer(backend: IOBackendKind, leaf: TestCertificates.Leaf = first, reloadInterval: Duration = .seconds(2)) throws -> TestServer {
        try TestServer {
            $0.ackMode = .memory
            $0.ioBackend = backend
            $0.tlsCertificatePath = leaf.certificatePath
            $0.tlsPrivateKeyPath = leaf.privateKeyPath
            $0.tlsReloadInterval = reloadInterval
        }
    }

    @Test(arguments: IOBackendKind.allCases)
    func pipelinedIngestThroughTLS(backend: IOBackendKind) async throws {
        let server = try Self.tlsServer(backend: backend)
        defer { server.dataDirectory.remove() }
        let client = try server.client()
        try client.startTLS(caCertificatePath: Self.certificates.caCertificatePath)
        #expect(client.tls?.applicationProtocol == "http/1.1")
        var bytes: [UInt8] = []
        for index in 0..<32 {
            bytes += RawHTTPClient.request("POST", "/1/batch/tls", headers: [TestServer.authHeader], body: Array(#"[{"data":{"i":\#(index)}}]"#.utf8))
        }
        // A body much larger than one TLS record (16 KiB).
        let large = "[" + (0..<2000).map { #"{"data":{"n":\#($0),"pad":"\#(String(repeating: "x", count: 200))"}}"# }.joined(separator: ",") + "]"
        bytes += RawHTTPClient.request("POST", "/1/batch/tls", headers: [TestServer.authHeader], body: Array(large.utf8))
        try client.send(bytes)
        for _ in 0..<32 {
            #expect(try client.readResponse().status == 200)
        }
        let last = try client.readResponse()
        #expect(last.status == 200)
        #expect(last.bodyText.components(separatedBy: "202").count - 1 == 2000)
        let metrics = try client.roundTrip("GET", "/metrics").bodyText
        #expect(metrics.contains(#"kelpie_tls_handshakes_total{result="completed"} 1"#))
        #expect(metrics.contains(#"kelpie_tls_sessions_total{version="TLSv1.3",alpn="http/1.1",resumed="false"} 1"#))
        let stored = try await server.stopAndReadSpool()
        #expect(stored.count == 32 + 2000)
    }

    @Test(arguments: IOBackendKind.allCases)
    func certificateFileChangeReachesNewConnectionsWhileAnOldOneKeepsWorking(backend: IOBackendKind) async throws {
        let files = try TemporaryDirectory(prefix: "kelpie-tls-reload")
        defer { files.remove() }
        let certificate = files.file("tls.pem"), key = files.file("tls.key")
        try FileManager.default.copyItem(atPath: Self.first.certificatePath, toPath: certificate)
        try FileManager.default.copyItem(atPath: Self.first.privateKeyPath, toPath: key)
        let server = try TestServer {
            $0.ackMode = .memory
            $0.ioBackend = backend
            $0.tlsCertificatePath = certificate
            $0.tlsPrivateKeyPath = key
            $0.tlsReloadInterval = .milliseconds(50)
        }
        defer { server.dataDirectory.remove() }
        let old = try server.client()
        try old.startTLS()
        #expect(old.tls?.peerSubject.contains("CN=first") == true)
        // Replace both files the way a Secret update does: new files renamed into place.
        try FileManager.default.copyItem(atPath: Self.second.certificatePath, toPath: certificate + ".new")
        try FileManager.default.copyItem(atPath: Self.second.privateKeyPath, toPath: key + ".new")
        rename(key + ".new", key)
        rename(certificate + ".new", certificate)
        var subject = ""
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let probe = try server.client()
            try probe.startTLS()
            subject = probe.tls?.peerSubject ?? ""
            if subject.contains("CN=second") { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(subject.contains("CN=second"), "new connections get the new certificate")
        #expect(try old.roundTrip("GET", "/healthz").status == 200, "the old connection keeps working")
        #expect(try old.roundTrip("GET", "/metrics").bodyText.contains("kelpie_tls_certificate_reloads_total 1"))
        #expect(server.app.reloadTLSCertificate(), "an explicit reload (SIGHUP) succeeds too")
        await server.stop()
    }

    @Test func startUpErrorsNameTheFlag() throws {
        func startError(_ configure: (inout AppConfiguration) -> Void) -> String {
            var configuration = AppConfiguration()
            configuration.listen = ListenAddress(host: "127.0.0.1", port: 0)
            configuration.dataDirectory = (try? TemporaryDirectory(prefix: "kelpie-tls-bad").path) ?? "/tmp"
            configure(&configuration)
            do {
                let app = try KelpieApplication(configuration: configuration, logger: Logger(label: "tls-test"))
                _ = app
                return "started"
            } catch {
                return "\(error)"
            }
        }
        let missing = startError {
            $0.tlsCertificatePath = "/nonexistent/cert.pem"
            $0.tlsPrivateKeyPath = Self.first.privateKeyPath
        }
        #expect(missing.hasPrefix("--tls-cert"), "\(missing)")
        #expect(missing.contains("No such file or directory"))
        let mismatched = startError {
            $0.tlsCertificatePath = Self.first.certificatePath
            $0.tlsPrivateKeyPath = Self.second.privateKeyPath
        }
        #expect(mismatched.hasPrefix("--tls-key"), "\(mismatched)")
        #expect(mismatched.contains("does not match"))
        let notAKey = startError {
            $0.tlsCertificatePath = Self.first.certificatePath
            $0.tlsPrivateKeyPath = Self.first.certificatePath
        }
        #expect(notAKey.hasPrefix("--tls-key"), "\(notAKey)")
        let onlyOne = startError { $0.tlsCertificatePath = Self.first.certificatePath }
        #expect(onlyOne.hasPrefix("--tls-cert / KELPIE_TLS_CERT is given alone"), "\(onlyOne)")
    }
}
