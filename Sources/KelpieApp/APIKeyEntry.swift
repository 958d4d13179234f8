import Ingest

/// One key the server admits, as loaded from the key file: who it belongs to and what it may do.
struct APIKeyEntry: Sendable {
    struct Named: Sendable, Equatable {
        var name: String
        var slug: String
    }

    enum DatasetScope: Sendable, Equatable {
        case all
        /// Lowercased names: Honeycomb dataset names are case-insensitive.
        case only(Set<String>)
    }

    /// The key file's `rate_limit`: absent (the `--rate-limit-events` default applies), `off`, or its own.
    enum RateLimitChoice: Sendable, Equatable {
        case serverDefault
        case unlimited
        case limited(RateLimit)

        func resolved(default fallback: RateLimit?) -> RateLimit? {
            switch self {
            case .serverDefault: fallback
            case .unlimited: nil
            case .limited(let limit): limit
            }
        }
    }

    /// The key's identity as Honeycomb shows it (`/1/auth` `id`); defaults to the key id hash.
    var id: String
    var digest: APIKeyDigest
    /// `ingest` or `configuration`.
    var type: String
    var team: Named
    var environment: Named
    var sendEvents: Bool
    var datasets: DatasetScope
    var createDatasets: Bool
    var rateLimit: RateLimitChoice = .serverDefault

    /// The short, loggable key id (first 16 hex digits of the digest).
    var keyID: String { APIKeyID.of(digest) }

    func permits(dataset: String) -> Bool {
        switch datasets {
        case .all: true
        case .only(let names): names.contains(dataset.lowercased())
        }
    }
}
