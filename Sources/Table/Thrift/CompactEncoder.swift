/// Writes Thrift compact protocol: field headers with id deltas, zigzag varints, length-prefixed
/// binaries, lists and nested structs. Only what Parquet metadata needs (no maps, no sets).
struct CompactEncoder {
    private(set) var bytes: [UInt8] = []
    /// The last field id written, per open struct (compact field headers carry the delta).
    private var lastFieldIDs: [Int16] = [0]

    init(reservingCapacity capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    // MARK: Fields

    mutating func field(_ id: Int16, i32 value: Int32) {
        fieldHeader(id, .i32)
        writeVarint(zigzag(Int64(value)))
    }

    mutating func field(_ id: Int16, i64 value: Int64) {
        fieldHeader(id, .i64)
        writeVarint(zigzag(value))
    }

    mutating func field(_ id: Int16, i8 value: Int8) {
        fieldHeader(id, .i8)
        bytes.append(UInt8(bitPattern: value))
    }

    mutating func field(_ id: Int16, bool value: Bool) {
        fieldHeader(id, value ? .boolTrue : .boolFalse)
    }

    mutating func field(_ id: Int16, binary value: some Collection<UInt8>) {
        fieldHeader(id, .binary)
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func field(_ id: Int16, string value: String) {
        field(id, binary: value.utf8)
    }

    /// A nested struct field; `body` writes its fields.
    mutating func field(_ id: Int16, struct body: (inout CompactEncoder) -> Void) {
        fieldHeader(id, .structure)
        writeStructBody(body)
    }

    /// A list of structs; `body` writes the fields of element `i`.
    mutating func field(_ id: Int16, structList count: Int, _ body: (inout CompactEncoder, Int) -> Void) {
        fieldHeader(id, .list)
        listHeader(count, .structure)
        for index in 0..<count {
            writeStructBody { body(&$0, index) }
        }
    }

    mutating func field(_ id: Int16, i32List values: [Int32]) {
        fieldHeader(id, .list)
        listHeader(values.count, .i32)
        for value in values { writeVarint(zigzag(Int64(value))) }
    }

    mutating func field(_ id: Int16, stringList values: [String]) {
        fieldHeader(id, .list)
        listHeader(values.count, .binary)
        for value in values {
            writeVarint(UInt64(value.utf8.count))
            bytes.append(contentsOf: value.utf8)
        }
    }

    /// Ends the top-level struct.
    mutating func finish() -> [UInt8] {
        bytes.append(0)
        return bytes
    }

    // MARK: Primitives

    private mutating func writeStructBody(_ body: (inout CompactEncoder) -> Void) {
        lastFieldIDs.append(0)
        body(&self)
        bytes.append(0)  // stop
        lastFieldIDs.removeLast()
    }

    private mutating func fieldHeader(_ id: Int16, _ type: CompactType) {
        let delta = Int(id) - Int(lastFieldIDs[lastFieldIDs.count - 1])
        if delta > 0 && delta <= 15 {
            bytes.append(UInt8(delta << 4) | type.rawValue)
        } else {
            bytes.append(type.rawValue)
            writeVarint(zigzag(Int64(id)))
        }
        lastFieldIDs[lastFieldIDs.count - 1] = id
    }

    private mutating func listHeader(_ count: Int, _ elementType: CompactType) {
        if count < 15 {
            bytes.append(UInt8(count << 4) | elementType.rawValue)
        } else {
            bytes.append(0xF0 | elementType.rawValue)
            writeVarint(UInt64(count))
        }
    }

    private mutating func writeVarint(_ value: UInt64) {
        ULEB128.append(value, to: &bytes)
    }

    private func zigzag(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }
}
