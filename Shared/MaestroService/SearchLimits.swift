import MaestroDomain

/// Bounds on what one search may ask of the database, for every search of every service.
///
/// A search's cost grows with its filter terms (each is a condition in the query), so their
/// number is capped: one request cannot turn into minutes of database work. Together with the
/// statement timeout (`MAESTRO_POSTGRES_STATEMENT_TIMEOUT_MS`) this bounds any request.
public enum SearchLimits {
    /// The most filter terms (repeated query parameters, or conditions of a filter expression) one search takes.
    public static let maxFilterTerms = 50

    /// 400 naming `field` when a search has more than ``maxFilterTerms`` filter terms.
    public static func checkFilterTerms(_ count: Int, field: String) throws(HTTPProblem) {
        guard count <= maxFilterTerms else {
            throw .badRequest("A search takes at most \(maxFilterTerms) filter terms; this one has \(count).",
                              errors: [.init(field: field, message: "at most \(maxFilterTerms) filter terms")])
        }
    }
}
