import Locking
import Testing
@testable import HTTPServer

/// The memory budget's accounting and its wait queue, without sockets: charges, refusals past the overdraft
/// allowance, and who is woken when bytes come back.
@Suite struct MemoryBudgetTests {
    @Test func theWaitQueueWakesOldestFirstAndOnlyAsManyAsTheRoomFeeds() {
        var queue = MemoryBudgetWaitQueue<String>()
        let a = queue.enqueue("a")
        _ = queue.enqueue("b")
        _ = queue.enqueue("c")
        _ = queue.enqueue("d")
        #expect(queue.count == 4)
        #expect(queue.admit(roomBytes: 0, grantBytes: 100).isEmpty, "no room, nobody woken")
        #expect(queue.admit(roomBytes: 50, grantBytes: 100) == ["a"], "any room wakes at least the oldest")
        let cancelledAfterWaking = queue.cancel(a)
        #expect(!cancelledAfterWaking, "a woken waiter is no longer queued")
        #expect(queue.admit(roomBytes: 250, grantBytes: 100) == ["b", "c"])
        #expect(queue.count == 1)
    }

    @Test func aCancelledWaiterIsNeverWoken() {
        var queue = MemoryBudgetWaitQueue<String>()
        _ = queue.enqueue("a")
        let b = queue.enqueue("b")
        _ = queue.enqueue("c")
        let cancelled = queue.cancel(b)
        #expect(cancelled)
        #expect(queue.admit(roomBytes: 1000, grantBytes: 1) == ["a", "c"])
        #expect(queue.count == 0)
    }

    @Test func theQueueStaysCompactThroughManyWaiters() {
        var queue = MemoryBudgetWaitQueue<Int>()
        var woken: [Int] = []
        for round in 0..<50 {
            for index in 0..<10 { _ = queue.enqueue(round * 10 + index) }
            woken += queue.admit(roomBytes: 10, grantBytes: 1)
        }
        #expect(woken == Array(0..<500))
        #expect(queue.count == 0)
    }

    @Test func chargesAreWithinThenOverAndNewBodiesAreRefusedPastTheOverdraftAllowance() {
        let budget = MemoryBudget(limitBytes: 1000, grantBytes: 10)
        #expect(budget.overdraftBytes == 125, "one eighth of the limit")
        #expect(budget.charge(600, startsHold: true) == .withinBudget)
        #expect(budget.charge(400, startsHold: false) == .withinBudget, "exactly at the limit still fits")
        #expect(budget.isSpent, "at the limit the budget is spent")
        #expect(budget.charge(100, startsHold: false) == .overBudget, "bytes in hand are kept, the reader stops")
        #expect(budget.bytesInUse == 1100)
        #expect(budget.charge(26, startsHold: true) == .refused, "a new body past limit + allowance: not taken")
        #expect(budget.bytesInUse == 1100)
        #expect(budget.holderCount == 1)
        #expect(budget.charge(200, startsHold: false) == .overBudget, "a body in progress is never refused here")
        #expect(budget.charge(25, startsHold: true) == .refused)
        budget.release(1300, endsHold: true)
        #expect(budget.bytesInUse == 0)
        #expect(budget.holderCount == 0)
        #expect(!budget.isSpent)
    }

    @Test func tryReserveTakesOnlyWhatFits() {
        let budget = MemoryBudget(limitBytes: 1000, grantBytes: 10)
        #expect(budget.tryReserve(900))
        #expect(!budget.tryReserve(101))
        #expect(budget.bytesInUse == 900)
        #expect(budget.tryReserve(100))
        budget.forceCharge(500)
        #expect(budget.bytesInUse == 1500, "memory that exists already is counted whatever the total")
        #expect(budget.holderCount == 3)
        budget.release(900, endsHold: true)
        budget.release(100, endsHold: true)
        budget.release(500, endsHold: true)
        #expect(budget.bytesInUse == 0 && budget.holderCount == 0)
    }

    @Test func aReleaseWakesWaitersInOrderAsRoomOpens() {
        let budget = MemoryBudget(limitBytes: 1000, grantBytes: 100)
        let woken = Lock<[String]>([])
        // Four bodies hold bytes; three of them wait (one is still being sent, so no exemption is due).
        for bytes in [300, 300, 300] { #expect(budget.charge(bytes, startsHold: true) == .withinBudget) }
        #expect(budget.charge(150, startsHold: true) == .overBudget)
        let first = budget.waitForRoom { exempt in woken.withLock { $0.append("first\(exempt ? "!" : "")") } }
        let second = budget.waitForRoom { exempt in woken.withLock { $0.append("second\(exempt ? "!" : "")") } }
        let third = budget.waitForRoom { exempt in woken.withLock { $0.append("third\(exempt ? "!" : "")") } }
        #expect(first != nil && second != nil && third != nil)
        #expect(budget.waitingCount == 3)
        #expect(budget.isSpent)
        budget.release(50, endsHold: false)
        #expect(woken.withLock { $0 }.isEmpty, "back at the limit: still no room")
        budget.release(150, endsHold: false)
        #expect(woken.withLock { $0 } == ["first"], "150 bytes of room feed one reader of 100")
        budget.cancelWait(second!)
        budget.release(850, endsHold: false)
        #expect(woken.withLock { $0 } == ["first", "third"], "a withdrawn wait is skipped")
        #expect(budget.waitingCount == 0)
    }

    @Test func whenEveryHolderWaitsTheOldestIsExemptedOneAtATime() {
        let budget = MemoryBudget(limitBytes: 1000, grantBytes: 100)
        let woken = Lock<[String]>([])
        #expect(budget.charge(600, startsHold: true) == .withinBudget)
        #expect(budget.charge(500, startsHold: true) == .overBudget)
        let first = budget.waitForRoom { exempt in woken.withLock { $0.append("first\(exempt ? "!" : "")") } }
        #expect(woken.withLock { $0 }.isEmpty, "the other holder may still free room")
        let second = budget.waitForRoom { exempt in woken.withLock { $0.append("second\(exempt ? "!" : "")") } }
        #expect(woken.withLock { $0 } == ["first!"], "both wait: the oldest reads on past the limit")
        #expect(budget.waitingCount == 1)
        // The exempted body grows and finishes; handing the exemption back with its bytes frees room.
        #expect(budget.charge(300, startsHold: false) == .overBudget)
        budget.release(900, endsHold: true)
        #expect(woken.withLock { $0 } == ["first!", "second"], "room wakes the next waiter")
        budget.cancelWait(first!)
        #expect(woken.withLock { $0 } == ["first!", "second"])
        // Deadlocked again (one holder, waiting): the exemption was handed back, so it can be granted anew.
        #expect(budget.charge(600, startsHold: false) == .overBudget)
        let again = budget.waitForRoom { exempt in woken.withLock { $0.append("again\(exempt ? "!" : "")") } }
        #expect(woken.withLock { $0 } == ["first!", "second", "again!"])
        budget.cancelWait(again!)
        budget.cancelWait(second!)
        budget.release(1100, endsHold: true)
        #expect(budget.bytesInUse == 0 && budget.holderCount == 0 && budget.waitingCount == 0)
    }

    @Test func waitingWhenRoomIsAlreadyThereReturnsAtOnce() {
        let budget = MemoryBudget(limitBytes: 1000, grantBytes: 100)
        #expect(budget.charge(999, startsHold: true) == .withinBudget)
        let called = Lock(false)
        #expect(budget.waitForRoom { _ in called.withLock { $0 = true } } == nil)
        #expect(budget.waitingCount == 0)
        budget.release(999, endsHold: true)
        #expect(!called.withLock { $0 }, "a wait that never began is never woken")
    }

    @Test func concurrentChargesAndReleasesBalance() async {
        let budget = MemoryBudget(limitBytes: 1 << 40, grantBytes: 100)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<10_000 {
                        _ = budget.charge(64, startsHold: true)
                        budget.release(64, endsHold: true)
                    }
                }
            }
        }
        #expect(budget.bytesInUse == 0 && budget.holderCount == 0)
    }
}
