import KelpieApp

#if canImport(Glibc)
import Glibc
#endif

/// Why a subcommand could not start, as one plain sentence for stderr and an exit status per cause, so a
/// supervisor (systemd, Kubernetes, a script) can tell a typo from a busy port. Statuses follow sysexits.h;
/// the table is in docs/configuration.md.
struct StartupFailure: Error, CustomStringConvertible {
    enum Kind: Int32 {
        /// A value that is not in its expected form (`--lanes abc`, `KELPIE_ACK=fast`).
        case invalidValue = 65
        /// The key file (or the spool to read) is missing, unreadable or invalid.
        case unreadableInput = 66
        /// The listen address cannot be bound (in use, not an address of this host, no permission).
        case listenFailed = 69
        /// The data directory cannot be created, written or locked.
        case dataDirectoryUnusable = 73
        /// Values that parse alone but contradict each other (`--max-queue-bytes` below `--max-decoded-bytes`).
        case inconsistentSettings = 78
        /// Anything else that stopped the start.
        case other = 1
    }

    let kind: Kind
    let description: String

    init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    /// Writes `kelpie: <description>` to stderr (unbuffered, so it is there even if logging never started).
    func printToStandardError() {
        Array("kelpie: \(description)\n".utf8).withUnsafeBytes { FileDescriptorOutput.writeAll($0, to: STDERR_FILENO) }
    }
}
