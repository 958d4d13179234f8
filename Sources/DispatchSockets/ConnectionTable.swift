/// A lane's open connections in stable slots, so the deadline scan and `forEachConnection` walk a
/// flat array and removal is O(1). Lane-confined.
struct ConnectionTable {
    private var slots: [Connection?] = []
    private var freeSlots: [Int] = []
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }
    var slotCount: Int { slots.count }

    mutating func insert(_ connection: Connection) {
        let slot: Int
        if let reused = freeSlots.popLast() {
            slot = reused
            slots[slot] = connection
        } else {
            slot = slots.count
            slots.append(connection)
        }
        connection.tableSlot = slot
        count += 1
    }

    mutating func remove(_ connection: Connection) {
        let slot = connection.tableSlot
        guard slot >= 0, slot < slots.count, slots[slot] === connection else { return }
        slots[slot] = nil
        freeSlots.append(slot)
        connection.tableSlot = -1
        count -= 1
    }

    subscript(slot: Int) -> Connection? {
        slot < slots.count ? slots[slot] : nil
    }

    /// The connections open right now (a copy: callers may close connections while iterating).
    func snapshot() -> [Connection] {
        slots.compactMap { $0 }
    }
}
