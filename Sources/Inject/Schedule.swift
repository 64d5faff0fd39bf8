import Seeded

/// How much of a capture is attacked, and when (mimir-method.md, sections 5.2 and 5.3).
public struct ScheduleParameters: Sendable {
    /// The share of the capture used for training (the rest is the test period).
    public var trainFraction: Double
    /// The shares of the training and test periods that are under attack.
    public var trainAttackFraction: Double
    public var testAttackFraction: Double
    /// The length of one synthetic attack, seconds (one window of the longest length in the original).
    public var attackSeconds: Int
    /// Seconds kept free after each attack for its delayed hops (`InjectionOptions.hopDelay`).
    public var trailingSeconds: Int

    public init(trainFraction: Double = 0.5, trainAttackFraction: Double = 0.5, testAttackFraction: Double = 0.5, attackSeconds: Int = 60,
                trailingSeconds: Int = 0) {
        self.trainFraction = trainFraction
        self.trainAttackFraction = trainAttackFraction
        self.testAttackFraction = testAttackFraction
        self.attackSeconds = attackSeconds
        self.trailingSeconds = trailingSeconds
    }

    /// Seconds one attack occupies: its own and its delayed hops'.
    var reservedSeconds: Int { attackSeconds + trailingSeconds }
}

/// The attack schedule: which windows of the longest length carry which path. Drawn from the seed
/// alone, so every rate of an experiment attacks the same windows along the same paths.
public struct AttackSchedule: Sendable {
    public struct Attack: Sendable {
        /// Windows of the longest length, [first, end).
        public var windows: Range<Int64>
        public var path: Int
        public var isTest: Bool
    }

    public var attacks: [Attack] = []
    /// Seconds from the capture's start where the test period begins.
    public var endOfTraining: Double
    public var trainInjections: Int
    public var testInjections: Int

    /// - Parameters:
    ///   - length: the capture's length in seconds.
    ///   - longest: the longest window length, seconds.
    ///   - realEvents: [start, end) seconds of the ground truth's events; their windows are not used.
    ///   - pathCount: how many paths the schedule may use at most (it uses all it can share out).
    /// The budget (section 5.2): where training ends, how many attacks each period has room for, and
    /// so how many paths can share them (the smaller count, or the non-zero one).
    public struct Budget: Sendable {
        public var endOfTraining: Double
        public var trainAttacks: Int
        public var testAttacks: Int

        public init(length: Double, realEvents: [(start: Double, end: Double)], parameters: ScheduleParameters) {
            let firstEvent = realEvents.map(\.start).min() ?? length
            endOfTraining = min(length * parameters.trainFraction, firstEvent)
            let realSeconds = realEvents.reduce(0) { $0 + ($1.end - $1.start) }
            let testTime = max(0, (length - endOfTraining) * parameters.testAttackFraction - realSeconds)
            trainAttacks = Int(endOfTraining * parameters.trainAttackFraction / Double(parameters.reservedSeconds))
            testAttacks = Int(testTime / Double(parameters.reservedSeconds))
        }

        public var maxPaths: Int { trainAttacks == 0 || testAttacks == 0 ? max(trainAttacks, testAttacks) : min(trainAttacks, testAttacks) }
    }

    public init(length: Double, longest: Int, realEvents: [(start: Double, end: Double)], pathCount: Int,
                parameters: ScheduleParameters, random: inout SeededRandom) {
        let budget = Budget(length: length, realEvents: realEvents, parameters: parameters)
        endOfTraining = budget.endOfTraining
        let (trainCount, testCount) = (budget.trainAttacks, budget.testAttacks)
        // Each path gets the same number of attacks in each period.
        let paths = max(1, min(pathCount, budget.maxPaths))
        trainInjections = pathCount == 0 ? 0 : trainCount / paths * paths
        testInjections = pathCount == 0 ? 0 : testCount / paths * paths
        let windowsPerAttack = Int64(max(1, parameters.attackSeconds / longest))
        // Windows an attack keeps from others: its own and those of its delayed hops.
        let span = windowsPerAttack + Int64(parameters.trailingSeconds / longest)
        let windowCount = Int64(length / Double(longest))
        var taken = Set<Int64>()
        for event in realEvents {
            for window in Int64(event.start / Double(longest))..<max(Int64(event.start / Double(longest)) + 1, Int64((event.end / Double(longest)).rounded(.up))) {
                taken.insert(window)
            }
        }
        let split = Int64(endOfTraining / Double(longest))
        var index = 0
        for (phase, count, isTest) in [(0..<split, trainInjections, false), (split..<windowCount, testInjections, true)] {
            var free = Int64(phase.count) - Int64(phase.filter(taken.contains).count)
            var extra = free - Int64(count) * span - 1
            var cursor = phase.lowerBound
            for remaining in stride(from: count, to: 0, by: -1) {
                // A random gap before the attack, spread so that the remaining attacks still fit.
                let gap = extra > 0 ? Int64(random.int(0...Int(min(extra, (extra + Int64(remaining) - 1) / Int64(remaining))))) : 0
                extra -= gap
                cursor += gap
                while cursor < phase.upperBound && (cursor..<(cursor + span)).contains(where: taken.contains) {
                    cursor += 1
                    extra -= 1
                }
                guard cursor + span <= phase.upperBound else { break }
                attacks.append(Attack(windows: cursor..<(cursor + windowsPerAttack), path: index % paths, isTest: isTest))
                for window in cursor..<(cursor + span) { taken.insert(window) }
                cursor += span
                free -= span
                index += 1
            }
        }
    }
}
