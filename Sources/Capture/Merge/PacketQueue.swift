import Foundation

/// Packets of one input, read ahead on their own thread in chunks, for a merge that pulls them one at
/// a time. At most `depth` chunks wait, so memory stays bounded whatever the input's size.
final class PacketQueue: @unchecked Sendable {
    /// Packets copied out of the reader's buffer, back to back.
    struct Chunk {
        var timestamps: [Int64] = []
        var linkTypes: [LinkType] = []
        var originalLengths: [Int] = []
        /// Where each packet's bytes start in `bytes`; one more entry than packets.
        var offsets: [Int] = [0]
        var bytes: [UInt8] = []

        var count: Int { timestamps.count }
    }

    private let condition = NSCondition()
    private var chunks: [Chunk] = []
    private var finished = false
    private var failure: Error?
    private var cancelled = false
    private let depth = 2
    static let chunkBytes = 1 << 20, chunkPackets = 8192

    /// Starts reading `reader` on a thread of its own.
    init(reading reader: CaptureReader) {
        // The reader is this thread's alone until it ends; the merge reads its truncation and warnings
        // only after `next()` has returned nil, under the lock that `end` took.
        nonisolated(unsafe) let reader = reader
        Thread.detachNewThread { [self] in
            var chunk = Chunk()
            do {
                try reader.read { packet in
                    chunk.timestamps.append(packet.timestamp)
                    chunk.linkTypes.append(packet.linkType)
                    chunk.originalLengths.append(packet.originalLength)
                    chunk.bytes.append(contentsOf: packet.data)
                    chunk.offsets.append(chunk.bytes.count)
                    if chunk.bytes.count >= Self.chunkBytes || chunk.count >= Self.chunkPackets {
                        try push(chunk)
                        chunk = Chunk()
                    }
                }
                if chunk.count > 0 { try push(chunk) }
                end(nil)
            } catch {
                end(error)
            }
        }
    }

    private func push(_ chunk: Chunk) throws {
        condition.lock()
        defer { condition.unlock() }
        while chunks.count >= depth && !cancelled { condition.wait() }
        if cancelled { throw CancellationError() }
        chunks.append(chunk)
        condition.broadcast()
    }

    private func end(_ error: Error?) {
        condition.lock()
        (finished, failure) = (true, error)
        condition.broadcast()
        condition.unlock()
    }

    /// The next chunk, waiting for the reader; nil at the input's end. Rethrows the reader's error.
    func next() throws -> Chunk? {
        condition.lock()
        defer { condition.unlock() }
        while chunks.isEmpty && !finished { condition.wait() }
        if !chunks.isEmpty {
            let chunk = chunks.removeFirst()
            condition.broadcast()
            return chunk
        }
        if let failure, !(failure is CancellationError) { throw failure }
        return nil
    }

    /// Stops the reader (the merge failed): it ends at its next chunk.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
