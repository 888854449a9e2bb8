/// A role in a tenant.
///
/// Roles imply others: every role includes `viewer`, and `admin` includes every role.
/// `approver` does not include `editor`: deciding an approval and making the change it
/// approves stay separate.
public struct Role: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// Reads.
    public static let viewer = Role(rawValue: "viewer")
    /// Writes.
    public static let editor = Role(rawValue: "editor")
    /// Decides approvals.
    public static let approver = Role(rawValue: "approver")
    /// Manages tenants, keys and policies; holds every role.
    public static let admin = Role(rawValue: "admin")

    public static let known: Set<Role> = [.viewer, .editor, .approver, .admin]

    public var description: String { rawValue }
}

/// Who is acting, in which tenant: a request's verified token, or the principal named by an
/// event a consumer acts on. Every tenant transaction is opened for one caller's tenant.
public struct Caller: Sendable, Hashable {
    public let tenant: String
    /// The acting principal: a token's `sub`, or an event's `authid`.
    public let subject: String
    public let roles: Set<Role>

    public init(tenant: String, subject: String, roles: Set<Role> = []) {
        self.tenant = tenant
        self.subject = subject
        self.roles = roles
    }

    /// Whether `text` can be a tenant id: 1 to 63 lowercase letters, digits or '-', starting
    /// with a letter or digit. Anything else names no tenant.
    public static func isTenantID(_ text: String) -> Bool {
        text.wholeMatch(of: /[a-z0-9][a-z0-9-]{0,62}/) != nil
    }

    /// Whether the caller holds `role`, directly or through a role that implies it.
    public func has(_ role: Role) -> Bool {
        if roles.contains(role) || roles.contains(.admin) { return true }
        return role == .viewer && !roles.isDisjoint(with: Role.known)
    }

    /// An admin of the platform tenant: administers other tenants and platform-wide records.
    public func isPlatformAdmin(platformTenant: String) -> Bool {
        tenant == platformTenant && has(.admin)
    }
}
