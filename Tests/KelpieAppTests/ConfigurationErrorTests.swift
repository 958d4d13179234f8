import KelpieApp
import Testing

/// Errors found by `AppConfiguration.validate()` name the flag, its variable and the value given, so the
/// executable can print them as they are (docs/configuration.md, "Errors and exit statuses").
@Suite struct ConfigurationErrorTests {
    /// A configuration with one setting broken, and how the message must state the value.
    static func broken(_ name: String) -> (AppConfiguration, value: String) {
        var configuration = AppConfiguration()
        switch name {
        case "lanes": configuration.laneCount = -1; return (configuration, "is -1")
        case "max-connections": configuration.maxConnections = 0; return (configuration, "is 0")
        case "max-queue-bytes": configuration.maxQueuedBytes = 1024; return (configuration, "is 1024 bytes")
        case "segment-max-bytes": configuration.segmentMaxBytes = 100; return (configuration, "is 100 bytes")
        case "retention-max-bytes": configuration.retentionMaxBytes = 4096; return (configuration, "is 4096 bytes")
        case "max-inflight-bytes": configuration.maxInflightBytes = 1 << 20; return (configuration, "is 1048576 bytes")
        case "inflight-wait": configuration.timeouts.inflightWait = .zero; return (configuration, "is 0.0 seconds")
        default: configuration.dataDirectory = ""; return (configuration, "is empty")
        }
    }

    @Test(arguments: [
        "lanes", "max-connections", "max-queue-bytes", "segment-max-bytes", "retention-max-bytes", "data-dir",
        "max-inflight-bytes", "inflight-wait",
    ])
    func invalidSettingIsNamedWithItsVariableAndValue(name: String) {
        let (configuration, value) = Self.broken(name)
        #expect {
            try configuration.validate()
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            let variable = SettingName.environmentVariable(name)
            return error.setting == name && error.description.hasPrefix("--\(name) / \(variable) \(value)")
                && error.description.contains("expected")
        }
    }

    @Test func defaultsAreValidAndVariablesAreSpelledFromTheFlag() throws {
        try AppConfiguration().validate()
        #expect(SettingName.environmentVariable("max-event-body-bytes") == "KELPIE_MAX_EVENT_BODY_BYTES")
        #expect(SettingName.both("data-dir") == "--data-dir / KELPIE_DATA_DIR")
    }
}
