import ArgumentParser
import LoadKit

/// The options that shape generated requests, shared by `run` and `body` so both build the same bytes.
struct PayloadOptions: ParsableArguments {
    @Option(help: "Payload: single-json, batch-json, batch-msgpack or otlp-traces.")
    var payload: PayloadKind = .batchJSON

    @Option(help: "Events per request (default 100 for batches, 512 spans for otlp-traces; single-json is always 1).")
    var batchSize: Int?

    @Option(help: "Body compression: none, gzip or zstd.")
    var compression: Compression = .none

    @Option(help: "Compression level (default: gzip 1, zstd 2).")
    var compressionLevel: Int32?

    @Option(help: "Target size in bytes of each event's `data` object as compact JSON.")
    var eventBytes: Int = EventShape.defaultTargetDataBytes

    @Option(help: "Distinct values of the high-cardinality string field (user.id).")
    var cardinality: Int = EventShape.defaultStringCardinality

    @Option(help: "Seed for the generated events.")
    var seed: UInt64 = 1

    @Option(help: "Dataset name (for run with --datasets: the name prefix).")
    var dataset: String = "kelpie-load"

    func configuration(datasets: [String], apiKeys: [String], poolSize: Int, verifyRunID: String? = nil) -> PayloadConfiguration {
        PayloadConfiguration(
            kind: payload, batchSize: batchSize, compression: compression, compressionLevel: compressionLevel,
            shape: EventShape(targetDataBytes: eventBytes, stringCardinality: cardinality, seed: seed),
            datasets: datasets, apiKeys: apiKeys, poolSize: poolSize, verifyRunID: verifyRunID)
    }
}
