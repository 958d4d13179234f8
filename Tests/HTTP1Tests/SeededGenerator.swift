import TestSupport

/// The drip-feed and fuzz tests' generator: TestSupport's SplitMix64, so every random split and mutation
/// is reproducible from its seed.
typealias SeededGenerator = SplitMix64
