/// What charging bytes already read to a ``MemoryBudget`` says about the connection that read them.
public enum MemoryBudgetCharge: Equatable, Sendable {
    /// Room is left: keep reading.
    case withinBudget
    /// The budget is spent (but not overdrawn past its allowance): keep these bytes, stop reading, and wait
    /// for room.
    case overBudget
    /// Past the overdraft allowance: the charge was not taken; refuse the request now (503) and drop its bytes.
    case refused
}
