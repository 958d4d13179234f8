import ArgumentParser
import Ingest

#if canImport(Glibc)
import Glibc
#endif

/// `kelpie keys …`: helpers for the key file.
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with API keys for the key file.",
        subcommands: [Hash.self]
    )

    struct Hash: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the SHA-256 to put in the key file as key_sha256.",
            discussion: "Pass - to read the key from standard input, so it stays out of shell history."
        )

        @Argument(help: "The API key, or - to read it from standard input.")
        var key: String

        func run() throws {
            var secret = key
            if key == "-" {
                guard let line = readLine(strippingNewline: true) else { throw ValidationError("no key on standard input") }
                secret = line
            }
            guard !secret.isEmpty else { throw ValidationError("the key is empty") }
            print(APIKeyDigest(key: secret).hex)
        }
    }
}
