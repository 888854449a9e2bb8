/// Why a registry operation was refused; each API maps it to its own error shape.
public enum RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The model, version, alias or promotion does not exist in the caller's tenant.
    case notFound(String)
    /// A model with that name already exists.
    case alreadyExists(String)
    /// The `If-Match` revision is not the current one.
    case stale
    /// A value breaks a rule: the field and what is wrong with it.
    case invalid(field: String, message: String)
    /// The request conflicts with the current state (e.g. a version that is not READY).
    case conflict(String)

    public var description: String {
        switch self {
        case .notFound(let what): "\(what) does not exist."
        case .alreadyExists(let what): "\(what) already exists."
        case .stale: "The resource changed since it was read; fetch it again."
        case .invalid(let field, let message): "\(field) \(message)"
        case .conflict(let detail): detail
        }
    }
}
