import Foundation
import Testing
import TestSupport

/// The layers docs/development.md draws: every `import` of a Mimir module in Sources must be one
/// its target's line in the `layers` block allows.
@Suite struct LayerGraphTests {
    static let root = CrossCheck.packageRoot

    /// Target (or `mimir-*` for every stage executable) -> the Mimir modules it may import.
    static func allowedLayers() throws -> [String: Set<String>] {
        let text = try String(contentsOfFile: root + "/docs/development.md", encoding: .utf8)
        guard let start = text.range(of: "```layers\n"), let end = text.range(of: "```", range: start.upperBound..<text.endIndex) else {
            throw LayerError(description: "docs/development.md has no ```layers block")
        }
        var layers: [String: Set<String>] = [:]
        for line in text[start.upperBound..<end.lowerBound].split(separator: "\n") {
            let sides = line.components(separatedBy: "->")
            guard sides.count == 2 else { throw LayerError(description: "not 'Target -> A, B': \(line)") }
            let allowed = sides[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            layers[sides[0].trimmingCharacters(in: .whitespaces)] = Set(allowed)
        }
        return layers
    }

    @Test func everyImportFollowsTheLayerGraph() throws {
        let layers = try Self.allowedLayers()
        let mimirModules = Set(layers.keys.filter { !$0.hasPrefix("mimir") })
        let targets = try FileManager.default.contentsOfDirectory(atPath: Self.root + "/Sources").filter { !$0.hasPrefix("C") && !$0.hasPrefix(".") }
        #expect(targets.count >= 20)
        for target in targets.sorted() {
            let allowed = layers[target] ?? (target.hasPrefix("mimir-") ? layers["mimir-*"] : nil)
            guard let allowed else {
                Issue.record("Sources/\(target) has no line in docs/development.md's layers block")
                continue
            }
            for (file, module) in try Self.imports(of: target) where mimirModules.contains(module) || module.hasPrefix("mimir") {
                #expect(allowed.contains(module), "\(file) imports \(module), which docs/development.md does not allow \(target)")
            }
        }
    }

    /// The layers point one way: no module may reach a module that reaches it.
    @Test func theLayerGraphHasNoCycle() throws {
        let layers = try Self.allowedLayers().filter { !$0.key.hasPrefix("mimir") }
        func reaches(_ from: String, _ to: String, _ seen: inout Set<String>) -> Bool {
            for next in layers[from] ?? [] where seen.insert(next).inserted {
                if next == to || reaches(next, to, &seen) { return true }
            }
            return false
        }
        for module in layers.keys {
            var seen = Set<String>()
            #expect(!reaches(module, module, &seen), "\(module) reaches itself through the layers")
        }
    }

    static func imports(of target: String) throws -> [(file: String, module: String)] {
        let directory = root + "/Sources/" + target
        guard let files = FileManager.default.enumerator(atPath: directory) else { return [] }
        var result: [(String, String)] = []
        for case let file as String in files where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("import ") || line.hasPrefix("@testable import ") {
                if let module = line.split(separator: " ").last { result.append(("Sources/\(target)/\(file)", String(module))) }
            }
        }
        return result
    }
}

struct LayerError: Error, CustomStringConvertible {
    let description: String
}
