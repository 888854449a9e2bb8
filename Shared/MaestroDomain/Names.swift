import Foundation

/// The rules every name follows (models, aliases, principals, owners, tag keys), and how
/// two names are compared where look-alikes must count as one (protected aliases, principals).
public enum Names {
    /// The key two names are compared by: Unicode NFKC (compatibility forms folded, so
    /// `ｃｈａｍｐｉｏｎ` is `champion`), then lowercased. `Champion`, `CHAMPION` and
    /// `champion` share a key.
    public static func comparisonKey(_ name: String) -> String {
        name.precomposedStringWithCompatibilityMapping.lowercased()
    }

    /// Whether two names are the same name to a reader.
    public static func same(_ first: String, _ second: String) -> Bool {
        comparisonKey(first) == comparisonKey(second)
    }

    /// Why `name` is not acceptable as a name, or `nil`: no whitespace around it, and no
    /// control, format (invisible: zero-width spaces and joiners, bidi controls, soft
    /// hyphens), separator, private-use, unassigned or surrogate code points anywhere.
    public static func problem(_ name: String) -> String? {
        if let first = name.unicodeScalars.first, let last = name.unicodeScalars.last,
           first.properties.isWhitespace || last.properties.isWhitespace {
            return "must not begin or end with whitespace"
        }
        let refused: Set<Unicode.GeneralCategory> = [.control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .unassigned, .surrogate]
        if name.unicodeScalars.contains(where: { refused.contains($0.properties.generalCategory) }) {
            return "must not contain control or invisible characters"
        }
        return nil
    }
}
