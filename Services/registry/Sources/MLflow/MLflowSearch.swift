import Foundation
import MaestroDomain
import MaestroEvents
import MaestroService

/// Turns MLflow's filter and `order_by` strings into the store's filters and orders.
enum MLflowSearch {
    static func stage(_ text: String) -> ModelVersionStage? {
        ModelVersionStage.allCases.first { $0.rawValue.lowercased() == text.lowercased() }
    }

    static func match(_ condition: MLflowFilter.Condition) throws(MLflowError) -> ModelFilter.Match {
        guard case .string(let value) = condition.value else {
            throw .invalid("The value of \(condition.attribute) must be a quoted string.")
        }
        switch condition.comparator {
        case "=": return .equals(value)
        case "!=": return .notEquals(value)
        case "LIKE": return .like(value, caseInsensitive: false)
        case "ILIKE": return .like(value, caseInsensitive: true)
        default: throw .invalid("Invalid comparator '\(condition.comparator)' for \(condition.attribute).")
        }
    }

    /// The filter's conditions, at most ``SearchLimits/maxFilterTerms`` of them.
    private static func parse(_ text: String?) throws(MLflowError) -> MLflowFilter {
        let parsed: MLflowFilter
        do { parsed = try MLflowFilter.parse(text) } catch { throw .invalid("Invalid filter '\(text ?? "")': \(error)") }
        guard parsed.conditions.count <= SearchLimits.maxFilterTerms else {
            throw .invalid("A filter takes at most \(SearchLimits.maxFilterTerms) conditions; this one has \(parsed.conditions.count).")
        }
        return parsed
    }

    static func modelFilter(_ text: String?) throws(MLflowError) -> ModelFilter {
        let parsed: MLflowFilter
        parsed = try parse(text)
        var filter = ModelFilter()
        for condition in parsed.conditions {
            switch condition.attribute {
            case "name": filter.name.append(try match(condition))
            case "tags": filter.tags.append((condition.tagKey ?? "", try match(condition)))
            default: throw .invalid("Invalid attribute '\(condition.attribute)' for a registered model search; use name or tags.<key>.")
            }
        }
        return filter
    }

    static func versionFilter(_ text: String?) throws(MLflowError) -> VersionFilter {
        let parsed: MLflowFilter
        parsed = try parse(text)
        var filter = VersionFilter()
        for condition in parsed.conditions {
            switch (condition.attribute, condition.comparator, condition.value) {
            case ("name", _, _): filter.modelName.append(try match(condition))
            case ("tags", _, _): filter.tags.append((condition.tagKey ?? "", try match(condition)))
            case ("source_path", _, _): filter.source.append(try match(condition))
            case ("run_id", "=", .string(let value)): filter.runID.append(value)
            case ("run_id", "IN", .list(let values)): filter.runID.append(contentsOf: values)
            case ("current_stage", "=", .string(let value)):
                guard let stage = stage(value) else { throw .invalid("Invalid Model Version stage: \(value)") }
                filter.stages.append(stage)
            case ("version_number", let comparator, let value):
                let number: Int? = switch value {
                case .number(let number): Int(exactly: number)
                case .string(let text): Int(text)
                case .list: nil
                }
                let comparison = VersionFilter.Comparison(rawValue: comparator == "!=" ? "<>" : comparator)
                guard let number, let comparison else { throw .invalid("version_number takes an integer and one of = != < <= > >=.") }
                filter.versions.append((comparison, number))
            default:
                throw .invalid("Invalid filter condition on '\(condition.attribute)' with '\(condition.comparator)'.")
            }
        }
        return filter
    }

    static func modelOrder(_ clauses: [String]) throws(MLflowError) -> ModelOrder {
        guard let first = clauses.first else { return .name(ascending: true) }
        let (column, ascending) = try clause(first)
        switch column {
        case "name": return .name(ascending: ascending)
        case "last_updated_timestamp", "timestamp": return .updatedAt(ascending: ascending)
        default: throw .invalid("Invalid order_by '\(first)': use name or last_updated_timestamp, with ASC or DESC.")
        }
    }

    static func versionOrder(_ clauses: [String]) throws(MLflowError) -> VersionOrder {
        // MLflow's default is newest first.
        guard let first = clauses.first else { return .createdAt(ascending: false) }
        let (column, ascending) = try clause(first)
        switch column {
        case "name", "version_number": return .modelAndVersion(ascending: ascending)
        case "creation_timestamp", "timestamp": return .createdAt(ascending: ascending)
        case "last_updated_timestamp": return .updatedAt(ascending: ascending)
        default: throw .invalid("Invalid order_by '\(first)': use name, version_number, creation_timestamp or last_updated_timestamp, with ASC or DESC.")
        }
    }

    private static func clause(_ text: String) throws(MLflowError) -> (String, Bool) {
        let words = text.split(separator: " ").map(String.init)
        guard let column = words.first, words.count <= 2 else { throw .invalid("Invalid order_by clause '\(text)'.") }
        let direction = words.count == 2 ? words[1].uppercased() : "ASC"
        guard direction == "ASC" || direction == "DESC" else { throw .invalid("Invalid order_by direction in '\(text)'.") }
        return (column.trimmingCharacters(in: CharacterSet(charactersIn: "`")).lowercased(), direction == "ASC")
    }
}
