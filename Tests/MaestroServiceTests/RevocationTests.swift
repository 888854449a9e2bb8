import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroBus
import MaestroEvents
import MaestroHTTPTestSupport
import MaestroRedis
@testable import MaestroService
import MaestroTestSupport
import Testing

/// Governance's revocations, applied by the kit's consumer to the Redis deny list, refuse every
/// token issued up to them for that principal or key, on every authenticated route.
@Suite("Token revocation (Redis)", .serialized, .timeLimit(.minutes(1)))
struct RevocationTests {
    static func event(_ payload: some EventPayload, tenant: String? = "acme") throws -> CloudEvent {
        try CloudEvent(source: "/maestro/governance", subject: "principals/x", tenant: tenant, payload: payload)
    }

    static func status(_ token: String, _ service: TestService) async throws -> (HTTPResponse.Status, String?) {
        try await service.application.test(.router) { client in
            let response = try await client.execute(uri: "/v1/items", method: .get, headers: .bearer(token))
            return (response.status, response.status == .ok ? nil : try response.problem().detail)
        }
    }

    @Test("a disabled principal's and a removed role's earlier tokens get 401 everywhere; a token issued after the revocation works")
    func principalRevocations() async throws {
        let service = try await TestService.make(redis: true)
        let revocations = RevocationList(redis: try #require(service.redis), logger: TestService.logger)
        let revocationEvents: [@Sendable (String, Date) throws -> CloudEvent] = [
            { (principal: String, at: Date) in try Self.event(GovernanceEvent.PrincipalDisabled(principalID: principal, disabledBy: "root", disabledAt: at)) },
            { (principal: String, at: Date) in
                try Self.event(GovernanceEvent.RoleBindingRevoked(bindingID: "b", principalID: principal, role: .editor, revokedBy: "root", revokedAt: at))
            },
        ]
        for (index, revoke) in revocationEvents.enumerated() {
            let principal = UUID().uuidString.lowercased()
            let old = try await service.keys.token(subject: "p\(index)", principalID: principal, keyID: UUID().uuidString.lowercased())
            let bystander = try await service.keys.token(subject: "q\(index)", principalID: UUID().uuidString.lowercased())
            #expect(try await Self.status(old, service).0 == .ok)
            try await revocations.apply(try revoke(principal, Date()))
            let refused = try await Self.status(old, service)
            #expect(refused.0 == .unauthorized)
            #expect(refused.1 == "The bearer token has been revoked.")
            #expect(try await Self.status(bystander, service).0 == .ok, "another principal is not affected")
            // Whole seconds: a token from the next second on is after the revocation.
            try await Task.sleep(for: .milliseconds(2100))
            let fresh = try await service.keys.token(subject: "p\(index)", principalID: principal)
            #expect(try await Self.status(fresh, service).0 == .ok)
            // The same principal in another tenant is another principal.
            let elsewhere = try await service.keys.token(subject: "p\(index)", tenant: "other", principalID: principal)
            #expect(try await Self.status(elsewhere, service).0 == .ok)
        }
        await service.shutdown()
    }

    @Test("a revoked key's tokens get 401; the principal's tokens from other keys keep working; redelivery and an older event change nothing")
    func keyRevocation() async throws {
        let service = try await TestService.make(redis: true)
        let revocations = RevocationList(redis: try #require(service.redis), logger: TestService.logger)
        let principal = UUID().uuidString.lowercased()
        let (keyA, keyB) = (UUID().uuidString.lowercased(), UUID().uuidString.lowercased())
        let tokenA = try await service.keys.token(principalID: principal, keyID: keyA)
        let tokenB = try await service.keys.token(principalID: principal, keyID: keyB)
        let revoked = try Self.event(GovernanceEvent.APIKeyRevoked(keyID: keyA, prefix: "0123456789ab", principalID: principal, revokedBy: "root",
                                                                    revokedAt: Date()))
        try await revocations.apply(revoked)
        try await revocations.apply(revoked)
        try await revocations.apply(try Self.event(GovernanceEvent.APIKeyRevoked(keyID: keyA, prefix: "0123456789ab", principalID: principal,
                                                                                  revokedBy: "root", revokedAt: Date(timeIntervalSinceNow: -3600))))
        #expect(try await Self.status(tokenA, service).0 == .unauthorized)
        #expect(try await Self.status(tokenB, service).0 == .ok)
        let ttl = try await service.redis!.send(["TTL", RevocationList.apiKeyKey(tenant: "acme", keyID: keyA)]).integer
        #expect(ttl.map { $0 > 12 * 3600 && $0 <= 12 * 3600 + 300 } == true, "kept as long as the longest token lives: \(String(describing: ttl))")
        await service.shutdown()
    }

    @Test("a cached read refuses a revoked token and a principal over its limit; a revoked token takes nothing from its principal's bucket")
    func cachedReadAdmission() async throws {
        let service = try await TestService.make(redis: true, environment: ["MAESTRO_RATE_LIMIT_BURST": "2", "MAESTRO_RATE_LIMIT_RPS": "0.05"])
        let redis = try #require(service.redis)
        let revocations = RevocationList(redis: redis, logger: TestService.logger)
        let (subject, principal) = ("cached-\(UUID().uuidString)", UUID().uuidString.lowercased())
        let (revokedKey, liveKey) = (UUID().uuidString.lowercased(), UUID().uuidString.lowercased())
        let revoked = try await service.keys.token(subject: subject, principalID: principal, keyID: revokedKey)
        let live = try await service.keys.token(subject: subject, principalID: principal, keyID: liveKey)
        let key = UUID().uuidString
        try await redis.set("test:cached:\(key)", "answer")
        try await revocations.apply(try Self.event(GovernanceEvent.APIKeyRevoked(keyID: revokedKey, prefix: "0123456789ab", principalID: principal,
                                                                                  revokedBy: "root", revokedAt: Date())))
        try await service.application.test(.router) { client in
            for _ in 0..<3 {
                let refused = try await client.execute(uri: "/v1/cached/\(key)", method: .get, headers: .bearer(revoked))
                #expect(refused.status == .unauthorized)
                #expect(try refused.problem().detail == "The bearer token has been revoked.")
            }
            for _ in 0..<2 {
                let answered = try await client.execute(uri: "/v1/cached/\(key)", method: .get, headers: .bearer(live))
                #expect(answered.status == .ok)
                #expect(answered.text == "answer")
            }
            let limited = try await client.execute(uri: "/v1/cached/\(key)", method: .get, headers: .bearer(live))
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] != nil)
            #expect(limited.text != "answer")
        }
        _ = try await redis.del("test:cached:\(key)")
        await service.shutdown()
    }

    @Test("a revocation without a tenant is rejected to the dead letters; other governance events are ignored")
    func badRevocations() async throws {
        let service = try await TestService.make(redis: true)
        let revocations = RevocationList(redis: try #require(service.redis), logger: TestService.logger)
        await #expect(throws: EventRejection.self) {
            try await revocations.apply(try Self.event(GovernanceEvent.PrincipalDisabled(principalID: "p", disabledBy: "root", disabledAt: Date()), tenant: nil))
        }
        try await revocations.apply(try Self.event(GovernanceEvent.PrincipalCreated(principalID: "p", kind: .user, displayName: "p", createdBy: "root",
                                                                                     createdAt: Date())))
        await service.shutdown()
    }
}
