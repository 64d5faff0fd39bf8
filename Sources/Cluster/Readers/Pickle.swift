import Foundation
import SystemSupport

/// A value of the Python pickles the original project wrote: its cluster creation log is a
/// `dict[int, dict[str, tuple]]` pickled by Python 2 (protocol 0; protocol 2 with `-p 2`).
public indirect enum PickleValue: Hashable, Sendable {
    case none
    case bool(Bool)
    case int(Int64)
    case float(Double)
    /// Python 2 `str` (bytes) and `unicode`, and Python 3 `str`, all as text (Latin-1 for bytes, as
    /// Python 3 loads Python 2 pickles with `encoding='latin1'`).
    case string(String)
    case tuple([PickleValue])
    case list([PickleValue])
    /// Items in the order the pickle set them.
    case dict([(key: PickleValue, value: PickleValue)])

    public static func == (a: PickleValue, b: PickleValue) -> Bool {
        switch (a, b) {
        case (.none, .none): true
        case let (.bool(x), .bool(y)): x == y
        case let (.int(x), .int(y)): x == y
        case let (.float(x), .float(y)): x == y
        case let (.string(x), .string(y)): x == y
        case let (.tuple(x), .tuple(y)), let (.list(x), .list(y)): x == y
        case let (.dict(x), .dict(y)): x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .none: hasher.combine(0)
        case let .bool(value): hasher.combine(value)
        case let .int(value): hasher.combine(value)
        case let .float(value): hasher.combine(value)
        case let .string(value): hasher.combine(value)
        case let .tuple(values), let .list(values): hasher.combine(values)
        case let .dict(items): hasher.combine(items.count)
        }
    }
}

/// A pickle that cannot be read: where, and what was wrong.
public struct PickleError: Error, CustomStringConvertible {
    public let path: String
    public let offset: Int
    public let detail: String
    public var description: String { "\(path): byte offset \(offset): \(detail)" }
}

/// Reads the subset of the pickle format (protocols 0 to 2) that plain data uses: None, booleans,
/// integers, floats, strings, tuples, lists and dicts, with the memo. Objects, classes and any
/// opcode that would call code are refused, never executed.
public struct PickleReader {
    private let bytes: [UInt8]
    private let path: String
    private var position = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    /// Bounds what a hostile file can make the reader build.
    private static let maxContainerItems = 50_000_000

    public init(bytes: [UInt8], path: String) {
        self.bytes = bytes
        self.path = path
    }

    public static func read(path: String) throws -> PickleValue {
        var reader = PickleReader(bytes: try PositionedInputFile.contents(of: path), path: path)
        return try reader.load()
    }

    private func fail(_ detail: String, at offset: Int? = nil) -> PickleError {
        PickleError(path: path, offset: offset ?? max(0, position - 1), detail: detail)
    }

    public mutating func load() throws -> PickleValue {
        while position < bytes.count {
            let opcodeOffset = position
            let opcode = bytes[position]
            position += 1
            switch opcode {
            case 0x80:  // PROTO
                let version = try takeByte()
                guard version <= 2 else { throw fail("pickle protocol \(version); this reader reads protocols 0 to 2") }
            case UInt8(ascii: "."):  // STOP
                guard let value = stack.popLast(), stack.isEmpty else { throw fail("the pickle ends with \(stack.count) values on its stack, expected 1") }
                return value
            case UInt8(ascii: "("): marks.append(stack.count)
            case UInt8(ascii: "N"): stack.append(.none)
            case 0x88: stack.append(.bool(true))
            case 0x89: stack.append(.bool(false))
            case UInt8(ascii: "I"):  // INT: decimal line; "01" and "00" are True and False
                let line = try readLine()
                if line == "01" { stack.append(.bool(true)) } else if line == "00" { stack.append(.bool(false)) } else {
                    guard let value = Int64(line) else { throw fail("INT '\(line)' is not an integer", at: opcodeOffset) }
                    stack.append(.int(value))
                }
            case UInt8(ascii: "L"):  // LONG: decimal line ending in L
                let line = try readLine()
                guard let value = Int64(line.hasSuffix("L") ? String(line.dropLast()) : line) else {
                    throw fail("LONG '\(line)' is not an integer that fits 64 bits", at: opcodeOffset)
                }
                stack.append(.int(value))
            case UInt8(ascii: "J"): stack.append(.int(Int64(Int32(bitPattern: try littleEndian(4)))))
            case UInt8(ascii: "K"): stack.append(.int(Int64(try takeByte())))
            case UInt8(ascii: "M"): stack.append(.int(Int64(try littleEndian(2))))
            case 0x8A:  // LONG1: a little-endian two's complement integer of n bytes
                let count = Int(try takeByte())
                guard count <= 8 else { throw fail("LONG1 of \(count) bytes does not fit 64 bits", at: opcodeOffset) }
                let digits = try take(count)
                var value: UInt64 = 0
                for (index, byte) in digits.enumerated() { value |= UInt64(byte) << (8 * UInt64(index)) }
                if count > 0 && count < 8, let top = digits.last, top & 0x80 != 0 { value |= ~0 << (8 * UInt64(count)) }
                stack.append(.int(Int64(bitPattern: value)))
            case UInt8(ascii: "F"):
                let line = try readLine()
                guard let value = Double(line) else { throw fail("FLOAT '\(line)' is not a number", at: opcodeOffset) }
                stack.append(.float(value))
            case UInt8(ascii: "G"):
                let raw = try take(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                stack.append(.float(Double(bitPattern: raw)))
            case UInt8(ascii: "S"): stack.append(.string(try unquote(try readLine(), at: opcodeOffset)))
            case UInt8(ascii: "T"): stack.append(.string(latin1(try take(Int(try littleEndian(4))))))
            case UInt8(ascii: "U"): stack.append(.string(latin1(try take(Int(try takeByte())))))
            case UInt8(ascii: "V"): stack.append(.string(try rawUnicodeEscape(try readLineBytes(), at: opcodeOffset)))
            case UInt8(ascii: "X"):
                let data = try take(Int(try littleEndian(4)))
                guard let text = String(validating: data, as: UTF8.self) else { throw fail("BINUNICODE holds bytes that are not UTF-8", at: opcodeOffset) }
                stack.append(.string(text))
            case UInt8(ascii: ")"): stack.append(.tuple([]))
            case UInt8(ascii: "]"): stack.append(.list([]))
            case UInt8(ascii: "}"): stack.append(.dict([]))
            case UInt8(ascii: "t"): stack.append(.tuple(try popMark()))
            case UInt8(ascii: "l"): stack.append(.list(try popMark()))
            case UInt8(ascii: "d"): stack.append(.dict(try pairs(try popMark())))
            case 0x85, 0x86, 0x87:
                let count = Int(opcode - 0x84)
                guard stack.count >= count else { throw fail("TUPLE\(count) needs \(count) values on the stack") }
                stack.append(.tuple(Array(stack.suffix(count))))
                stack.removeSubrange((stack.count - count - 1)..<(stack.count - 1))
            case UInt8(ascii: "a"):
                guard let value = stack.popLast() else { throw fail("APPEND on an empty stack") }
                try extendList(with: [value])
            case UInt8(ascii: "e"): try extendList(with: try popMark())
            case UInt8(ascii: "s"):
                guard stack.count >= 3 else { throw fail("SETITEM needs a dict, a key and a value") }
                let value = stack.removeLast(), key = stack.removeLast()
                try extendDict(with: [(key, value)])
            case UInt8(ascii: "u"): try extendDict(with: try pairs(try popMark()))
            case UInt8(ascii: "p"):
                guard let index = Int(try readLine()) else { throw fail("PUT needs a decimal index", at: opcodeOffset) }
                try put(index)
            case UInt8(ascii: "q"): try put(Int(try takeByte()))
            case UInt8(ascii: "r"): try put(Int(try littleEndian(4)))
            case UInt8(ascii: "g"):
                guard let index = Int(try readLine()) else { throw fail("GET needs a decimal index", at: opcodeOffset) }
                try get(index, at: opcodeOffset)
            case UInt8(ascii: "h"): try get(Int(try takeByte()), at: opcodeOffset)
            case UInt8(ascii: "j"): try get(Int(try littleEndian(4)), at: opcodeOffset)
            case UInt8(ascii: "0"): guard stack.popLast() != nil else { throw fail("POP on an empty stack") }
            case UInt8(ascii: "2"): guard let top = stack.last else { throw fail("DUP on an empty stack") }; stack.append(top)
            case UInt8(ascii: "c"), UInt8(ascii: "R"), UInt8(ascii: "b"), UInt8(ascii: "i"), UInt8(ascii: "o"), 0x81:
                throw fail("opcode '\(Character(Unicode.Scalar(opcode)))' builds objects or calls code; only plain data (dicts, tuples, strings, numbers) is read",
                           at: opcodeOffset)
            default:
                throw fail(String(format: "unknown pickle opcode 0x%02x", opcode), at: opcodeOffset)
            }
        }
        throw fail("the pickle ends without its STOP opcode", at: bytes.count)
    }

    private mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, bytes.count - position >= count else {
            throw fail("a field needs \(count) bytes, the file has \(bytes.count - position) left", at: position)
        }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    private mutating func takeByte() throws -> UInt8 {
        try take(1).first!
    }

    private mutating func littleEndian(_ count: Int) throws -> UInt32 {
        try take(count).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    private mutating func readLineBytes() throws -> ArraySlice<UInt8> {
        guard let end = bytes[position...].firstIndex(of: 0x0A) else { throw fail("a text field has no end of line", at: position) }
        defer { position = end + 1 }
        return bytes[position..<end]
    }

    private mutating func readLine() throws -> String { latin1(try readLineBytes()) }

    private func latin1(_ data: ArraySlice<UInt8>) -> String {
        String(String.UnicodeScalarView(data.map { Unicode.Scalar($0) }))
    }

    private mutating func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast(), mark <= stack.count else { throw fail("no MARK for this opcode") }
        defer { stack.removeSubrange(mark...) }
        return Array(stack[mark...])
    }

    private func pairs(_ values: [PickleValue]) throws -> [(key: PickleValue, value: PickleValue)] {
        guard values.count % 2 == 0 else { throw fail("a dict needs keys and values in pairs, found \(values.count) items") }
        return stride(from: 0, to: values.count, by: 2).map { (values[$0], values[$0 + 1]) }
    }

    private mutating func extendList(with values: [PickleValue]) throws {
        guard case var .list(items) = stack.popLast() else { throw fail("APPEND needs a list") }
        guard items.count + values.count <= Self.maxContainerItems else { throw fail("a list grows beyond \(Self.maxContainerItems) items") }
        items += values
        stack.append(.list(items))
    }

    private mutating func extendDict(with values: [(key: PickleValue, value: PickleValue)]) throws {
        guard case var .dict(items) = stack.popLast() else { throw fail("SETITEM needs a dict") }
        guard items.count + values.count <= Self.maxContainerItems else { throw fail("a dict grows beyond \(Self.maxContainerItems) items") }
        // Pickled dicts never repeat a key; should a crafted one, the later item wins where it is read.
        items += values
        stack.append(.dict(items))
    }

    private mutating func put(_ index: Int) throws {
        guard let top = stack.last else { throw fail("PUT on an empty stack") }
        memo[index] = top
    }

    private mutating func get(_ index: Int, at offset: Int) throws {
        guard let value = memo[index] else { throw fail("GET of memo entry \(index), which was never set", at: offset) }
        stack.append(value)
    }

    /// Python 2's repr of a str: quoted with ' or ", with backslash escapes.
    private func unquote(_ text: String, at offset: Int) throws -> String {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count >= 2, let quote = scalars.first, quote == "'" || quote == "\"", scalars.last == quote else {
            throw fail("STRING \(text.prefix(40)) is not quoted", at: offset)
        }
        var result = String.UnicodeScalarView()
        var index = 1
        let end = scalars.count - 1
        while index < end {
            let scalar = scalars[index]
            index += 1
            guard scalar == "\\" else { result.append(scalar); continue }
            guard index < end else { throw fail("STRING ends inside an escape", at: offset) }
            let escaped = scalars[index]
            index += 1
            switch escaped {
            case "n": result.append("\n")
            case "t": result.append("\t")
            case "r": result.append("\r")
            case "\\", "'", "\"": result.append(escaped)
            case "x":
                guard index + 2 <= end, let value = UInt8(String(String.UnicodeScalarView(scalars[index..<(index + 2)])), radix: 16) else {
                    throw fail("STRING has a bad \\x escape", at: offset)
                }
                result.append(Unicode.Scalar(value))
                index += 2
            default:
                throw fail("STRING has an escape \\\(escaped) this reader does not know", at: offset)
            }
        }
        return String(result)
    }

    /// Python's raw-unicode-escape: bytes as Latin-1, except \uXXXX and \UXXXXXXXX.
    private func rawUnicodeEscape(_ data: ArraySlice<UInt8>, at offset: Int) throws -> String {
        var result = String.UnicodeScalarView()
        var index = data.startIndex
        while index < data.endIndex {
            let byte = data[index]
            if byte == UInt8(ascii: "\\"), index + 1 < data.endIndex, data[index + 1] == UInt8(ascii: "u") || data[index + 1] == UInt8(ascii: "U") {
                let digits = data[index + 1] == UInt8(ascii: "u") ? 4 : 8
                guard index + 2 + digits <= data.endIndex,
                      let value = UInt32(latin1(data[(index + 2)..<(index + 2 + digits)]), radix: 16), let scalar = Unicode.Scalar(value) else {
                    throw fail("UNICODE has a bad \\u escape", at: offset)
                }
                result.append(scalar)
                index += 2 + digits
            } else {
                result.append(Unicode.Scalar(byte))
                index += 1
            }
        }
        return String(result)
    }
}
