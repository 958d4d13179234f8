import KelpieApp

/// Reads one `kelpie serve` setting from its flag or, failing that, its `KELPIE_*` variable, and turns a
/// value that does not parse into a ``StartupFailure`` naming the flag, the variable, the value and the
/// expected form.
struct SettingReader {
    let environment: Environment

    /// The text of setting `name` (`max-body-bytes`), from the flag when given, else from the environment.
    func text(_ flag: String?, _ name: String) -> String? {
        flag ?? environment[SettingName.environmentVariable(name)]
    }

    func parse<T>(
        _ flag: String?, _ name: String, expected: String, _ parser: (String) -> T?
    ) throws(StartupFailure) -> T? {
        guard let text = text(flag, name) else { return nil }
        guard let parsed = parser(text) else {
            let variable = SettingName.environmentVariable(name)
            let source = flag != nil ? "given as --\(name)" : "from \(variable)"
            throw StartupFailure(
                .invalidValue,
                "invalid value '\(text)' for --\(name) / \(variable) (\(source)); expected \(expected)"
            )
        }
        return parsed
    }

    /// Expected forms, as the error messages and the help text say them.
    enum Expected {
        static let size = "a byte count, or a number with KiB, MiB, GiB (binary) or KB, MB, GB (decimal), e.g. 64MiB"
        static let duration = "a duration such as 500ms, 5s, 2m or 1h (a bare number is seconds)"
        static let wholeNumber = "a whole number, 0 or more"
        static let positiveNumber = "a whole number, 1 or more"
        static let listen = "HOST:PORT or [IPv6]:PORT with a numeric address, e.g. 0.0.0.0:8080, 127.0.0.1:0 or [::]:8080"
    }
}
