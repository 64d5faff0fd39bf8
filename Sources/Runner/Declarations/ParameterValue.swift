import Table

/// The types a stage parameter can have.
public enum ParameterType: String, Sendable {
    case int, number, string, bool

    var article: String { self == .int ? "an" : "a" }
}

/// A parameter's value, typed as its declaration says.
public enum ParameterValue: Sendable, Equatable {
    case int(Int64)
    case number(Double)
    case string(String)
    case bool(Bool)

    /// Parses YAML scalar text as `type`; nil when it is not one.
    public init?(text: String, type: ParameterType) {
        switch type {
        case .int: guard let value = Int64(text) else { return nil }; self = .int(value)
        case .number: guard let value = Double(text), value.isFinite else { return nil }; self = .number(value)
        case .string: self = .string(text)
        case .bool:
            switch text {
            case "true", "yes", "on": self = .bool(true)
            case "false", "no", "off": self = .bool(false)
            default: return nil
            }
        }
    }

    /// The value in the key's canonical JSON.
    var json: JSONValue {
        switch self {
        case let .int(value): .int(value)
        case let .number(value): .double(value)
        case let .string(value): .string(value)
        case let .bool(value): .bool(value)
        }
    }

    /// The value as a command-line argument (`0.1`, `10`, not `10.0`).
    public var argument: String {
        switch self {
        case let .int(value): String(value)
        case let .number(value): value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
        case let .string(value): value
        case let .bool(value): value ? "true" : "false"
        }
    }
}
