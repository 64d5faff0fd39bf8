import Testing
import TestSupport
@testable import Sim

/// `--mix`: the users' request mix of a model changed by task name, with clear errors.
@Suite struct TaskMixTests {
    static func sockShop() throws -> AppModel { try AppModel.read(path: CrossCheck.packageRoot + "/pipelines/apps/sockshop.yaml") }

    @Test func mix_setsTheNamedTasksShares_andKeepsTheOthers() throws {
        let model = try Self.sockShop()
        #expect(model.tasks.map(\.weight) == [0.5, 0.3, 0.2])
        #expect(try model.withTaskMix([("browse", 0.2), ("register", 0.5)]).tasks.map(\.weight) == [0.2, 0.3, 0.5])
        #expect(try model.withTaskMix([("buy", 0)]).tasks.map(\.weight) == [0.5, 0, 0.2])
    }

    @Test func mix_refusesUnknownTasksNegativeSharesAndNothingLeft() throws {
        let model = try Self.sockShop()
        for (mix, message) in [([("brows", 1.0)], "--mix: sockshop has no task 'brows' (tasks: browse, buy, register)"),
                               ([("buy", -1.0)], "--mix: the share of 'buy' must be 0 or more"),
                               ([("browse", 0.0), ("buy", 0), ("register", 0)], "--mix leaves no task with a share above 0")] {
            let error = #expect(throws: ModelError.self) { try model.withTaskMix(mix) }
            #expect(error?.description == message)
        }
    }
}
