/// An IPFIX template or options template (RFC 7011, 3.4): the fields of the data records that name
/// its ID, in order, each with what mimir-records takes from it.
struct IPFIXTemplate {
    struct Field {
        var role: IPFIXRole
        /// Bytes on the wire; `variableLength` for a field whose records carry their own length.
        var length: Int
    }

    /// The length RFC 7011 gives a variable-length field in its template.
    static let variableLength = 65535

    /// A field whose value is taken, at its place in a record of fixed length.
    struct PlacedField {
        var role: IPFIXRole
        var offset: Int
        var length: Int
    }

    var fields: [Field]
    var isOptions: Bool
    /// Bytes of the shortest record: a variable-length field takes at least its one length byte.
    var minimumLength: Int
    /// Without variable-length fields (most exporters' templates): the fields taken, at their offsets,
    /// so that a record is read without walking the fields it skips. Nil otherwise.
    var placedFields: [PlacedField]?

    init(fields: [Field], isOptions: Bool) {
        self.fields = fields
        self.isOptions = isOptions
        minimumLength = fields.reduce(0) { $0 + ($1.length == Self.variableLength ? 1 : $1.length) }
        guard !fields.contains(where: { $0.length == Self.variableLength }) else { return }
        var placed: [PlacedField] = [], offset = 0
        for field in fields {
            if field.role != .skipped { placed.append(PlacedField(role: field.role, offset: offset, length: field.length)) }
            offset += field.length
        }
        placedFields = placed
    }
}

/// Where a template lives: templates belong to an observation domain of the session (a file is one
/// session).
struct IPFIXTemplateKey: Hashable {
    var domain: UInt32
    var id: UInt16
}

/// Big-endian reads from a message whose bounds the caller has checked.
struct MessageBytes {
    let base: UnsafeRawPointer

    @inline(__always) func u8(_ offset: Int) -> UInt8 { base.load(fromByteOffset: offset, as: UInt8.self) }
    @inline(__always) func u16(_ offset: Int) -> UInt16 { UInt16(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self)) }
    @inline(__always) func u32(_ offset: Int) -> UInt32 { UInt32(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }

    /// An unsigned integer of 1 to 8 bytes (reduced-size encoding sends fewer than the type's).
    @inline(__always) func unsigned(_ offset: Int, _ length: Int) -> UInt64 {
        switch length {
        case 8: return UInt64(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        case 4: return UInt64(u32(offset))
        case 2: return UInt64(u16(offset))
        case 1: return UInt64(u8(offset))
        default:
            var value: UInt64 = 0
            for index in 0..<length { value = value << 8 | UInt64(u8(offset + index)) }
            return value
        }
    }

    /// `length` bytes as text, or nil if they are not UTF-8.
    func text(_ offset: Int, _ length: Int) -> String? {
        let bytes = UnsafeRawBufferPointer(start: base + offset, count: length)
        return String(validating: bytes, as: UTF8.self)
    }
}
