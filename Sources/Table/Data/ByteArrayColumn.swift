/// Variable-length values (strings or binary) stored as Arrow does: one contiguous byte buffer and
/// `count + 1` offsets into it. Appending a value never allocates per value.
public struct ByteArrayColumn: Sendable, Hashable {
    /// `offsets[i]..<offsets[i + 1]` is value `i` in `bytes`.
    public internal(set) var offsets: [Int]
    /// The values' bytes, back to back.
    public internal(set) var bytes: [UInt8]

    /// No values.
    public init() {
        offsets = [0]
        bytes = []
    }

    /// Builds a column from parts; `offsets` must start at 0, never decrease and end at `bytes.count`.
    init(offsets: [Int], bytes: [UInt8]) {
        precondition(offsets.first == 0 && offsets.last == bytes.count)
        self.offsets = offsets
        self.bytes = bytes
    }

    /// The strings' UTF-8 bytes.
    public init(_ strings: some Sequence<String>) {
        self.init()
        for string in strings { append(string) }
    }

    /// Binary values.
    public init(binary values: some Sequence<[UInt8]>) {
        self.init()
        for value in values { append(bytes: value) }
    }

    public var count: Int { offsets.count - 1 }

    /// Reserves room for `values` more values of `byteCount` bytes in all.
    public mutating func reserveCapacity(values: Int, bytes byteCount: Int) {
        offsets.reserveCapacity(values + 1)
        bytes.reserveCapacity(byteCount)
    }

    /// Removes every value, keeping the memory for the next ones.
    public mutating func removeAllKeepingCapacity() {
        offsets.removeAll(keepingCapacity: true)
        offsets.append(0)
        bytes.removeAll(keepingCapacity: true)
    }

    /// Appends a string's UTF-8 bytes as one value.
    public mutating func append(_ string: String) {
        var string = string
        string.withUTF8 { bytes.append(contentsOf: $0) }
        offsets.append(bytes.count)
    }

    /// Appends bytes as one value.
    public mutating func append(bytes value: some Collection<UInt8>) {
        bytes.append(contentsOf: value)
        offsets.append(bytes.count)
    }

    /// Appends the value `index` of another column.
    public mutating func append(from other: ByteArrayColumn, at index: Int) {
        // Borrowed, not sliced: a slice would retain and release `other`'s storage per value.
        other.bytes.withUnsafeBufferPointer { source in
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: source[other.offsets[index]..<other.offsets[index + 1]]))
        }
        offsets.append(bytes.count)
    }

    /// Appends every value of `other`.
    public mutating func append(contentsOf other: ByteArrayColumn) {
        let base = bytes.count
        bytes.append(contentsOf: other.bytes)
        offsets.append(contentsOf: other.offsets.dropFirst().lazy.map { $0 + base })
    }

    /// The bytes of value `index`.
    public subscript(index: Int) -> ArraySlice<UInt8> {
        bytes[offsets[index]..<offsets[index + 1]]
    }

    /// Value `index` as text; invalid UTF-8 (possible only in files from elsewhere) is repaired with U+FFFD.
    public func string(at index: Int) -> String {
        String(decoding: self[index], as: UTF8.self)
    }

    /// Every value as a string.
    public var strings: [String] { (0..<count).map(string(at:)) }
}
