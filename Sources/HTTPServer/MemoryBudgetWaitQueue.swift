/// The connections waiting for room in a ``MemoryBudget``, as a pure value: first come, first served, and
/// only as many woken as the room that opened can feed (each one reads up to one chunk when it resumes),
/// so a release does not wake a herd that would overdraw the budget again at once.
struct MemoryBudgetWaitQueue<Waiter> {
    typealias Ticket = UInt64

    private var waiters: [(ticket: Ticket, waiter: Waiter)] = []
    private var head = 0
    private var nextTicket: Ticket = 0

    var count: Int { waiters.count - head }

    /// Adds a waiter at the back; the ticket cancels it.
    mutating func enqueue(_ waiter: Waiter) -> Ticket {
        nextTicket &+= 1
        waiters.append((nextTicket, waiter))
        return nextTicket
    }

    /// Removes a waiter that no longer waits (its connection closed, or room opened before it slept).
    /// False when it was already woken.
    @discardableResult
    mutating func cancel(_ ticket: Ticket) -> Bool {
        guard let index = waiters[head...].firstIndex(where: { $0.ticket == ticket }) else { return false }
        waiters.remove(at: index)
        return true
    }

    /// The waiters to wake now that `roomBytes` are free, oldest first: one per `grantBytes` of room
    /// (at least one when there is any room), removed from the queue.
    mutating func admit(roomBytes: Int, grantBytes: Int) -> [Waiter] {
        guard roomBytes > 0, count > 0 else { return [] }
        let wanted = max(1, roomBytes / max(1, grantBytes))
        let end = min(waiters.count, head + wanted)
        let woken = waiters[head..<end].map(\.waiter)
        head = end
        // Compact now and then, so the array does not grow with every waiter ever queued.
        if head > 64, head * 2 > waiters.count {
            waiters.removeFirst(head)
            head = 0
        }
        return woken
    }

    /// Removes and returns the oldest waiter with its ticket.
    mutating func takeOldest() -> (ticket: Ticket, waiter: Waiter)? {
        guard count > 0 else { return nil }
        let oldest = waiters[head]
        waiters.remove(at: head)
        return oldest
    }
}

extension MemoryBudgetWaitQueue: Sendable where Waiter: Sendable {}
