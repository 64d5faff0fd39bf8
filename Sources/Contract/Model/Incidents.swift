/// What an operator is paged for: an incident is a run of consecutive alerting windows of one stream,
/// lasting at most ten minutes; a longer run counts one incident for every ten minutes it started.
public enum Incidents {
    /// The longest an incident lasts; a longer run of alerts counts one incident per this many seconds.
    public static let longestSeconds: Int64 = 600

    /// The incidents of a stream of windows of `length` seconds: [first, last] window indices, each
    /// run of consecutive alerting indices cut into pieces of at most ten minutes.
    /// - Parameter alerting: indices of the alerting windows, in any order.
    public static func spans(alerting: [Int64], length: Int32) -> [ClosedRange<Int64>] {
        let perIncident = max(1, longestSeconds / Int64(max(length, 1)))
        var spans: [ClosedRange<Int64>] = []
        for index in Set(alerting).sorted() {
            if let last = spans.last, last.upperBound == index - 1, index - last.lowerBound < perIncident {
                spans[spans.count - 1] = last.lowerBound...index
            } else {
                spans.append(index...index)
            }
        }
        return spans
    }

    public static func count(alerting: [Int64], length: Int32) -> Int { spans(alerting: alerting, length: length).count }
}
