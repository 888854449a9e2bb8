import Foundation
import JWTKit

/// A role in a tenant (DESIGN §5).
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

    static let known: Set<Role> = [.viewer, .editor, .approver, .admin]

    public var description: String { rawValue }
}

/// The authenticated caller of a request, taken from a verified token.
public struct Principal: Sendable, Hashable {
    public let subject: String
    public let tenant: String
    public let roles: Set<Role>
    /// The token's `jti`.
    public let tokenID: String

    public init(subject: String, tenant: String, roles: Set<Role>, tokenID: String) {
        self.subject = subject
        self.tenant = tenant
        self.roles = roles
        self.tokenID = tokenID
    }

    /// Whether the caller holds `role`, directly or through a role that implies it.
    public func has(_ role: Role) -> Bool {
        if roles.contains(role) || roles.contains(.admin) { return true }
        return role == .viewer && !roles.isDisjoint(with: Role.known)
    }
}

/// The claims of a Maestro access token (ES256).
public struct MaestroClaims: JWTPayload, Sendable {
    public var sub: SubjectClaim
    public var tenant: String
    public var roles: [String]
    public var exp: ExpirationClaim
    public var iat: IssuedAtClaim
    public var jti: IDClaim

    public init(subject: String, tenant: String, roles: [String], issuedAt: Date, expiresAt: Date, id: String) {
        sub = SubjectClaim(value: subject)
        self.tenant = tenant
        self.roles = roles
        exp = ExpirationClaim(value: expiresAt)
        iat = IssuedAtClaim(value: issuedAt)
        jti = IDClaim(value: id)
    }

    /// Checked after the signature: not expired, not issued in the future (beyond a minute
    /// of clock skew), and naming a subject and a tenant.
    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        guard iat.value.timeIntervalSinceNow <= 60, !sub.value.isEmpty, !tenant.isEmpty, !jti.value.isEmpty else {
            throw JWTError.claimVerificationFailure(failedClaim: nil, reason: "invalid claims")
        }
    }
}
