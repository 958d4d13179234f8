import Locking
import Synchronization

/// One bound on request bytes held in memory across every connection of every listener: bodies being
/// received, and (charged by the application) decoded bodies until the pipeline has them.
///
/// Connections charge bytes as they read them (incrementally, never a declared length up front). Once the
/// budget is spent a connection stops reading (backpressure into TCP) and waits for room, oldest waiter first.
/// A body that has not started yet is refused outright past a fixed overdraft allowance, so a flood of new
/// requests that each read one more chunk cannot overdraw it by more than that.
///
/// Charging incrementally can deadlock: every holder waiting for room only another holder could free. When
/// that happens the oldest waiter is exempted (it reads on past the limit until its body is complete, one
/// exemption at a time), so something always finishes.
///
/// The hot path is one atomic add per read (and one per body for the holder count); the lock guards only the
/// wait queue, taken when the budget is spent.
public final class MemoryBudget: Sendable {
    /// Bytes that may be held; past it readers wait.
    public let limitBytes: Int
    /// How far bytes already read may take the total past the limit before a new body is refused: one eighth
    /// of the limit, at least one read chunk.
    public let overdraftBytes: Int
    /// Room one woken waiter is expected to use before it checks again: one read chunk.
    let grantBytes: Int
    private let used = Atomic<Int>(0)
    /// Bodies (and decoded bodies) holding bytes: when every one of them waits, nothing will be released.
    private let holders = Atomic<Int>(0)
    private let waiterCount = Atomic<Int>(0)
    private let waiters = Lock(Waiters())

    /// Called when room opens; `exempt` says the waiter may read on past the limit (see the type's comment).
    public typealias Wake = @Sendable (_ exempt: Bool) -> Void

    private struct Waiters: Sendable {
        var queue = MemoryBudgetWaitQueue<Wake>()
        /// The wait whose body is exempted now; cancelling its ticket ends the exemption.
        var exemptTicket: MemoryBudgetWaitQueue<Wake>.Ticket?
    }

    public init(limitBytes: Int, grantBytes: Int = 64 * 1024) {
        precondition(limitBytes > 0, "a memory budget needs a positive limit")
        self.limitBytes = limitBytes
        self.overdraftBytes = max(limitBytes / 8, grantBytes)
        self.grantBytes = grantBytes
    }

    /// Bytes charged now (may pass the limit by the overdraft allowance, and by an exempted body).
    public var bytesInUse: Int { used.load(ordering: .relaxed) }
    /// Connections waiting for room.
    public var waitingCount: Int { waiterCount.load(ordering: .relaxed) }
    /// Bodies and decoded bodies holding bytes.
    public var holderCount: Int { holders.load(ordering: .relaxed) }
    /// The budget is spent: readers are waiting, or the limit is reached.
    public var isSpent: Bool { bytesInUse >= limitBytes || waitingCount > 0 }

    /// Charges `bytes` that are already in memory (just read from a socket). `startsHold`: the first bytes of
    /// a body, which may be refused (nothing is then charged); a body in progress is never refused here, its
    /// bytes are kept and its reader waits.
    public func charge(_ bytes: Int, startsHold: Bool) -> MemoryBudgetCharge {
        let after = used.wrappingAdd(bytes, ordering: .sequentiallyConsistent).newValue
        if startsHold {
            if after > limitBytes + overdraftBytes {
                release(bytes, endsHold: false)
                return .refused
            }
            holders.wrappingAdd(1, ordering: .sequentiallyConsistent)
        }
        return after <= limitBytes ? .withinBudget : .overBudget
    }

    /// Charges `bytes` as a new hold only if they fit under the limit; false leaves the budget as it was.
    public func tryReserve(_ bytes: Int) -> Bool {
        var current = used.load(ordering: .relaxed)
        while true {
            guard current + bytes <= limitBytes else { return false }
            let (exchanged, original) = used.compareExchange(
                expected: current, desired: current + bytes, ordering: .sequentiallyConsistent
            )
            if exchanged { break }
            current = original
        }
        holders.wrappingAdd(1, ordering: .sequentiallyConsistent)
        return true
    }

    /// Charges `bytes` as a new hold whatever the total: for memory that exists already and whose other
    /// charge is about to be released (the same buffer changing hands), so the count never misses it.
    public func forceCharge(_ bytes: Int) {
        used.wrappingAdd(bytes, ordering: .sequentiallyConsistent)
        holders.wrappingAdd(1, ordering: .sequentiallyConsistent)
    }

    /// Returns `bytes`; `endsHold` when their body is done with (handed on, answered or dropped). Wakes the
    /// waiters the room can feed.
    public func release(_ bytes: Int, endsHold: Bool) {
        if bytes != 0 { used.wrappingSubtract(bytes, ordering: .sequentiallyConsistent) }
        if endsHold { holders.wrappingSubtract(1, ordering: .sequentiallyConsistent) }
        if waiterCount.load(ordering: .sequentiallyConsistent) > 0 { wakeWaiters() }
    }

    /// Queues `wake` to run (on whichever thread frees room) once room opens. Returns nil when there is room
    /// already: the caller goes on at once and `wake` never runs. `wake` may run before this returns (an
    /// exemption granted at once): callers hop to their own thread in it.
    public func waitForRoom(_ wake: @escaping Wake) -> WaitTicket? {
        let (ticket, woken) = waiters.withLock { state -> (WaitTicket?, [(Wake, Bool)]) in
            let ticket = state.queue.enqueue(wake)
            waiterCount.wrappingAdd(1, ordering: .sequentiallyConsistent)
            // Room that opened before the count was visible to releasers: do not sleep through it.
            if used.load(ordering: .sequentiallyConsistent) < limitBytes {
                state.queue.cancel(ticket)
                waiterCount.wrappingSubtract(1, ordering: .sequentiallyConsistent)
                return (nil, [])
            }
            return (WaitTicket(value: ticket), admit(&state))
        }
        for (wake, exempt) in woken { wake(exempt) }
        return ticket
    }

    /// Withdraws a wait (its connection closed or gave up), or ends the exemption it was woken with (its
    /// body is complete or dropped). Harmless when it was woken without one.
    public func cancelWait(_ ticket: WaitTicket) {
        let woken = waiters.withLock { state -> [(Wake, Bool)] in
            if state.queue.cancel(ticket.value) { waiterCount.wrappingSubtract(1, ordering: .sequentiallyConsistent) }
            guard state.exemptTicket == ticket.value else { return [] }
            state.exemptTicket = nil
            return admit(&state)
        }
        for (wake, exempt) in woken { wake(exempt) }
    }

    private func wakeWaiters() {
        let woken = waiters.withLock { admit(&$0) }
        for (wake, exempt) in woken { wake(exempt) }
    }

    /// Under the lock: the waiters to wake for the room there is, or the oldest one exempted when every
    /// holder waits and no room will ever come.
    private func admit(_ state: inout Waiters) -> [(Wake, Bool)] {
        let room = limitBytes - used.load(ordering: .sequentiallyConsistent)
        var woken = state.queue.admit(roomBytes: room, grantBytes: grantBytes).map { ($0, false) }
        if woken.isEmpty, state.exemptTicket == nil, state.queue.count > 0,
           state.queue.count >= holders.load(ordering: .sequentiallyConsistent),
           let oldest = state.queue.takeOldest() {
            state.exemptTicket = oldest.ticket
            woken = [(oldest.waiter, true)]
        }
        waiterCount.wrappingSubtract(woken.count, ordering: .sequentiallyConsistent)
        return woken
    }

    /// Identifies one wait, to cancel it.
    public struct WaitTicket: Sendable, Equatable {
        let value: UInt64
    }
}
