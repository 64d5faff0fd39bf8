import Capture
import Contract
import Table

/// The per-node captures of `--every-node` and their table.
enum NodeCaptures {
    static func fileName(node: String, format: CaptureFileFormat) -> String {
        NodeCaptureTable.captureName(node: node, fileExtension: format.fileExtension)
    }

    /// Writes `captures.parquet` into `directory`: the nodes in the cluster model's order.
    static func write(nodes: [String], clockSkews: [Int64], format: CaptureFileFormat, directory: String, provenance: Provenance) throws {
        let schema = NodeCaptureTable.schema
        let writer = try TableWriter(path: directory + "/" + NodeCaptureTable.fileName, schema: schema, metadata: provenance.keyValues)
        try writer.write(TableBatch(schema: schema, columns: [
            ColumnArray(nodes.indices.map { Int32($0) }), ColumnArray(nodes), ColumnArray(nodes.map { fileName(node: $0, format: format) }),
            ColumnArray(clockSkews),
        ]))
        try writer.close()
    }
}
