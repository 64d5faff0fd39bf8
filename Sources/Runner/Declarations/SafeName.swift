/// The names a pipeline declares become directory names (`artifacts/PIPELINE/STEP/VALUE/`), job names
/// (`STEP@VALUE#SHARD`) and arguments; they are kept to a set that is safe in all three.
enum SafeName {
    static let nameRule = "a name is 1 to 64 of the ASCII letters, digits, '_' and '-', not starting with '-'"
    static let sweepValueRule = "a sweep value is 1 to 64 of the ASCII letters, digits, '_', '-', '+' and '.', not starting with '.'"

    /// A pipeline or step name: no '.', which separates STEP.OUTPUT, nor ':', '@', '#' or '/'.
    static func isName(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count) && text.first != "-" && text.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// A sweep value: numbers such as `0.1`, `-5` and `1e+3` as written, or words.
    static func isSweepValue(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count) && text.first != "."
            && text.utf8.allSatisfy { isAlphanumeric($0) || "_-+.".utf8.contains($0) }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
