import ArgumentParser
import KelpieApp

@main
struct Kelpie: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kelpie",
        abstract: "A Honeycomb-compatible event ingest server.",
        version: KelpieVersion.current,
        subcommands: [Serve.self, Spool.self, Keys.self],
        defaultSubcommand: Serve.self
    )
}
