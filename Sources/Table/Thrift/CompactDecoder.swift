/// Reads Thrift compact protocol from a buffer the caller keeps alive, checking every length against
/// the bytes that remain: a garbage length can neither read past the buffer nor size an allocation.
/// Unknown field ids are skipped, as the Parquet spec requires of readers. Nesting is bounded, so
/// crafted input cannot exhaust the stack.
struct CompactDecoder {
    private let buffer: UnsafeRawBufferPointer
    private(set) var position: Int
    private var depth = 0
    private let maxDepth: Int

    init(_ buffer: UnsafeRawBufferPointer, at position: Int = 0, maxDepth: Int = 32) {
        self.buffer = buffer
        self.position = position
        self.maxDepth = maxDepth
    }

    /// Reads one struct, calling `onField` with each field's id and type. `onField` must consume the
    /// field's value (with one of the typed reads, or `skip`).
    mutating func readStruct(_ onField: (inout CompactDecoder, Int16, CompactType) throws -> Void) throws {
        depth += 1
        guard depth <= maxDepth else { throw failure("structs nested deeper than \(maxDepth) levels") }
        var lastID: Int16 = 0
        while true {
            let header = try readByte()
            if header == 0 { break }  // stop
            guard let type = CompactType(rawValue: header & 0x0F) else {
                throw DecodeFailure(offset: position - 1, detail: "unknown Thrift type code \(header & 0x0F) in field header")
            }
            let delta = header >> 4
            let id: Int16
            if delta != 0 {
                id = lastID &+ Int16(delta)
            } else {
                let raw = unzigzag(try readVarint())
                guard let fieldID = Int16(exactly: raw) else { throw failure("field id \(raw) out of range") }
                id = fieldID
            }
            lastID = id
            try onField(&self, id, type)
        }
        depth -= 1
    }

    // MARK: Typed reads (the caller passes the type from the field header)

    mutating func bool(_ type: CompactType) throws -> Bool {
        switch type {
        case .boolTrue: return true
        case .boolFalse: return false
        default: throw mismatch(expected: "bool", found: type)
        }
    }

    mutating func i8(_ type: CompactType) throws -> Int8 {
        guard type == .i8 else { throw mismatch(expected: "i8", found: type) }
        return Int8(bitPattern: try readByte())
    }

    mutating func i32(_ type: CompactType) throws -> Int32 {
        guard type == .i32 || type == .i16 || type == .i8 else { throw mismatch(expected: "i32", found: type) }
        if type == .i8 { return Int32(Int8(bitPattern: try readByte())) }
        let value = unzigzag(try readVarint())
        guard let result = Int32(exactly: value) else { throw failure("i32 value \(value) out of range") }
        return result
    }

    mutating func i64(_ type: CompactType) throws -> Int64 {
        guard type == .i64 || type == .i32 || type == .i16 else { throw mismatch(expected: "i64", found: type) }
        return unzigzag(try readVarint())
    }

    mutating func binary(_ type: CompactType) throws -> [UInt8] {
        guard type == .binary else { throw mismatch(expected: "binary", found: type) }
        let count = try readLength(what: "binary")
        let start = position
        position += count
        return Array(buffer[start..<position])
    }

    mutating func string(_ type: CompactType) throws -> String {
        String(decoding: try binary(type), as: UTF8.self)
    }

    /// Reads a list, decoding each element with `element` (which gets the element type).
    mutating func list<Element>(_ type: CompactType,
                                _ element: (inout CompactDecoder, CompactType) throws -> Element) throws -> [Element] {
        guard type == .list || type == .set else { throw mismatch(expected: "list", found: type) }
        let (count, elementType) = try readListHeader()
        var result: [Element] = []
        result.reserveCapacity(count)  // bounded: at most one element per remaining byte
        for _ in 0..<count { result.append(try element(&self, elementType)) }
        return result
    }

    /// Reads a list of structs, decoding each with `element`.
    mutating func structList<Element>(_ type: CompactType,
                                      _ element: (inout CompactDecoder) throws -> Element) throws -> [Element] {
        try list(type) { decoder, elementType in
            guard elementType == .structure else { throw decoder.mismatch(expected: "struct", found: elementType) }
            return try element(&decoder)
        }
    }

    /// Reads one struct like `readStruct(_:)`, then checks that every field in `required` (id: name
    /// in parquet.thrift) was present.
    mutating func readStruct(_ structName: String, required: KeyValuePairs<Int16, String>,
                             _ onField: (inout CompactDecoder, Int16, CompactType) throws -> Void) throws {
        let start = position
        var seen = Set<Int16>()
        try readStruct { decoder, id, type in
            seen.insert(id)
            try onField(&decoder, id, type)
        }
        for (id, name) in required where !seen.contains(id) {
            throw DecodeFailure(offset: start, detail: "\(structName) lacks its required field \(id) (\(name))")
        }
    }

    // MARK: Skipping

    /// Skips a value of `type`. `inList` matters only for bools, which take a byte inside lists and
    /// none as fields.
    mutating func skip(_ type: CompactType, inList: Bool = false) throws {
        switch type {
        case .boolTrue, .boolFalse:
            if inList { _ = try readByte() }
        case .i8:
            _ = try readByte()
        case .i16, .i32, .i64:
            _ = try readVarint()
        case .double:
            try advance(8)
        case .binary:
            try advance(try readLength(what: "binary"))
        case .list, .set:
            let (count, elementType) = try readListHeader()
            for _ in 0..<count { try skip(elementType, inList: true) }
        case .map:
            let count = try readLength(what: "map")
            if count > 0 {
                let types = try readByte()
                guard let keyType = CompactType(rawValue: types >> 4),
                      let valueType = CompactType(rawValue: types & 0x0F) else {
                    throw failure("unknown Thrift type code in map header")
                }
                for _ in 0..<count {
                    try skip(keyType, inList: true)
                    try skip(valueType, inList: true)
                }
            }
        case .structure:
            try readStruct { decoder, _, fieldType in try decoder.skip(fieldType) }
        }
    }

    // MARK: Primitives

    func failure(_ detail: String) -> DecodeFailure {
        DecodeFailure(offset: position, detail: detail)
    }

    func mismatch(expected: String, found: CompactType) -> DecodeFailure {
        failure("expected a Thrift \(expected), found type \(found)")
    }

    private mutating func readByte() throws -> UInt8 {
        guard position < buffer.count else { throw failure("Thrift data ends early") }
        defer { position += 1 }
        return buffer[position]
    }

    private mutating func advance(_ count: Int) throws {
        guard count <= buffer.count - position else { throw failure("Thrift data ends early") }
        position += count
    }

    private mutating func readVarint() throws -> UInt64 {
        do {
            return try ULEB128.read(buffer, at: &position)
        } catch let failure as DecodeFailure {
            throw DecodeFailure(offset: failure.offset, detail: "Thrift \(failure.detail)")
        }
    }

    /// A length or count: it can never exceed the bytes left, since every element takes at least one.
    private mutating func readLength(what: String) throws -> Int {
        let start = position
        let raw = try readVarint()
        guard raw <= UInt64(buffer.count - position) else {
            throw DecodeFailure(offset: start, detail: "\(what) length \(raw) exceeds the \(buffer.count - position) bytes left")
        }
        return Int(raw)
    }

    private mutating func readListHeader() throws -> (Int, CompactType) {
        let header = try readByte()
        guard let elementType = CompactType(rawValue: header & 0x0F) else {
            throw failure("unknown Thrift element type \(header & 0x0F) in list header")
        }
        let shortCount = Int(header >> 4)
        let count = shortCount == 15 ? try readLength(what: "list") : shortCount
        guard count <= buffer.count - position else { throw failure("list of \(count) elements exceeds the bytes left") }
        return (count, elementType)
    }

    private func unzigzag(_ value: UInt64) -> Int64 {
        Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }
}
