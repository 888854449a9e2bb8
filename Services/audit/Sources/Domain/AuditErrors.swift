import MaestroAuditLog
import MaestroDomain

/// A query that asks for something the log does not have: 404 for a missing entry, 422 for a
/// size beyond the log's, a reversed range or a report too large.
struct AuditQueryError: DomainError {
    enum Code { case noSuchEntry, beyondHead, badRange, tooLarge }
    let code: Code
    let description: String
    /// The query parameter at fault.
    var field = ""

    var kind: DomainErrorKind {
        code == .noSuchEntry ? .notFound : .invalid
    }

    var fieldErrors: [FieldError] {
        switch code {
        case .noSuchEntry: []
        case .beyondHead: [FieldError(field: field, message: "is beyond the log's size")]
        case .badRange: [FieldError(field: "first", message: "is greater than second")]
        case .tooLarge: [FieldError(field: "name", message: "has too many entries for one report")]
        }
    }

    static func noSuchEntry(_ index: Int, size: Int) -> AuditQueryError {
        AuditQueryError(code: .noSuchEntry, description: "The log has no entry \(index); its tree has \(size) entries.")
    }

    static func beyondHead(size: Int, current: Int, field: String) -> AuditQueryError {
        AuditQueryError(code: .beyondHead, description: "\(field) \(size) is beyond the log's current size, \(current).", field: field)
    }

    static func badRange(first: Int, second: Int) -> AuditQueryError {
        AuditQueryError(code: .badRange, description: "first (\(first)) must not be greater than second (\(second)).")
    }

    static func tooLarge(bytes: Int) -> AuditQueryError {
        AuditQueryError(code: .tooLarge, description: "The report's entries would take more than \(bytes >> 20) MB; export the model's entries instead (subject_prefix=models/<name>).")
    }

    static func tooLarge(limit: Int) -> AuditQueryError {
        AuditQueryError(code: .tooLarge, description: "The report would hold more than \(limit) entries; export the model's entries instead (subject_prefix=models/<name>).")
    }
}

/// Failures of the audit log that are not the caller's fault.
struct AuditLogError: Error, CustomStringConvertible {
    private enum Code { case corruptLogState, damage }
    private let code: Code
    let description: String
    /// The tenant whose log is damaged.
    var tenant = ""

    static func corruptLogState(_ tenant: String) -> AuditLogError {
        AuditLogError(code: .corruptLogState, description: "the stored state of log \(tenant) is not a valid tree edge")
    }

    static func damagedState(_ tenant: String, _ reason: String) -> AuditLogError {
        AuditLogError(code: .damage, description: "log \(tenant): \(reason)", tenant: tenant)
    }

    static func missingNode(_ tenant: String, _ missing: MissingNode) -> AuditLogError {
        AuditLogError(code: .damage, description: "log \(tenant): \(missing)", tenant: tenant)
    }

    /// The stored log is damaged (a hash missing or not what the state claims): tampering.
    var isDamage: Bool { code == .damage }
}
