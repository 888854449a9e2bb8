import Foundation
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
}
