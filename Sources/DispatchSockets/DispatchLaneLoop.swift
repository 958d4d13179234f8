internal import Dispatch

/// The Dispatch backend's per-lane part: only the coarse tick timer (one per lane, not per
/// connection). Readiness comes from each channel's own sources, delivered on the lane queue.
final class DispatchLaneLoop: LaneEventLoop, @unchecked Sendable {  // unchecked: lane-confined; its timer fires on the lane queue
    unowned let lane: IOLane
    private var tickTimer: (any DispatchSourceTimer)?

    init(lane: IOLane) {
        self.lane = lane
    }

    func start() throws {
        let timer = DispatchSource.makeTimerSource(queue: lane.queue)
        let interval = DispatchTimeInterval.nanoseconds(Int(clamping: lane.tick.nanosecondsClamped))
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(1))
        timer.setEventHandler { [lane] in lane.runTick(now: ContinuousClock.now) }
        tickTimer = timer
        timer.activate()
    }

    func makeChannel(fileDescriptor: Int32, target: any ReadinessTarget) -> any ReadinessChannel {
        DispatchSourceChannel(fileDescriptor: fileDescriptor, queue: lane.queue, target: target)
    }

    /// Nothing to do: Dispatch runs a submitted block as soon as the lane queue is free.
    func wake() {}

    func stop(completion: @escaping () -> Void) {
        // The timer was activated and is never suspended, so cancelling and releasing it is safe.
        tickTimer?.cancel()
        tickTimer = nil
        completion()
    }
}
