import Foundation
import Logging

extension IdentityStore {
    /// First start: tenant `default`, principal `admin` with the admin role, and an API key
    /// for it, either the one configured or a new one, which is returned so it can be shown
    /// once. Later starts find the tenant and do nothing (nil).
    func bootstrap(adminKey: String?) async throws -> String? {
        guard try await tenants().isEmpty else { return nil }
        do {
            try await createTenant(id: IdentityAPI.platformTenant, displayName: "Default tenant", actor: "bootstrap")
        } catch GovernanceError.alreadyExists {
            return nil  // another replica bootstrapped first
        }
        let admin = try await createPrincipal(tenant: IdentityAPI.platformTenant, name: "admin", kind: "user", roles: ["admin"], actor: "bootstrap")
        let secret = adminKey.flatMap(APIKeySecret.init(parsing:)) ?? .generate()
        let (_, text) = try await createAPIKey(tenant: IdentityAPI.platformTenant, principal: admin.id, name: "bootstrap admin",
                                               expiresAt: nil, actor: "bootstrap", secret: secret)
        return text
    }
}
