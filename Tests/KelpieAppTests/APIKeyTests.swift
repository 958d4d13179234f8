import Foundation
import Testing
import TestSupport
@testable import KelpieApp

/// The key file: who is admitted, to which datasets, what /1/auth says, and reloads.
@Suite struct APIKeyTests {
    static let classicKey = "0123456789abcdef0123456789abcdef"
    static let environmentKey = "hcxik_01hzproductionkeyaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    static let restrictedKey = "hcxik_01hzrestrictedkeybbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    static let configurationKey = "configuration-only-key"

    static func keyFile(extra: String = "") -> String {
        """
        # Kelpie key file (YAML); JSON works too.
        keys:
          - key: \(classicKey)
            id: classic-1
            team: {name: Acme Corp, slug: acme}
          - key_sha256: \(APIKeyDigestHex.of(environmentKey))
            id: FL_xMM5LapLC
            type: ingest
            team: {name: Acme Corp, slug: acme}
            environment: {name: Production, slug: production}
            datasets: ["*"]
          - key: \(restrictedKey)
            id: restricted
            environment: {name: Staging}
            datasets: [checkout, Payments]
            create_datasets: false
          - key: \(configurationKey)
            id: config
            type: configuration
            events: false
        \(extra)
        """
    }

    func withServer(keyFile: String, _ body: (TestServer, String) async throws -> Void) async throws {
        let directory = try TemporaryDirectory(prefix: "kelpie-keys")
        defer { directory.remove() }
        let path = directory.file("keys.yaml")
        try keyFile.write(toFile: path, atomically: true, encoding: .utf8)
        let server = try TestServer {
            $0.keysPath = path
            $0.keyReloadInterval = .milliseconds(100)
        }
        defer { server.dataDirectory.remove() }
        try await body(server, path)
        await server.app.shutdown()
    }

    func post(_ server: TestServer, key: String?, dataset: String = "checkout") throws -> RawHTTPClient.Response {
        try server.client().roundTrip(
            "POST", "/1/batch/\(dataset)", headers: key.map { [("X-Honeycomb-Team", $0)] } ?? [],
            body: Array(#"[{"data":{"a":1}}]"#.utf8)
        )
    }

    @Test func knownKeysAreAdmittedAndOthersGet401() async throws {
        try await withServer(keyFile: Self.keyFile()) { server, _ in
            #expect(try post(server, key: Self.classicKey).status == 200)
            #expect(try post(server, key: Self.environmentKey).status == 200)
            for bad in ["0123456789abcdef0123456789abcdee", "nope", "\(Self.environmentKey)x", String(repeating: "k", count: 5000)] {
                let response = try post(server, key: bad)
                #expect(response.status == 401)
                #expect(response.bodyText == #"{"error":"unknown API key - check your credentials"}"#)
            }
            // No key at all says so; Honeycomb's text above stays for keys that are present but unknown.
            let missing = try post(server, key: nil)
            #expect(missing.status == 401)
            #expect(missing.bodyText == #"{"error":"missing 'x-honeycomb-team' header"}"#)
        }
    }

    @Test func datasetAndEventPermissions() async throws {
        try await withServer(keyFile: Self.keyFile()) { server, _ in
            #expect(try post(server, key: Self.restrictedKey, dataset: "checkout").status == 200)
            #expect(try post(server, key: Self.restrictedKey, dataset: "PAYMENTS").status == 200)  // case-insensitive
            let denied = try post(server, key: Self.restrictedKey, dataset: "billing")
            #expect(denied.status == 403)
            #expect(denied.bodyText == #"{"error":"API key is not permitted to send to dataset 'billing'"}"#)
            let configuration = try post(server, key: Self.configurationKey)
            #expect(configuration.status == 403)
            #expect(configuration.bodyText == #"{"error":"API key is not permitted to send events"}"#)
        }
    }

    @Test func revokedAfterReloadAndBadReloadKeepsOldKeys() async throws {
        try await withServer(keyFile: Self.keyFile()) { server, path in
            #expect(try post(server, key: Self.classicKey).status == 200)
            // Remove the classic key: the poller notices within a few intervals.
            let without = Self.keyFile().replacingOccurrences(of: "  - key: \(Self.classicKey)\n    id: classic-1\n    team: {name: Acme Corp, slug: acme}\n", with: "")
            try without.write(toFile: path, atomically: true, encoding: .utf8)
            var status = 200
            for _ in 0..<100 where status == 200 {
                try await Task.sleep(for: .milliseconds(20))
                status = try post(server, key: Self.classicKey).status
            }
            #expect(status == 401)
            #expect(try post(server, key: Self.environmentKey).status == 200)
            // A broken file does not lock everyone out: the previous keys stay.
            try "keys: [ {key: ".write(toFile: path, atomically: true, encoding: .utf8)
            // Wait for the poller to have tried the broken file, not for a guessed time.
            #expect(await waitUntil {
                server.app.metrics.registry.emitToString().contains("kelpie_keys_reload_errors_total 1")
            })
            #expect(try post(server, key: Self.environmentKey).status == 200)
            #expect(server.app.metrics.registry.emitToString().contains("kelpie_keys_reload_errors_total 1"))
            // An explicit reload (what SIGHUP does) of an empty list admits nobody.
            try #"{"keys": []}"#.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(server.app.reloadKeys())
            #expect(try post(server, key: Self.environmentKey).status == 401)
        }
    }

    @Test func authAnswersLikeHoneycomb() async throws {
        try await withServer(keyFile: Self.keyFile()) { server, _ in
            let environment = try server.client().roundTrip("GET", "/1/auth", headers: [("X-Honeycomb-Team", Self.environmentKey)])
            #expect(environment.status == 200)
            let object = try JSONSerialization.jsonObject(with: Data(environment.body)) as! [String: Any]
            #expect(object["id"] as? String == "FL_xMM5LapLC")
            #expect(object["type"] as? String == "ingest")
            #expect((object["api_key_access"] as? [String: Any])?["events"] as? Bool == true)
            #expect(canonicalJSON(object["environment"]!) == #"{"name":"Production","slug":"production"}"#)
            #expect(canonicalJSON(object["team"]!) == #"{"name":"Acme Corp","slug":"acme"}"#)

            let classic = try server.client().roundTrip("GET", "/1/auth", headers: [("X-Honeycomb-Team", Self.classicKey)])
            let classicObject = try JSONSerialization.jsonObject(with: Data(classic.body)) as! [String: Any]
            #expect(canonicalJSON(classicObject["environment"]!) == #"{"name":"","slug":""}"#)

            let staging = try server.client().roundTrip("GET", "/1/auth", headers: [("X-Hny-Team", Self.restrictedKey)])
            let stagingObject = try JSONSerialization.jsonObject(with: Data(staging.body)) as! [String: Any]
            #expect(canonicalJSON(stagingObject["environment"]!) == #"{"name":"Staging","slug":"staging"}"#)
            #expect((stagingObject["api_key_access"] as? [String: Any])?["createDatasets"] as? Bool == false)

            #expect(try server.client().roundTrip("GET", "/1/auth", headers: [("X-Honeycomb-Team", "wrong")]).status == 401)
        }
    }

    @Test func libhoneyGoAuthFixture() async throws {
        // libhoney-go's GetTeamAndEnvironment: GET /1/auth with only Host, the key and Accept-Encoding.
        let fixture = try WireFixture(name: "libhoney-go-auth", directory: TestServer.fixtures)
        let server = try TestServer()  // open mode: any key
        defer { server.dataDirectory.remove() }
        let client = try server.client()
        try client.send(fixture.requestBytes)
        let response = try client.readResponse()
        #expect(response.status == 200)
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as! [String: Any]
        // libhoney-go reads team.slug and environment.slug.
        #expect((object["team"] as? [String: Any])?["slug"] as? String == "kelpie")
        #expect((object["environment"] as? [String: Any])?["slug"] as? String == "kelpie")
        await server.stop()
    }

    @Test(arguments: [
        ("keys: {}", "'keys' must be a list"),
        ("other: 1\nkeys: []", "unknown top-level field 'other'"),
        ("keys:\n  - id: x", "needs key or key_sha256"),
        ("keys:\n  - key: a\n    key_sha256: \(String(repeating: "0", count: 64))", "not both"),
        ("keys:\n  - key_sha256: abc", "64 hex digits"),
        ("keys:\n  - key: a\n    evnets: true", "unknown field 'evnets'"),
        ("keys:\n  - key: a\n    events: yes", "must be true or false"),
        ("keys:\n  - key: a\n  - key: a", "appears twice"),
        ("keys: [", "not valid JSON or YAML"),
    ])
    func invalidKeyFilesAreRefusedWithAReason(text: String, reason: String) {
        #expect(throws: APIKeyFile.LoadError.self) { try APIKeyFile.parse(Array(text.utf8)) }
        do {
            _ = try APIKeyFile.parse(Array(text.utf8))
        } catch {
            #expect(error.description.contains(reason), "\(error.description)")
        }
    }

    @Test func jsonKeyFileWithTabsParses() throws {
        let json = "{\n\t\"keys\": [\n\t\t{\"key\": \"k1\", \"datasets\": [\"a\"], \"events\": true}\n\t]\n}"
        let entries = try APIKeyFile.parse(Array(json.utf8))
        #expect(entries.count == 1)
        #expect(entries[0].permits(dataset: "A"))
        #expect(!entries[0].permits(dataset: "b"))
        #expect(try APIKeyFile.parse(Array(#"{"keys": []}"#.utf8)).isEmpty)
    }

    @Test func corsPreflightAndHeaders() async throws {
        let server = try TestServer()
        defer { server.dataDirectory.remove() }
        let preflight = try server.client().roundTrip("OPTIONS", "/1/batch/browser", headers: [
            ("Origin", "https://app.example"), ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "x-honeycomb-team, content-type, x-honeycomb-useragent"),
        ])
        #expect(preflight.status == 204)
        #expect(preflight.header("Access-Control-Allow-Origin") == "*")
        #expect(preflight.header("Access-Control-Allow-Methods") == "POST, OPTIONS")
        let allowed = (preflight.header("Access-Control-Allow-Headers") ?? "").lowercased()
        for header in ["x-honeycomb-team", "content-type", "x-honeycomb-useragent", "content-encoding"] {
            #expect(allowed.contains(header))
        }
        let post = try server.client().roundTrip(
            "POST", "/1/batch/browser", headers: [("X-Honeycomb-Team", "k"), ("Origin", "https://app.example")],
            body: Array(#"[{"data":{"a":1}}]"#.utf8)
        )
        #expect(post.status == 200)
        #expect(post.header("Access-Control-Allow-Origin") == "*")
        #expect(try server.client().roundTrip("POST", "/1/batch/browser", body: [1]).header("Access-Control-Allow-Origin") == "*")
        await server.stop()
    }

    @Test func datasetNameRules() async throws {
        let server = try TestServer()
        defer { server.dataDirectory.remove() }
        let long = String(repeating: "d", count: 256)
        for (path, status) in [("/1/batch/%20%20", 400), ("/1/batch/\(long)", 400), ("/1/batch/a%01b", 400), ("/1/batch/\(long.dropLast())", 200)] {
            let response = try server.client().roundTrip("POST", path, headers: [("X-Honeycomb-Team", "k")], body: Array(#"[{"data":{"a":1}}]"#.utf8))
            #expect(response.status == status, "\(path.prefix(40))")
        }
        let trimmed = try server.client().roundTrip("POST", "/1/batch/%20spaced%20", headers: [("X-Honeycomb-Team", "k")], body: Array(#"[{"data":{"a":1}}]"#.utf8))
        #expect(trimmed.status == 200)
        let stored = try await server.stopAndReadSpool()
        #expect(stored.last?["dataset"] as? String == "spaced")
    }
}

/// SHA-256 hex of a key from coreutils' sha256sum: independent of the server's own hashing.
enum APIKeyDigestHex {
    static func of(_ key: String) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try? process.run()
        input.fileHandleForWriting.write(Data(key.utf8))
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        return String(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(64))
    }
}
