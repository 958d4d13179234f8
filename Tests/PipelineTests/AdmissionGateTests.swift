import Testing
@testable import Pipeline

@Suite struct AdmissionGateTests {
    @Test func refusesPastTheBudgetWithoutChangingState() {
        var gate = AdmissionGate(maxQueuedBytes: 100, highWaterFraction: 0.8, lowWaterFraction: 0.5)
        #expect(gate.admit(bytes: 60) == .accepted)
        #expect(gate.admit(bytes: 41) == .queueFull)
        #expect(gate.queuedBytes == 60)
        #expect(gate.admit(bytes: 40) == .accepted)
        #expect(gate.queuedBytes == 100)
        #expect(gate.precheck() == .queueFull)
        #expect(gate.admit(bytes: 1) == .queueFull)
        gate.release(bytes: 100)
        #expect(gate.queuedBytes == 0)
        #expect(gate.precheck() == .accepted)
    }

    @Test func admitsAnOversizedBatchOnlyIntoAnEmptyQueue() {
        var gate = AdmissionGate(maxQueuedBytes: 100, highWaterFraction: 0.8, lowWaterFraction: 0.5)
        #expect(gate.admit(bytes: 500) == .accepted)
        #expect(gate.admit(bytes: 1) == .queueFull)
        gate.release(bytes: 500)
        #expect(gate.admit(bytes: 10) == .accepted)
        #expect(gate.admit(bytes: 500) == .queueFull)
    }

    @Test func saturationHasHysteresis() {
        var gate = AdmissionGate(maxQueuedBytes: 100, highWaterFraction: 0.8, lowWaterFraction: 0.5)
        #expect(gate.highWaterBytes == 80 && gate.lowWaterBytes == 50)
        _ = gate.admit(bytes: 79)
        #expect(!gate.isSaturated)
        _ = gate.admit(bytes: 1)
        #expect(gate.isSaturated, "at the high-water mark")
        gate.release(bytes: 30)
        #expect(gate.queuedBytes == 50)
        #expect(gate.isSaturated, "between the marks it stays saturated")
        gate.release(bytes: 1)
        #expect(!gate.isSaturated, "below the low-water mark")
        _ = gate.admit(bytes: 20)
        #expect(gate.queuedBytes == 69)
        #expect(!gate.isSaturated, "rising between the marks does not saturate")
    }

    @Test func stopRefusesEverything() {
        var gate = AdmissionGate(maxQueuedBytes: 100, highWaterFraction: 0.8, lowWaterFraction: 0.5)
        gate.stop()
        #expect(gate.precheck() == .stopped)
        #expect(gate.admit(bytes: 1) == .stopped)
    }
}
