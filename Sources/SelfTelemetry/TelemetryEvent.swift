/// One event on its way out: when it happened, the sample rate it stands for, and what it describes.
struct TelemetryEvent: Sendable {
    enum Body: Sendable {
        case request(RequestEvent)
        case process(ProcessEvent)
    }

    var timeUnixNanos: Int64
    var sampleRate: Int
    var body: Body
}
