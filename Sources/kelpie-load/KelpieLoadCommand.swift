import ArgumentParser

@main
struct KelpieLoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kelpie-load",
        abstract: "Open- and closed-loop load generator for Honeycomb-compatible ingest endpoints (Kelpie).",
        discussion: """
            Run `kelpie-load run --help` (or `kelpie-load --target URL ...`, run is the default) for load options,
            and `kelpie-load verify --help` to check a spool against acknowledged ids. See docs/load-testing.md.
            """,
        subcommands: [RunCommand.self, VerifyCommand.self, BodyCommand.self],
        defaultSubcommand: RunCommand.self
    )
}

/// Exit statuses scripts can rely on.
enum ExitStatus {
    static let errorRateExceeded: Int32 = 1
    static let verifyFailed: Int32 = 2
    static let setupFailed: Int32 = 3
}
