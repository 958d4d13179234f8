import Foundation

/// Certificates made for one test with the `openssl` CLI in a temporary directory: a CA, and leaf
/// certificates for localhost/127.0.0.1 signed by it (EC P-256, valid two days). Nothing is committed.
public struct TestCertificates: Sendable {
    public let directory: TemporaryDirectory

    public struct Leaf: Sendable {
        public let certificatePath: String
        public let privateKeyPath: String
    }

    public var caCertificatePath: String { directory.file("ca.pem") }

    /// Makes the CA.
    public init() throws {
        directory = try TemporaryDirectory(prefix: "kelpie-tls")
        try Self.openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", directory.file("ca.key"), "-out", directory.file("ca.pem"), "-days", "2",
            "-subj", "/CN=Kelpie Test CA",
        ])
    }

    /// A leaf certificate with subject CN `name`, signed by the CA; files `<name>.pem`, `<name>.key`.
    public func leaf(_ name: String) throws -> Leaf {
        let key = directory.file("\(name).key"), request = directory.file("\(name).csr")
        let certificate = directory.file("\(name).pem"), extensions = directory.file("\(name).ext")
        try Data("subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n".utf8).write(to: URL(fileURLWithPath: extensions))
        try Self.openssl([
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", request, "-subj", "/CN=\(name)",
        ])
        try Self.openssl([
            "x509", "-req", "-in", request, "-CA", caCertificatePath, "-CAkey", directory.file("ca.key"),
            "-CAcreateserial", "-out", certificate, "-days", "2", "-extfile", extensions,
        ])
        return Leaf(certificatePath: certificate, privateKeyPath: key)
    }

    public func remove() { directory.remove() }

    public struct ToolError: Error, CustomStringConvertible {
        public let description: String
    }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ToolError(description: "openssl \(arguments.joined(separator: " ")): \(String(decoding: output, as: UTF8.self))")
        }
    }
}
