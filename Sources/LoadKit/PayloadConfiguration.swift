/// Everything that determines the request bodies and headers of a run.
public struct PayloadConfiguration: Sendable {
    public var kind: PayloadKind
    /// Events per request (ignored for `single-json`, which is always 1).
    public var batchSize: Int
    public var compression: Compression
    /// nil: the compression's default level.
    public var compressionLevel: Int32?
    public var shape: EventShape
    public var datasets: [String]
    public var apiKeys: [String]
    /// Distinct request bodies generated before the run and reused round-robin.
    public var poolSize: Int
    /// Set in verify mode: events carry `kelpie_load_id` and bodies are patched (and compressed) per send.
    public var verifyRunID: String?

    public static let defaultPoolSize = 64

    public init(
        kind: PayloadKind = .batchJSON, batchSize: Int? = nil, compression: Compression = .none,
        compressionLevel: Int32? = nil, shape: EventShape = EventShape(), datasets: [String] = ["kelpie-load"],
        apiKeys: [String] = ["kelpie-load-key"], poolSize: Int = PayloadConfiguration.defaultPoolSize,
        verifyRunID: String? = nil
    ) {
        self.kind = kind
        self.batchSize = kind == .singleJSON ? 1 : max(1, batchSize ?? kind.defaultBatchSize)
        self.compression = compression
        self.compressionLevel = compressionLevel
        self.shape = shape
        self.datasets = datasets.isEmpty ? ["kelpie-load"] : datasets
        self.apiKeys = apiKeys.isEmpty ? ["kelpie-load-key"] : apiKeys
        self.poolSize = max(1, poolSize)
        self.verifyRunID = verifyRunID
    }

    /// `count` dataset names `prefix-0` … `prefix-(count-1)` (just `prefix` when count is 1).
    public static func names(prefix: String, count: Int) -> [String] {
        count <= 1 ? [prefix] : (0..<count).map { "\(prefix)-\($0)" }
    }
}
