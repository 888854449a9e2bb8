import Foundation
import Logging
import MaestroDomain

extension IdentityStore {
    /// First start: the platform tenant, principal `admin` with the admin role, and an API key
    /// for it, either the one configured or a new one, which is returned so it can be shown
    /// once. Later starts find the tenant and do nothing (nil).
    func bootstrap(adminKey: String?) async throws -> String? {
        guard try await tenants().isEmpty else { return nil }
        let bootstrap = Caller(tenant: platformTenant, subject: "bootstrap", roles: [.admin])
        do {
            try await createTenant(id: platformTenant, displayName: "Default tenant", as: bootstrap)
        } catch GovernanceError.alreadyExists {
            return nil  // another replica bootstrapped first
        }
        let admin = try await createPrincipal(name: "admin", kind: "user", roles: ["admin"], as: bootstrap)
        let secret = adminKey.flatMap(APIKeySecret.init(parsing:)) ?? .generate()
        let (_, text) = try await createAPIKey(principal: admin.id, name: "bootstrap admin", expiresAt: nil, secret: secret, as: bootstrap)
        return text
    }

    /// Makes sure each service's account exists in the platform tenant (kind `service_account`,
    /// role viewer) with the given API key. Runs at every start; what exists is left alone. A
    /// name held by a user, or a key registered to someone else, is reported and skipped.
    func provisionServiceAccounts(_ keys: [String: String]) async throws {
        let caller = Caller(tenant: platformTenant, subject: "bootstrap", roles: [.admin])
        for (service, key) in keys.sorted(by: { $0.key < $1.key }) {
            if let holder = try? await authenticate(key) {
                if holder.tenant != platformTenant || holder.principal.name != service || holder.principal.kind != "service_account" {
                    logger.error("the API key given for service account \(service) belongs to another principal; not provisioned", metadata: ["service": "\(service)"])
                }
                continue
            }
            guard let secret = APIKeySecret(parsing: key) else { continue }
            let existing = try await principals(as: caller).first { Names.comparisonKey($0.name) == Names.comparisonKey(service) }
            if let existing, existing.kind != "service_account" || existing.disabledAt != nil {
                logger.error("principal \(existing.name) exists but is not an enabled service account; service account not provisioned", metadata: ["service": "\(service)"])
                continue
            }
            let account: PrincipalRecord
            if let existing { account = existing } else {
                account = try await createPrincipal(name: service, kind: "service_account", roles: ["viewer"], as: caller)
            }
            do {
                _ = try await createAPIKey(principal: account.id, name: "\(service) service account", expiresAt: nil, secret: secret, as: caller)
                logger.info("service account provisioned", metadata: ["service": "\(service)"])
            } catch {
                logger.error("the API key given for service account \(service) cannot be registered; not provisioned",
                             metadata: ["service": "\(service)", "error": "\(error)"])
            }
        }
    }
}
