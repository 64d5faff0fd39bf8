import SystemSupport

/// The windows of a run (ARCHITECTURE.md, "Time and windows"): every window length shares one origin
/// `t0`; `window_index = floor((ts - t0) / window_len)`, so every shard of a capture agrees on indices.
/// All arithmetic is in integer nanoseconds.
public struct WindowClock: Sendable, Equatable {
    /// Where window 0 of every length starts, nanoseconds since the epoch.
    public let origin: Int64
    /// Window lengths in seconds, ascending.
    public let lengths: [Int]

    /// A clock of windows of `lengths` seconds from `origin`.
    public init(origin: Int64, lengths: [Int]) {
        self.origin = origin
        self.lengths = lengths.sorted()
    }

    /// The origin for a capture whose first packet is at `firstPacket`: that time, or with `align` the
    /// epoch multiple of `align` seconds at or before it.
    public static func origin(firstPacket: Int64, alignedTo align: Int?) -> Int64 {
        guard let align else { return firstPacket }
        return floorDivide(firstPacket, Int64(align) * Nanoseconds.perSecond) * Int64(align) * Nanoseconds.perSecond
    }

    /// The index of the window of `length` seconds that holds `timestamp` (nanoseconds).
    @inline(__always)
    public func index(of timestamp: Int64, length: Int) -> Int64 {
        floorDivide(timestamp - origin, Int64(length) * Nanoseconds.perSecond)
    }

    /// The start of window `index` of `length` seconds, nanoseconds since the epoch.
    public func start(ofWindow index: Int64, length: Int) -> Int64 {
        origin + index * Int64(length) * Nanoseconds.perSecond
    }
}


/// Epoch seconds with up to nine decimals, the form `--origin` takes and `mimir.origin` stores.
public enum EpochSeconds {
    /// `nanoseconds` as epoch seconds with nine decimals.
    public static func format(_ nanoseconds: Int64) -> String {
        let seconds = floorDivide(nanoseconds, Nanoseconds.perSecond)
        let fraction = nanoseconds - seconds * Nanoseconds.perSecond
        return "\(seconds)." + String(fraction).leftPadded(to: 9)
    }

    /// Parses `1764400000`, `1764400000.25` or `-5.000000001` exactly (no floating point).
    public static func parse(_ text: String) -> Int64? {
        let negative = text.hasPrefix("-")
        let body = negative ? text.dropFirst() : Substring(text)
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let wholeText = parts.first, !wholeText.isEmpty, wholeText.allSatisfy(\.isASCII),
              let whole = Int64(wholeText), whole <= 9_000_000_000 else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = Int64(digits) else { return nil }
            fraction = value
            for _ in digits.count..<9 { fraction *= 10 }
        }
        let magnitude = whole * Nanoseconds.perSecond + fraction
        return negative ? -magnitude : magnitude
    }
}

extension String {
    /// The text with zeros in front up to `width` characters: `"7".leftPadded(to: 3)` is `"007"`.
    public func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
