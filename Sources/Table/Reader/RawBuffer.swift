#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Growable uninitialised bytes for decoding: values are copied in with `memcpy` and no zero-filling,
/// then handed out once as a typed array.
final class RawBuffer {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 0) {
        self.capacity = max(capacity, 64)
        guard let memory = malloc(self.capacity) else { fatalError("out of memory allocating \(self.capacity) bytes") }
        base = memory
    }

    deinit { free(base) }

    func reserve(additional: Int) {
        let needed = count + additional
        guard needed > capacity else { return }
        var newCapacity = capacity
        while newCapacity < needed { newCapacity *= 2 }
        guard let memory = realloc(base, newCapacity) else { fatalError("out of memory allocating \(newCapacity) bytes") }
        base = memory
        capacity = newCapacity
    }

    func append(_ source: UnsafeRawPointer, count bytes: Int) {
        reserve(additional: bytes)
        memcpy(base + count, source, bytes)
        count += bytes
    }

    func appendZeros(_ bytes: Int) {
        reserve(additional: bytes)
        memset(base + count, 0, bytes)
        count += bytes
    }

    /// Space for `bytes` more bytes that the caller fills before calling `commit`.
    func tail(reserving bytes: Int) -> UnsafeMutableRawPointer {
        reserve(additional: bytes)
        return base + count
    }

    func commit(_ bytes: Int) {
        precondition(count + bytes <= capacity)
        count += bytes
    }

    func removeAll() { count = 0 }

    /// The contents as `[T]`; `count` must be a multiple of `T`'s size and `T` trivial.
    func array<T>(of type: T.Type) -> [T] {
        let elements = count / MemoryLayout<T>.stride
        return [T](unsafeUninitializedCapacity: elements) { buffer, initialized in
            if elements > 0 { memcpy(buffer.baseAddress!, base, elements * MemoryLayout<T>.stride) }
            initialized = elements
        }
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}
