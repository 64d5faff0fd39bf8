import Foundation
import Testing

/// A test that needs something outside the package (the Python environment, tshark, Chromium, the
/// built stages): skipped, saying why, when it is missing; but where the environment says every check
/// must run (`MIMIR_REQUIRE_ORACLES=1`, which CI sets), a missing one fails the test instead, so CI
/// cannot pass with an oracle skipped.
extension Trait where Self == ConditionTrait {
    public static func needs(_ available: @autoclosure @escaping @Sendable () -> Bool, _ comment: Comment) -> Self {
        .enabled(comment) {
            if available() { return true }
            if ProcessInfo.processInfo.environment["MIMIR_REQUIRE_ORACLES"] == "1" { throw MissingRequirement(comment: comment) }
            return false
        }
    }
}

/// What a required check lacks.
public struct MissingRequirement: Error, CustomStringConvertible {
    public let comment: Comment

    public var description: String { "MIMIR_REQUIRE_ORACLES=1, but this test \(comment.rawValue); it would have been skipped" }
}
