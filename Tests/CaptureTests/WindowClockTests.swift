import Testing
@testable import Capture
import Contract

@Suite struct WindowClockTests {
    @Test func index_floorsTowardThePast() {
        let clock = WindowClock(origin: 100_000_000_000, lengths: [60, 10])
        #expect(clock.lengths == [10, 60])
        #expect(clock.index(of: 100_000_000_000, length: 10) == 0)
        #expect(clock.index(of: 109_999_999_999, length: 10) == 0)
        #expect(clock.index(of: 110_000_000_000, length: 10) == 1)
        #expect(clock.index(of: 99_999_999_999, length: 10) == -1)
        #expect(clock.start(ofWindow: -1, length: 10) == 90_000_000_000)
    }

    @Test func alignedOrigin_isTheEpochMultipleAtOrBefore() {
        #expect(WindowClock.origin(firstPacket: 1_764_400_123_500_000_000, alignedTo: 60) == 1_764_400_080_000_000_000)
        #expect(WindowClock.origin(firstPacket: 1_764_400_123_500_000_000, alignedTo: nil) == 1_764_400_123_500_000_000)
    }

    @Test func epochSeconds_parseAndFormatExactly() {
        #expect(EpochSeconds.parse("1764400000.25") == 1_764_400_000_250_000_000)
        #expect(EpochSeconds.parse("1764400000") == 1_764_400_000_000_000_000)
        #expect(EpochSeconds.parse("1764400000.000000001") == 1_764_400_000_000_000_001)
        #expect(EpochSeconds.parse("-1.5") == -1_500_000_000)
        #expect(EpochSeconds.parse("1.0000000001") == nil)
        #expect(EpochSeconds.parse("abc") == nil)
        #expect(EpochSeconds.parse("1e9") == nil)
        #expect(EpochSeconds.format(1_764_400_000_250_000_000) == "1764400000.250000000")
        #expect(EpochSeconds.format(-1_500_000_000) == "-2.500000000")
    }
}
