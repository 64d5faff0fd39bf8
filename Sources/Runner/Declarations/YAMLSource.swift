import Foundation
import Yams

/// A YAML file read for declarations: every error names the file and the line of the node at fault.
struct YAMLSource {
    let file: String
    let root: Node

    init(file: String) throws {
        self.file = file
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw RunnerError.declaration(file: file, line: nil, message: "cannot read the file")
        }
        do {
            guard let root = try Yams.compose(yaml: text) else {
                throw RunnerError.declaration(file: file, line: nil, message: "the file is empty")
            }
            self.root = root
        } catch let error as YamlError {
            throw RunnerError.declaration(file: file, line: Self.line(of: error), message: "not valid YAML: \(error)")
        }
    }

    func error(_ node: Node?, _ message: String) -> RunnerError {
        .declaration(file: file, line: node?.mark?.line, message: message)
    }

    /// The entries of a mapping, in file order, with string keys.
    func mapping(_ node: Node, _ what: String) throws -> [(key: String, keyNode: Node, value: Node)] {
        guard let mapping = node.mapping else { throw error(node, "\(what) must be a mapping") }
        return try mapping.map { key, value in
            guard let name = key.scalar?.string else { throw error(key, "a key of \(what) must be a plain name") }
            return (name, key, value)
        }
    }

    /// The entries of an optional mapping (none when absent).
    func mapping(_ node: Node?, _ what: String) throws -> [(key: String, keyNode: Node, value: Node)] {
        guard let node else { return [] }
        return try mapping(node, what)
    }

    /// The entries of a mapping as a dictionary, refusing keys not in `allowed`.
    func fields(_ node: Node, _ what: String, allowed: Set<String>) throws -> [String: Node] {
        var fields: [String: Node] = [:]
        for (key, keyNode, value) in try mapping(node, what) {
            guard allowed.contains(key) else {
                throw error(keyNode, "unknown field '\(key)' in \(what) (known: \(allowed.sorted().joined(separator: ", ")))")
            }
            guard fields.updateValue(value, forKey: key) == nil else { throw error(keyNode, "'\(key)' appears twice in \(what)") }
        }
        return fields
    }

    func string(_ node: Node, _ what: String) throws -> String {
        guard let scalar = node.scalar else { throw error(node, "\(what) must be a single value") }
        return scalar.string
    }

    func bool(_ node: Node, _ what: String) throws -> Bool {
        switch try string(node, what) {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(node, "\(what) must be true or false")
        }
    }

    /// A scalar or a sequence of scalars.
    func strings(_ node: Node, _ what: String) throws -> [String] {
        if let sequence = node.sequence { return try sequence.map { try string($0, what) } }
        return [try string(node, what)]
    }

    func required(_ fields: [String: Node], _ name: String, in what: String, at node: Node) throws -> Node {
        guard let value = fields[name] else { throw error(node, "\(what) needs '\(name)'") }
        return value
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case let .scanner(_, _, mark, _), let .parser(_, _, mark, _), let .composer(_, _, mark, _): mark.line
        default: nil
        }
    }
}
