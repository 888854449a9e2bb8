import Foundation
import MaestroBus
import MaestroDomain
import MaestroPostgres
import PostgresNIO

/// Governance as the trust root of event signatures: the services' public event keys, each
/// registered under the service account that speaks for the service.
extension IdentityStore {
    /// Registers `key` for the service the caller's account is named after. Only an enabled
    /// service account of the platform tenant named after one of `services` may register, and a
    /// key id belongs to one service for good.
    /// - Returns: whether the key is new (false: it was already registered for that service).
    func registerEventKey(_ key: EventPublicKey, principalID: UUID, services: Set<String>, as caller: Caller) async throws -> Bool {
        guard caller.tenant == platformTenant else {
            throw GovernanceError.forbidden("Only a service account of the platform tenant registers event keys.")
        }
        return try await database.transaction(caller) { tx in
            let principal = try await principal(principalID, on: tx)
            guard principal.kind == "service_account", principal.disabledAt == nil, services.contains(principal.name) else {
                throw GovernanceError.forbidden("Only the service account named after a Maestro service registers that service's event key; '\(principal.name)' is not one.")
            }
            let service = principal.name
            let inserted = try await tx.countRows("""
                INSERT INTO governance.event_keys VALUES (\(key.kid), \(service), \(principalID), \(key.x), \(Date()))
                ON CONFLICT (kid) DO NOTHING RETURNING 1
                """)
            if inserted == 1 { return true }
            for try await owner in try await tx.query("SELECT service FROM governance.event_keys WHERE kid = \(key.kid)").decode(String.self)
            where owner != service {
                throw GovernanceError.alreadyExists("Event key \(key.kid), registered for \(owner),")
            }
            return false
        }
    }

    /// Registers governance's own event key (it is the trust root: no account speaks for it).
    func registerOwnEventKey(_ key: EventPublicKey, service: String) async throws {
        try await database.execute("""
            INSERT INTO governance.event_keys VALUES (\(key.kid), \(service), NULL, \(key.x), \(Date()))
            ON CONFLICT (kid) DO NOTHING
            """)
    }

    /// The published event key set: governance's keys, and every key whose service account is
    /// still enabled (disabling the account withdraws its keys).
    func eventKeySet() async throws -> EventKeySet {
        let caller = Caller(tenant: platformTenant, subject: "governance")
        return try await database.transaction(caller) { tx in
            var keys: [EventPublicKey] = []
            for try await (kid, service, x) in try await tx.query("""
                SELECT k.kid, k.service, k.x FROM governance.event_keys k LEFT JOIN governance.principals p ON p.id = k.principal_id
                WHERE k.principal_id IS NULL OR (p.disabled_at IS NULL AND p.tenant_id = \(tx.tenant))
                ORDER BY k.registered_at, k.kid
                """).decode((String, String, String).self) {
                keys.append(EventPublicKey(x: x, kid: kid, service: service))
            }
            return EventKeySet(keys: keys)
        }
    }
}
