import Foundation
import JWTKit
import Logging
import MaestroDomain
import MaestroEvents
import MaestroRedis
import MaestroService
import Metrics

/// The one path from a verified API key to an access token, for `POST /v1/tokens` and
/// `POST /oauth/token` alike: the request rate limits, the token's claims and signature, and
/// the count of token requests by grant type and result.
struct TokenIssuer: Sendable {
    let store: IdentityStore
    /// The `iss` of every token (``ServiceConfiguration/tokenIssuer``).
    let issuer: String
    let perClient: RedisRateLimiter
    let perAddress: RedisRateLimiter
    let logger: Logger

    init(store: IdentityStore, issuer: String, redis: RedisClient, settings: GovernanceSettings, logger: Logger) {
        self.store = store
        self.issuer = issuer
        perClient = RedisRateLimiter(client: redis, capacity: settings.tokenRequestsPerMinute, refillPerSecond: Double(settings.tokenRequestsPerMinute) / 60,
                                     keyPrefix: "maestro:token-requests:client:")
        perAddress = RedisRateLimiter(client: redis, capacity: settings.tokenRequestsPerAddressPerMinute,
                                      refillPerSecond: Double(settings.tokenRequestsPerAddressPerMinute) / 60, keyPrefix: "maestro:token-requests:address:")
        self.logger = logger
    }

    /// Counts a token request against its client's and its source address's limits (both
    /// shared by every replica through Redis); returns how long to wait when either is spent.
    ///
    /// Fails open like the kit's limit: while Redis is unreachable, requests pass with a warning.
    func admit(client: String, address: String?) async -> Duration? {
        do {
            var wait: Duration = .zero
            let byClient = try await perClient.acquire("\(client.utf8.count):\(client)")
            if !byClient.allowed { wait = byClient.retryAfter }
            if let address {
                let byAddress = try await perAddress.acquire(address)
                if !byAddress.allowed { wait = max(wait, byAddress.retryAfter) }
            }
            return wait > .zero ? wait : nil
        } catch {
            logger.warning("token request rate limit not enforced: Redis unavailable", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// An ES256 token for the key's principal with `roles`, signed by the newest key that may sign.
    func issue(for key: IdentityStore.AuthenticatedKey, roles: [String], lifetime: Duration) async throws -> String {
        let (kid, pem) = try await store.signingKey()
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: try ES256PrivateKey(pem: pem), kid: JWKIdentifier(string: kid))
        let now = MaestroClaims.now()
        let claims = MaestroClaims(issuer: issuer, subject: key.principal.name, tenant: key.tenant, roles: roles, issuedAt: now,
                                   expiresAt: now.addingTimeInterval(lifetime.seconds), id: UUIDv7.string(),
                                   principalID: key.principal.id.uuidString.lowercased(), keyID: key.keyID.uuidString.lowercased())
        return try await keys.sign(claims, kid: JWKIdentifier(string: kid))
    }

    /// `maestro_token_requests_total{grant_type, result}`: `result` is `issued`, an OAuth error
    /// code, `rate_limited`, or `error` for a failure of the server's own.
    static func count(grantType: String, result: String) {
        Counter(label: "maestro_token_requests_total", dimensions: [("grant_type", grantType), ("result", result)]).increment()
    }
}
