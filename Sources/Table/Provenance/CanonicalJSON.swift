/// A JSON value with one canonical text form: object keys sorted by their UTF-8 bytes, no white
/// space, integers without a fraction, doubles in Swift's shortest round-trip form. Parameters are
/// written this way into tables' metadata and into the runner's keys, so equal parameters always
/// give equal bytes.
public indirect enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    /// A finite double; NaN and infinities have no JSON form.
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// This object with `key` set to `value` (a value that is not an object is returned unchanged).
    public func adding(_ key: String, _ value: JSONValue) -> JSONValue {
        guard case var .object(members) = self else { return self }
        members[key] = value
        return .object(members)
    }

    /// The canonical text.
    /// - Throws: `TableError.invalidInput` for a NaN or infinite double.
    public func canonicalText() throws -> String {
        var output = ""
        try write(into: &output)
        return output
    }

    private func write(into output: inout String) throws {
        switch self {
        case .null: output += "null"
        case let .bool(value): output += value ? "true" : "false"
        case let .int(value): output += String(value)
        case let .double(value):
            guard value.isFinite else { throw TableError.invalidInput("\(value) has no JSON form") }
            if value == value.rounded(), abs(value) < 1e15 {
                output += String(Int64(value)) + ".0"  // keep doubles distinguishable from integers
            } else {
                output += "\(value)"
            }
        case let .string(value): Self.writeString(value, into: &output)
        case let .array(values):
            output += "["
            for (index, value) in values.enumerated() {
                if index > 0 { output += "," }
                try value.write(into: &output)
            }
            output += "]"
        case let .object(members):
            output += "{"
            for (index, key) in members.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if index > 0 { output += "," }
                Self.writeString(key, into: &output)
                output += ":"
                try members[key]!.write(into: &output)
            }
            output += "}"
        }
    }

    private static func writeString(_ value: String, into output: inout String) {
        output += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
