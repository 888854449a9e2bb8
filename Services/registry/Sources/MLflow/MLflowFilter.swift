import Foundation
import MaestroDomain

/// MLflow's search filter grammar for the registry: conditions joined by `AND`, each
/// `<attribute> <comparator> <value>`, where the attribute is `name`, `run_id`, `source_path`,
/// `version_number`, `current_stage`, `tags.<key>` (or ``tags.`key with spaces` ``), the
/// comparator one of `=`, `!=`, `LIKE`, `ILIKE`, `IN` (run_id only) and `<`, `<=`, `>`, `>=` for
/// `version_number`, and the value a quoted string (`'…'` or `"…"`), a number, or a
/// parenthesised list of strings for `IN`.
struct MLflowFilter: Equatable {
    enum Value: Equatable {
        case string(String)
        case number(Double)
        case list([String])
    }

    struct Condition: Equatable {
        var attribute: String
        /// For `tags.key`, the key.
        var tagKey: String?
        var comparator: String
        var value: Value
    }

    var conditions: [Condition]

    struct ParseError: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ text: String?) throws(ParseError) -> MLflowFilter {
        guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else { return MLflowFilter(conditions: []) }
        var scanner = Scanner(Array(text.unicodeScalars))
        var conditions: [Condition] = []
        repeat {
            conditions.append(try scanner.condition())
            scanner.skipSpaces()
        } while try scanner.and()
        guard scanner.atEnd else { throw ParseError(description: "unexpected text at position \(scanner.index) of the filter") }
        return MLflowFilter(conditions: conditions)
    }

    private struct Scanner {
        let text: [Unicode.Scalar]
        var index = 0

        init(_ text: [Unicode.Scalar]) {
            self.text = text
        }

        var atEnd: Bool { index >= text.count }

        mutating func skipSpaces() {
            while index < text.count, text[index].properties.isWhitespace { index += 1 }
        }

        mutating func and() throws(ParseError) -> Bool {
            skipSpaces()
            guard !atEnd else { return false }
            let word = identifier()
            guard word.uppercased() == "AND" else { throw ParseError(description: "expected AND between conditions, found '\(word)'") }
            return true
        }

        mutating func identifier() -> String {
            var word = ""
            while index < text.count, text[index].properties.isAlphabetic || text[index].properties.numericType != nil || text[index] == "_" || text[index] == "." {
                word.unicodeScalars.append(text[index])
                index += 1
            }
            return word
        }

        mutating func quoted(_ quote: Unicode.Scalar) throws(ParseError) -> String {
            index += 1
            var value = ""
            while index < text.count {
                let scalar = text[index]
                index += 1
                if scalar == quote {
                    // A doubled quote inside a value stands for one.
                    if index < text.count, text[index] == quote {
                        value.unicodeScalars.append(quote)
                        index += 1
                        continue
                    }
                    return value
                }
                if scalar == "\\", index < text.count {
                    value.unicodeScalars.append(text[index])
                    index += 1
                    continue
                }
                value.unicodeScalars.append(scalar)
            }
            throw ParseError(description: "unterminated quoted value in the filter")
        }

        mutating func condition() throws(ParseError) -> Condition {
            skipSpaces()
            var attribute = identifier()
            var tagKey: String?
            if attribute.lowercased().hasPrefix("tags.") || attribute.lowercased().hasPrefix("tag.") {
                let dot = attribute.firstIndex(of: ".")!
                var key = String(attribute[attribute.index(after: dot)...])
                if key.isEmpty, index < text.count, text[index] == "`" || text[index] == "\"" {
                    key = try quoted(text[index])
                }
                guard !key.isEmpty else { throw ParseError(description: "a tag condition needs a key: tags.<key>") }
                tagKey = key
                attribute = "tags"
            } else if attribute.isEmpty, index < text.count, text[index] == "`" {
                attribute = try quoted("`")
            }
            let attributes: Set<String> = ["name", "run_id", "source_path", "version_number", "current_stage", "tags", "user_id"]
            attribute = attribute == "tags" ? attribute : attribute.lowercased()
            guard attributes.contains(attribute) else { throw ParseError(description: "invalid attribute '\(attribute)' in the filter") }
            skipSpaces()
            let comparator = try self.comparator()
            skipSpaces()
            guard index < text.count else { throw ParseError(description: "a value is missing after \(comparator)") }
            let value: Value
            switch text[index] {
            case "'", "\"":
                value = .string(try quoted(text[index]))
            case "(":
                index += 1
                var items: [String] = []
                while true {
                    skipSpaces()
                    guard index < text.count, text[index] == "'" || text[index] == "\"" else {
                        throw ParseError(description: "IN takes a parenthesised list of quoted values")
                    }
                    items.append(try quoted(text[index]))
                    skipSpaces()
                    guard index < text.count else { throw ParseError(description: "unterminated IN list") }
                    if text[index] == "," { index += 1; continue }
                    if text[index] == ")" { index += 1; break }
                    throw ParseError(description: "IN takes a parenthesised list of quoted values")
                }
                value = .list(items)
            default:
                let word = identifier()
                guard let number = Double(word) else { throw ParseError(description: "values must be quoted: \(word)") }
                value = .number(number)
            }
            return Condition(attribute: attribute, tagKey: tagKey, comparator: comparator, value: value)
        }

        mutating func comparator() throws(ParseError) -> String {
            for symbol in ["!=", "<=", ">=", "=", "<", ">"] where text[index...].starts(with: symbol.unicodeScalars) {
                index += symbol.unicodeScalars.count
                return symbol
            }
            let start = index
            let word = identifier().uppercased()
            if word == "NOT" {
                skipSpaces()
                let next = identifier().uppercased()
                if next == "IN" { return "NOT IN" }
                if next == "LIKE" || next == "ILIKE" { return "NOT \(next)" }
            }
            guard ["LIKE", "ILIKE", "IN"].contains(word) else {
                index = start
                throw ParseError(description: "invalid comparator at position \(start) of the filter")
            }
            return word
        }
    }
}
