import Foundation
import Hummingbird
import MaestroDomain

/// The query string as `application/x-www-form-urlencoded` pairs, in order, with repeated
/// keys kept (`stages=a&stages=b`) and `+` read as a space, the way HTML forms and Python's
/// `urlencode` write it. The same encoding serves form bodies (`FormQuery(body)`).
public struct FormQuery: Sendable {
    public let pairs: [(key: String, value: String)]
    /// Whether every key and value was valid percent-encoding; those that were not are kept
    /// as written.
    public let isWellFormed: Bool

    public init(_ query: String?) {
        var wellFormed = true
        pairs = (query ?? "").split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                guard let decoded = spaced.removingPercentEncoding else {
                    wellFormed = false
                    return spaced
                }
                return decoded
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
        isWellFormed = wellFormed
    }

    /// The last value given for `key`.
    public subscript(key: String) -> String? {
        pairs.last { $0.key == key }?.value
    }

    /// Every value given for `key`, in order.
    public func all(_ key: String) -> [String] {
        pairs.filter { $0.key == key }.map(\.value)
    }
}

extension Request {
    public var formQuery: FormQuery { FormQuery(uri.query) }
}
