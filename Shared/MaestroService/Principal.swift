import Foundation
import JWTKit
import MaestroDomain

/// The authenticated caller of a request, taken from a verified token.
public struct Principal: Sendable, Hashable {
    public let caller: Caller
    /// The token's `jti`.
    public let tokenID: String

    public init(subject: String, tenant: String, roles: Set<Role>, tokenID: String) {
        self.caller = Caller(tenant: tenant, subject: subject, roles: roles)
        self.tokenID = tokenID
    }

    public var subject: String { caller.subject }
    public var tenant: String { caller.tenant }
    public var roles: Set<Role> { caller.roles }
    public func has(_ role: Role) -> Bool { caller.has(role) }
}

/// The claims of a Maestro access token (ES256).
public struct MaestroClaims: JWTPayload, Sendable {
    /// Governance's issuer URL; every verifier compares it with its own `MAESTRO_GOVERNANCE_ISSUER`.
    public var iss: IssuerClaim
    public var sub: SubjectClaim
    public var tenant: String
    public var roles: [String]
    public var exp: ExpirationClaim
    public var iat: IssuedAtClaim
    public var jti: IDClaim

    public init(issuer: String, subject: String, tenant: String, roles: [String], issuedAt: Date, expiresAt: Date, id: String) {
        iss = IssuerClaim(value: issuer)
        sub = SubjectClaim(value: subject)
        self.tenant = tenant
        self.roles = roles
        exp = ExpirationClaim(value: expiresAt)
        iat = IssuedAtClaim(value: issuedAt)
        jti = IDClaim(value: id)
    }

    /// The current time in whole seconds: `iat` and `exp` are NumericDates (RFC 7519), and
    /// some verifiers refuse fractions.
    public static func now() -> Date {
        Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
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
