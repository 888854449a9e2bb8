import Foundation

/// How commands print: aligned tables for people, the API's JSON for scripts (`--json`).
enum Output {
    /// The JSON value on one line, keys sorted.
    static func json(_ value: Any) {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])) ?? Data()
        print(String(decoding: data, as: UTF8.self))
    }

    /// Columns padded to their widest cell; the last column is not padded.
    static func table(_ headers: [String], _ rows: [[String]]) {
        let all = [headers] + rows
        let widths = headers.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        for row in all {
            let cells = row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }
            print(cells.joined(separator: "  "))
        }
    }

    /// `key: value` lines, in the order given.
    static func fields(_ pairs: [(String, String)]) {
        let width = pairs.map(\.0.count).max() ?? 0
        for (key, value) in pairs { print("\(key.padding(toLength: width, withPad: " ", startingAt: 0))  \(value)") }
    }

    /// A JSON value as a short cell: scalars as they are, objects as `k=v` pairs, arrays comma-separated.
    static func text(_ value: Any?) -> String {
        switch value {
        case nil, is NSNull: return "-"
        case let string as String: return string
        // JSON booleans are NSNumbers of type "c"; a plain `as Bool` would also match the numbers 0 and 1.
        case let number as NSNumber where String(cString: number.objCType) == "c": return number.boolValue ? "yes" : "no"
        case let number as NSNumber: return number.stringValue
        case let array as [Any]: return array.isEmpty ? "-" : array.map { text($0) }.joined(separator: ",")
        case let object as [String: Any]:
            return object.isEmpty ? "-" : object.keys.sorted().map { "\($0)=\(text(object[$0]))" }.joined(separator: " ")
        default: return "\(value!)"
        }
    }
}

extension Dictionary where Key == String, Value == Any {
    subscript(text key: String) -> String { Output.text(self[key]) }
}

/// The `items` of a page answer.
func items(_ answer: Any) -> [[String: Any]] {
    (answer as? [String: Any])?["items"] as? [[String: Any]] ?? []
}

/// A path segment, percent-encoded.
func segment(_ text: String) -> String {
    text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
}
