import Contract

/// The features table's columns, numbered as first met. A window names hundreds of columns after its
/// services; each name is made once, when first met, and found again by the parts it is made of
/// (making and hashing every name anew in every window was a sixth of mimir-features' time).
final class FeatureColumnIndex {
    /// How a column's name is made from one or two services (or is fixed).
    enum Template: Hashable {
        case reciprocity, edgeVariation, bytes, harmonicCentrality, currentFlowVariation, newPeers
        case destinationPorts, fanOut, failedConnections
        /// A name of its own (`a` is the name).
        case named

        func name(_ a: String, _ b: String) -> String {
            switch self {
            case .reciprocity: "\(a)_to_\(b)_reciprocity"
            case .edgeVariation: "\(a)_to_\(b)_edge_coef_of_var"
            case .bytes: FeatureColumns.bytes(a, b)
            case .harmonicCentrality: "class_harmonic_centrality_" + a
            case .currentFlowVariation: "pods_cfbc_sub_coef_of_var_" + a
            case .newPeers: "new_peers_" + a
            case .destinationPorts: "distinct_dst_ports_" + a
            case .fanOut: "fanout_" + a
            case .failedConnections: "failed_connections_" + a
            case .named: a
            }
        }
    }

    private struct Key: Hashable {
        let template: Template
        let a: String, b: String
    }

    private(set) var names: [String] = []
    private var byName: [String: Int] = [:]
    private var byKey: [Key: Int] = [:]

    /// The column of a name made by `template` (two keys that make the same name share its column).
    func column(_ template: Template, _ a: String, _ b: String = "") -> Int {
        let key = Key(template: template, a: a, b: b)
        if let column = byKey[key] { return column }
        let name = template.name(a, b)
        let column = byName[name] ?? names.count
        if column == names.count {
            names.append(name)
            byName[name] = column
        }
        byKey[key] = column
        return column
    }

    func column(named name: String) -> Int { column(.named, name) }
}

/// One window's features by column (`FeatureColumnIndex`): a value where the window has one.
struct FeatureRow {
    private(set) var values: [Double] = []
    private var present: [Bool] = []

    init(capacity: Int) {
        values.reserveCapacity(capacity)
        present.reserveCapacity(capacity)
    }

    mutating func set(_ column: Int, _ value: Double) {
        if column >= values.count {
            values += repeatElement(.nan, count: column + 1 - values.count)
            present += repeatElement(false, count: column + 1 - present.count)
        }
        values[column] = value
        present[column] = true
    }

    /// Sets the value unless the window has one already.
    mutating func add(_ column: Int, _ value: Double) {
        if !has(column) { set(column, value) }
    }

    func has(_ column: Int) -> Bool { column < present.count && present[column] }

    func value(_ column: Int) -> Double? { has(column) ? values[column] : nil }
}
