/// Merges captures in time order, as `mergecap -w` does: each step writes the earliest of the inputs'
/// next packets, the last input's on a tie (mergecap takes a time at or before the earliest so far),
/// so packets out of order within an input stay in its order. Inputs are read ahead on their own
/// threads (`PacketQueue`); memory is bounded by a few chunks per input. With a node rule per input
/// (each input one node's capture of a cluster), the copies the rule does not count are left out, so
/// the merged file holds every packet of the cluster once per copy one capture of it would show.
public struct CaptureMerge: Sendable {
    public var format: CaptureFileFormat
    /// Per input, the node rule that picks its copies; empty or nil keeps every packet.
    public var nodeRules: [NodeCopyRule?]

    public init(format: CaptureFileFormat = .pcapng, nodeRules: [NodeCopyRule?] = []) {
        self.format = format
        self.nodeRules = nodeRules
    }

    public struct Report: Sendable {
        /// Packets written, and per input the packets it gave.
        public var packets = 0
        public var perInput: [Int] = []
        /// Per input, the copies its node rule left out.
        public var leftOut: [Int] = []
        /// Inputs that ended early, with where: their whole packets were merged.
        public var truncations: [(path: String, truncation: Truncation)] = []
        public var warnings: [String] = []
    }

    /// Merges `inputs` into `output`; `progress` hears the packets written so far.
    public func run(inputs: [String], output: String, progress: (Int) -> Void = { _ in }) throws -> Report {
        let readers = try inputs.map { try CaptureReader(path: $0) }
        let writer = try MergedCaptureWriter(path: output, format: format)
        let queues = readers.map { PacketQueue(reading: $0) }
        defer { queues.forEach { $0.cancel() } }
        var chunks: [PacketQueue.Chunk?] = try queues.map { try $0.next() }
        var positions = [Int](repeating: 0, count: inputs.count)
        var report = Report(perInput: [Int](repeating: 0, count: inputs.count), leftOut: [Int](repeating: 0, count: inputs.count))
        let dissector = Dissector()
        var summary = PacketSummary()
        while true {
            var earliest: Int?
            for input in inputs.indices {
                guard let chunk = chunks[input] else { continue }
                if let best = earliest, chunks[best]!.timestamps[positions[best]] < chunk.timestamps[positions[input]] { continue }
                earliest = input
            }
            guard let input = earliest, let chunk = chunks[input] else { break }
            let position = positions[input]
            let data = chunk.bytes[chunk.offsets[position]..<chunk.offsets[position + 1]]
            let counted = nodeRules.indices.contains(input) && nodeRules[input] != nil ? data.withUnsafeBytes { bytes in
                // Only IP copies are the rule's to leave out; other frames (ARP) are kept.
                guard dissector.dissect(bytes, originalLength: chunk.originalLengths[position], linkType: chunk.linkTypes[position],
                                        into: &summary) == .ip else { return true }
                return nodeRules[input]!.verdict(summary) == .counts
            } : true
            if counted {
                try writer.append(timestamp: chunk.timestamps[position], linkType: chunk.linkTypes[position],
                                  originalLength: chunk.originalLengths[position], data: data, source: inputs[input])
                report.packets += 1
                report.perInput[input] += 1
                if report.packets & 0xFFFF == 0 { progress(report.packets) }
            } else {
                report.leftOut[input] += 1
            }
            positions[input] += 1
            if positions[input] == chunk.count {
                chunks[input] = try queues[input].next()
                positions[input] = 0
            }
        }
        try writer.finish()
        for (path, reader) in zip(inputs, readers) {
            if let truncation = reader.truncation { report.truncations.append((path, truncation)) }
            report.warnings += reader.warnings.map { "\(path): \($0)" }
        }
        return report
    }
}
