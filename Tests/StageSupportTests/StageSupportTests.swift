import Foundation
import StageSupport
import Testing
import TestSupport

@Suite struct StageSupportTests {
    /// The summaries' numbers read as printf's `%.Nf` prints them (golden values from printf itself).
    @Test(arguments: [0.0, 0.004, 0.3, 1.005, 2.25, 9.999, 12.5, 1234.56789, 99_999.996])
    func fixedPoint_printsAsPrintfDoes(value: Double) {
        #expect(fixedPoint(value, decimals: 2) == String(format: "%.2f", value))
        #expect(fixedPoint(value, decimals: 1) == String(format: "%.1f", value))
    }

    @Test func humanCount_scalesByThousands() {
        #expect(humanCount(999) == "999")
        #expect(humanCount(12_345) == "12.3 k")
        #expect(humanCount(1_100_018) == "1.10 M")
        #expect(humanCount(2_500_000_000) == "2.50 G")
    }

    @Test func makeOutputDirectory_createsEveryMissingParentAndAcceptsAnExistingOne() throws {
        let directory = try TemporaryDirectory()
        let nested = directory.file("a/b/c")
        try makeOutputDirectory(nested)
        try makeOutputDirectory(nested)
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: nested, isDirectory: &isDirectory) && isDirectory.boolValue)
    }

    @Test func makeOutputDirectory_refusesAFileInTheWay() throws {
        let directory = try TemporaryDirectory()
        FileManager.default.createFile(atPath: directory.file("taken"), contents: Data())
        #expect(throws: (any Error).self) { try makeOutputDirectory(directory.file("taken")) }
        #expect(throws: (any Error).self) { try makeOutputDirectory(directory.file("taken/below")) }
    }
}
