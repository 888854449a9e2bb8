import Foundation
import Logging
import MaestroBus
import MaestroDomain
import MaestroEvents
import MaestroRedis

/// Revocations that take effect before tokens expire, shared by every service and replica
/// through Redis.
///
/// Governance announces `principal.disabled`, `role_binding.revoked` and `api_key.revoked`;
/// every service's revocation consumer (``consumerName``) records the time of each against
/// the principal or key it names, and any token issued at or before that time for that
/// principal or key is refused (``denial(for:)``). A principal who keeps other roles signs in
/// again and gets a token issued after the revocation. An entry expires after the longest token
/// lifetime (``retention``), when no token it could refuse is still valid.
///
/// Checked on every authenticated request by ``RequestAdmission``, in the same Redis script as
/// the rate limit. **Fails open**, like the rate limit: while Redis is unreachable, tokens are
/// not checked against revocations (a warning is logged), rather than every request failing.
public struct RevocationList: Sendable {
    /// The kit's consumer of governance's revocations, in every service.
    public static let consumerName = "revocations"
    /// Longer than the longest token governance issues (12 hours).
    public static let retention: Duration = .seconds(12 * 3600 + 300)

    let redis: RedisClient
    let logger: Logger

    public init(redis: RedisClient, logger: Logger) {
        self.redis = redis
        self.logger = logger
    }

    static func principalKey(tenant: String, principalID: String) -> String {
        "maestro:revoked:principal:\(tenant.utf8.count):\(tenant):\(principalID)"
    }

    static func apiKeyKey(tenant: String, keyID: String) -> String {
        "maestro:revoked:key:\(tenant.utf8.count):\(tenant):\(keyID)"
    }

    /// The entries that would refuse the principal's token; `nil` when it names neither a
    /// principal nor a key.
    public static func denial(for principal: Principal) -> RedisRateLimiter.Denial? {
        var keys: [String] = []
        if let id = principal.principalID { keys.append(principalKey(tenant: principal.tenant, principalID: id)) }
        if let id = principal.keyID { keys.append(apiKeyKey(tenant: principal.tenant, keyID: id)) }
        return keys.isEmpty ? nil : RedisRateLimiter.Denial(keys: keys, issuedAt: principal.issuedAt.timeIntervalSince1970)
    }

    /// Records a revocation at `time` (the latest of several wins), kept for ``retention``.
    func revoke(key: String, at time: Date) async throws(RedisError) {
        // The exact time: a token's `iat` is whole seconds, so one issued in the revocation's own
        // second is refused (`iat <= time`) and one from the next second on is not.
        _ = try await redis.evalsha(Self.keepLatest, keys: [key],
                                    arguments: [String(time.timeIntervalSince1970), String(Self.retention.components.seconds)])
    }

    /// KEYS[1]: the entry; ARGV: the revocation time (epoch seconds), the TTL in seconds.
    static let keepLatest = RedisScript("""
        local current = tonumber(redis.call('GET', KEYS[1]))
        if current == nil or current < tonumber(ARGV[1]) then
            redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
        end
        return 1
        """)

    /// Applies one governance event; events other than the three revocations are ignored.
    /// Idempotent: a redelivered event records the same time again.
    public func apply(_ event: CloudEvent) async throws {
        let key: String
        let time: Date
        switch event.type {
        case GovernanceEvent.PrincipalDisabled.eventType.name:
            let payload = try event.payload(as: GovernanceEvent.PrincipalDisabled.self)
            key = Self.principalKey(tenant: try tenant(of: event), principalID: payload.principalID)
            time = payload.disabledAt
        case GovernanceEvent.RoleBindingRevoked.eventType.name:
            let payload = try event.payload(as: GovernanceEvent.RoleBindingRevoked.self)
            key = Self.principalKey(tenant: try tenant(of: event), principalID: payload.principalID)
            time = payload.revokedAt
        case GovernanceEvent.APIKeyRevoked.eventType.name:
            let payload = try event.payload(as: GovernanceEvent.APIKeyRevoked.self)
            key = Self.apiKeyKey(tenant: try tenant(of: event), keyID: payload.keyID)
            time = payload.revokedAt
        default:
            return
        }
        try await revoke(key: key, at: time)
    }

    private func tenant(of event: CloudEvent) throws -> String {
        guard let tenant = event.tenant, !tenant.isEmpty else { throw EventRejection("a revocation carries no tenant") }
        return tenant
    }
}
