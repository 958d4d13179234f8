/// Every limit of the pipeline, with its unit in the name. Defaults match the brief for `kelpie serve`.
public struct PipelineConfiguration: Sendable {
    /// Segments (`wal-<16-digit sequence>.jsonl`) and the `wal.lock` file live here; created if missing.
    public var dataDirectory: String
    public var ackMode: AckMode
    /// Encoded bytes admitted but not yet written (durable: not yet fdatasync'd); past it, submit refuses.
    public var maxQueuedBytes: Int
    /// `isSaturated` turns true when queued bytes reach this fraction of `maxQueuedBytes`…
    public var highWaterFraction: Double
    /// …and false again only when they drop below this fraction (hysteresis).
    public var lowWaterFraction: Double
    /// The active segment is closed before a write that would take it past this size.
    public var segmentMaxBytes: Int
    /// A non-empty active segment older than this is closed (checked every writer round and tick).
    public var segmentMaxAge: Duration
    /// Total bytes across segments. With the spool as the sink, the oldest closed segments are deleted beyond
    /// it (never the active one). With a remote sink (ack=durable), it is the store-and-forward cap instead:
    /// undelivered segments are never deleted, and past this many WAL bytes admission answers 503; readiness
    /// turns false at `highWaterFraction` of it.
    public var retentionMaxBytes: Int64
    /// With ack=memory, fdatasync at most this often (and on rotation and stop).
    public var memoryModeSyncInterval: Duration
    /// What a `.queueFull` refusal suggests to the client.
    public var retryAfterSeconds: Int
    /// How long the idle writer sleeps between ticks (age rotation, memory-mode sync, heartbeat).
    public var writerTickInterval: Duration
    /// ack=delivered: how long a submission waits for the sink's confirmation before it is answered 503.
    public var sinkTimeout: Duration

    public init(
        dataDirectory: String,
        ackMode: AckMode = .durable,
        maxQueuedBytes: Int = 64 << 20,
        highWaterFraction: Double = 0.8,
        lowWaterFraction: Double = 0.5,
        segmentMaxBytes: Int = 64 << 20,
        segmentMaxAge: Duration = .seconds(600),
        retentionMaxBytes: Int64 = 1 << 30,
        memoryModeSyncInterval: Duration = .seconds(1),
        retryAfterSeconds: Int = 1,
        writerTickInterval: Duration = .milliseconds(200),
        sinkTimeout: Duration = .seconds(10)
    ) {
        self.dataDirectory = dataDirectory
        self.ackMode = ackMode
        self.maxQueuedBytes = maxQueuedBytes
        self.highWaterFraction = highWaterFraction
        self.lowWaterFraction = lowWaterFraction
        self.segmentMaxBytes = segmentMaxBytes
        self.segmentMaxAge = segmentMaxAge
        self.retentionMaxBytes = retentionMaxBytes
        self.memoryModeSyncInterval = memoryModeSyncInterval
        self.retryAfterSeconds = retryAfterSeconds
        self.writerTickInterval = writerTickInterval
        self.sinkTimeout = sinkTimeout
    }
}
