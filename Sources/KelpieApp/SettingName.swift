/// How a setting is spelled on the command line and in the environment: `max-body-bytes` is the flag
/// `--max-body-bytes` and the variable `KELPIE_MAX_BODY_BYTES`. Error messages name both.
public enum SettingName {
    public static func environmentVariable(_ name: String) -> String {
        "KELPIE_" + String(name.uppercased().map { $0 == "-" ? "_" : $0 })
    }

    /// `--max-body-bytes / KELPIE_MAX_BODY_BYTES`.
    public static func both(_ name: String) -> String {
        "--\(name) / \(environmentVariable(name))"
    }
}
