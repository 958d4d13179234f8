import Ingest

/// Reads the key file (`--keys FILE`): JSON or YAML with a top-level `keys` list. Each entry has either
/// `key` (hashed at load and then forgotten) or `key_sha256`, plus `id`, `type`, `team` and `environment`
/// (`name`, `slug`), its permissions `events`, `datasets` (a list, or `["*"]`) and `create_datasets`, and
/// `rate_limit` (`{events_per_second: N, burst: M}`, or `off`).
/// Unknown fields are errors, so a typo cannot silently widen or narrow a key. Format: docs/api.md.
enum APIKeyFile {
    struct LoadError: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ text: [UInt8]) throws(LoadError) -> [APIKeyEntry] {
        let root: ConfigNode
        do {
            root = try YAMLDocumentParser.parse(text)
        } catch {
            throw LoadError(description: "key file is not valid JSON or YAML: \(error)")
        }
        guard case .mapping(let top) = root else { throw LoadError(description: "key file must be a mapping with a 'keys' list") }
        for (field, _) in top where field != "keys" {
            throw LoadError(description: "key file: unknown top-level field '\(field)'")
        }
        guard let keysNode = top.first(where: { $0.key == "keys" })?.value else {
            throw LoadError(description: "key file has no 'keys' list")
        }
        guard case .sequence(let items) = keysNode else { throw LoadError(description: "'keys' must be a list") }
        var entries: [APIKeyEntry] = []
        var seen = Set<APIKeyDigest>()
        for (index, item) in items.enumerated() {
            let entry = try parseEntry(item, position: index + 1)
            guard seen.insert(entry.digest).inserted else {
                throw LoadError(description: "keys[\(index + 1)]: the same key appears twice")
            }
            entries.append(entry)
        }
        return entries
    }

    private static let allowedFields: Set<String> = [
        "key", "key_sha256", "id", "type", "team", "environment", "events", "datasets", "create_datasets",
        "rate_limit",
    ]

    private static func parseEntry(_ node: ConfigNode, position: Int) throws(LoadError) -> APIKeyEntry {
        let place = "keys[\(position)]"
        guard case .mapping(let fields) = node else { throw LoadError(description: "\(place) must be a mapping") }
        for (field, _) in fields where !allowedFields.contains(field) {
            throw LoadError(description: "\(place): unknown field '\(field)'")
        }
        func value(_ name: String) -> ConfigNode? { fields.first { $0.key == name }?.value }
        func string(_ name: String) throws(LoadError) -> String? {
            guard let node = value(name) else { return nil }
            guard case .scalar(let text, _) = node else { throw LoadError(description: "\(place).\(name) must be a string") }
            return text
        }
        func bool(_ name: String, default fallback: Bool) throws(LoadError) -> Bool {
            guard let node = value(name) else { return fallback }
            guard case .scalar(let text, let quoted) = node, !quoted, text == "true" || text == "false" else {
                throw LoadError(description: "\(place).\(name) must be true or false")
            }
            return text == "true"
        }
        func named(_ name: String) throws(LoadError) -> APIKeyEntry.Named {
            guard let node = value(name) else { return APIKeyEntry.Named(name: "", slug: "") }
            guard case .mapping(let pairs) = node else { throw LoadError(description: "\(place).\(name) must have name and slug") }
            var result = APIKeyEntry.Named(name: "", slug: "")
            for (field, child) in pairs {
                guard case .scalar(let text, _) = child else { throw LoadError(description: "\(place).\(name).\(field) must be a string") }
                switch field {
                case "name": result.name = text
                case "slug": result.slug = text
                default: throw LoadError(description: "\(place).\(name): unknown field '\(field)'")
                }
            }
            if result.slug.isEmpty && !result.name.isEmpty { result.slug = slug(result.name) }
            return result
        }

        let rawKey = try string("key")
        let hashed = try string("key_sha256")
        let digest: APIKeyDigest
        switch (rawKey, hashed) {
        case (let key?, nil):
            guard !key.isEmpty else { throw LoadError(description: "\(place).key is empty") }
            digest = APIKeyDigest(key: key)
        case (nil, let hex?):
            guard let parsed = APIKeyDigest(hex: hex) else {
                throw LoadError(description: "\(place).key_sha256 must be 64 hex digits (kelpie keys hash KEY prints it)")
            }
            digest = parsed
        case (.some, .some):
            throw LoadError(description: "\(place): give either key or key_sha256, not both")
        case (nil, nil):
            throw LoadError(description: "\(place): needs key or key_sha256")
        }
        let type = try string("type") ?? "ingest"
        guard type == "ingest" || type == "configuration" else {
            throw LoadError(description: "\(place).type must be ingest or configuration")
        }
        var entry = APIKeyEntry(
            id: try string("id") ?? APIKeyID.of(digest), digest: digest,
            type: type, team: try named("team"), environment: try named("environment"),
            sendEvents: try bool("events", default: true), datasets: .all,
            createDatasets: try bool("create_datasets", default: true)
        )
        if let node = value("datasets") {
            guard case .sequence(let items) = node else { throw LoadError(description: "\(place).datasets must be a list") }
            var names = Set<String>()
            for item in items {
                guard case .scalar(let name, _) = item, !name.isEmpty else {
                    throw LoadError(description: "\(place).datasets entries must be non-empty strings")
                }
                names.insert(name.lowercased())
            }
            entry.datasets = names.contains("*") ? .all : .only(names)
        }
        if let node = value("rate_limit") {
            entry.rateLimit = try rateLimit(node, place: "\(place).rate_limit")
        }
        return entry
    }

    /// `{events_per_second: N, burst: M}` (burst optional: one second's worth) or `off` (no limit, whatever
    /// `--rate-limit-events` says).
    private static func rateLimit(_ node: ConfigNode, place: String) throws(LoadError) -> APIKeyEntry.RateLimitChoice {
        let expected = "must be {events_per_second: N, burst: M} (whole numbers, 1 to \(RateLimit.maxEvents); burst optional) or off"
        if case .scalar("off", _) = node { return .unlimited }
        guard case .mapping(let fields) = node else { throw LoadError(description: "\(place) \(expected)") }
        var rate: Int?
        var burst: Int?
        for (field, child) in fields {
            guard case .scalar(let text, let quoted) = child, !quoted, let number = Int(text) else {
                throw LoadError(description: "\(place).\(field) \(expected)")
            }
            switch field {
            case "events_per_second": rate = number
            case "burst": burst = number
            default: throw LoadError(description: "\(place): unknown field '\(field)'")
            }
        }
        guard let rate, let limit = RateLimit(eventsPerSecond: rate, burst: burst) else {
            throw LoadError(description: "\(place) \(expected)")
        }
        return .limited(limit)
    }

    /// Honeycomb's slug rule: lowercase, anything but [a-z0-9_-] becomes "-".
    static func slug(_ name: String) -> String {
        String(name.lowercased().unicodeScalars.map { scalar in
            let allowed = ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "-" || scalar == "_"
            return allowed ? Character(scalar) : "-"
        })
    }
}
