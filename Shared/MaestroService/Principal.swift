import Foundation
import JWTKit
import MaestroDomain

/// The authenticated caller of a request, taken from a verified token.
public struct Principal: Sendable, Hashable {
    public let caller: Caller
    /// The token's `jti`.
    public let tokenID: String
    /// When the token was issued: a revocation after this refuses it.
    public let issuedAt: Date
    /// The principal's and the key's ids in governance, when the token names them.
    public let principalID: String?
    public let keyID: String?

    public init(subject: String, tenant: String, roles: Set<Role>, tokenID: String, issuedAt: Date = Date(), principalID: String? = nil,
                keyID: String? = nil) {
        self.caller = Caller(tenant: tenant, subject: subject, roles: roles)
        self.tokenID = tokenID
        self.issuedAt = issuedAt
        self.principalID = principalID
        self.keyID = keyID
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
    /// The principal's id in governance, so a revocation naming it (`principal.disabled`,
    /// `role_binding.revoked`) reaches its tokens; absent from development tokens.
    public var principalID: String?
    /// The API key the token was issued for, so `api_key.revoked` reaches its tokens.
    public var keyID: String?

    enum CodingKeys: String, CodingKey {
        case iss, sub, tenant, roles, exp, iat, jti, principalID = "principal_id", keyID = "key_id"
    }

    public init(issuer: String, subject: String, tenant: String, roles: [String], issuedAt: Date, expiresAt: Date, id: String,
                principalID: String? = nil, keyID: String? = nil) {
        self.principalID = principalID
        self.keyID = keyID
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
