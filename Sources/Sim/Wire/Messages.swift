/// Application messages in flight. A message is `prefix` + `bodyLength` filler bytes + `suffix`; TCP
/// segments and UDP datagrams carry slices of it, so a large response costs no memory per byte.
/// A message is freed once its last segment has been written.
struct MessageStore {
    struct Message {
        var prefix: [UInt8]
        var bodyLength: Int
        var suffix: [UInt8]
        var fill: UInt8
        var segmentsLeft: Int32

        var length: Int { prefix.count + bodyLength + suffix.count }
    }

    private var messages: [Message] = []
    private var free: [Int32] = []

    mutating func add(_ message: Message) -> Int32 {
        if let slot = free.popLast() {
            messages[Int(slot)] = message
            return slot
        }
        messages.append(message)
        return Int32(messages.count - 1)
    }

    mutating func setSegments(_ id: Int32, _ count: Int) {
        messages[Int(id)].segmentsLeft = Int32(count)
    }

    /// Copies `count` bytes from `offset` of message `id` to `destination` (one segment's worth); frees
    /// the message after its last segment.
    mutating func copy(_ id: Int32, offset: Int, count: Int, to destination: UnsafeMutableRawPointer) {
        let index = Int(id)
        var written = 0
        var position = offset
        messages[index].prefix.withUnsafeBytes { prefix in
            if position < prefix.count {
                let n = min(prefix.count - position, count)
                destination.copyMemory(from: prefix.baseAddress! + position, byteCount: n)
                written += n
                position += n
            }
        }
        let bodyEnd = messages[index].prefix.count + messages[index].bodyLength
        if written < count, position < bodyEnd {
            let n = min(bodyEnd - position, count - written)
            (destination + written).initializeMemory(as: UInt8.self, repeating: messages[index].fill, count: n)
            written += n
            position += n
        }
        if written < count {
            messages[index].suffix.withUnsafeBytes { suffix in
                (destination + written).copyMemory(from: suffix.baseAddress! + (position - bodyEnd), byteCount: count - written)
            }
        }
        messages[index].segmentsLeft -= 1
        if messages[index].segmentsLeft <= 0 {
            messages[index] = Message(prefix: [], bodyLength: 0, suffix: [], fill: 0, segmentsLeft: 0)
            free.append(id)
        }
    }
}
