/// Reads the members of one flat JSON object on a line (a JSON-lines log entry) in place: the raw
/// bytes of each wanted member's value (a string's without its quotes), nested values skipped. Not
/// a general JSON parser: enough to find a log's fields fast, and to refuse what is no object.
enum JSONLine {
    /// Fills `values[i]` with the value of the member named `names[i]` (nil if absent or null);
    /// false if the line is not a JSON object.
    static func scan(_ line: UnsafeRawBufferPointer, names: [[UInt8]], into values: inout [UnsafeRawBufferPointer?]) -> Bool {
        for index in values.indices { values[index] = nil }
        var position = skipSpace(line, 0)
        guard position < line.count, line[position] == UInt8(ascii: "{") else { return false }
        position = skipSpace(line, position + 1)
        if position < line.count, line[position] == UInt8(ascii: "}") { return true }
        while position < line.count {
            guard line[position] == UInt8(ascii: "\""), let keyEnd = stringEnd(line, position) else { return false }
            let key = UnsafeRawBufferPointer(rebasing: line[(position + 1)..<keyEnd])
            position = skipSpace(line, keyEnd + 1)
            guard position < line.count, line[position] == UInt8(ascii: ":") else { return false }
            position = skipSpace(line, position + 1)
            guard position < line.count, let (value, next) = readValue(line, position) else { return false }
            if let value, let slot = names.firstIndex(where: { key.elementsEqual($0) }) { values[slot] = value }
            position = skipSpace(line, next)
            guard position < line.count else { return false }
            if line[position] == UInt8(ascii: "}") { return true }
            guard line[position] == UInt8(ascii: ",") else { return false }
            position = skipSpace(line, position + 1)
        }
        return false
    }

    private static func skipSpace(_ line: UnsafeRawBufferPointer, _ start: Int) -> Int {
        var position = start
        while position < line.count, [0x20, 0x09, 0x0D].contains(line[position]) { position += 1 }
        return position
    }

    /// The index of the quote closing the string that opens at `start`.
    private static func stringEnd(_ line: UnsafeRawBufferPointer, _ start: Int) -> Int? {
        var position = start + 1
        while position < line.count {
            switch line[position] {
            case UInt8(ascii: "\\"): position += 2
            case UInt8(ascii: "\""): return position
            default: position += 1
            }
        }
        return nil
    }

    /// The value at `start` (nil for null and for nested arrays and objects) and where it ends.
    private static func readValue(_ line: UnsafeRawBufferPointer, _ start: Int) -> (UnsafeRawBufferPointer?, Int)? {
        switch line[start] {
        case UInt8(ascii: "\""):
            guard let end = stringEnd(line, start) else { return nil }
            return (UnsafeRawBufferPointer(rebasing: line[(start + 1)..<end]), end + 1)
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            var depth = 0, position = start
            while position < line.count {
                switch line[position] {
                case UInt8(ascii: "\""):
                    guard let end = stringEnd(line, position) else { return nil }
                    position = end
                case UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    depth -= 1
                    if depth == 0 { return (nil, position + 1) }
                default: break
                }
                position += 1
            }
            return nil
        default:
            var end = start
            while end < line.count, ![UInt8(ascii: ","), UInt8(ascii: "}"), 0x20, 0x09].contains(line[end]) { end += 1 }
            guard end > start else { return nil }
            let token = UnsafeRawBufferPointer(rebasing: line[start..<end])
            return (LogValues.equals(token, "null") ? nil : token, end)
        }
    }
}
