import ArgumentParser
import Glibc
import LoadKit

enum ProgressMode: String, ExpressibleByArgument, CaseIterable {
    case auto
    /// One line rewritten in place with `\r`.
    case line
    /// A new line per interval.
    case plain
    case none
}

/// Writes progress to stderr: an updating line on a terminal, periodic plain lines otherwise.
final class ProgressDisplay: @unchecked Sendable {  // unchecked: called only from the runner's progress callback, one thread at a time
    let mode: ProgressMode
    private var lastWidth = 0
    private var wroteLive = false

    init(mode: ProgressMode) {
        if mode == .auto {
            self.mode = isatty(2) != 0 ? .line : .plain
        } else {
            self.mode = mode
        }
    }

    var isLive: Bool { mode == .line }

    func show(_ update: ProgressUpdate) {
        let text = ResultFormatter.progressLine(update)
        switch mode {
        case .line:
            let padding = max(0, lastWidth - text.count)
            writeStderr("\r" + text + String(repeating: " ", count: padding))
            lastWidth = text.count
            wroteLive = true
        case .plain:
            writeStderr(text + "\n")
        case .auto, .none:
            break
        }
    }

    func finish() {
        if wroteLive { writeStderr("\n") }
    }
}
