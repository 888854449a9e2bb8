import Foundation
import MaestroService

struct TokenRequest: StrictJSONBody {
    static let members: Set<String> = ["api_key", "lifetime_seconds"]
    var apiKey: String
    var lifetimeSeconds: Int64?

    enum CodingKeys: String, CodingKey {
        case apiKey = "api_key", lifetimeSeconds = "lifetime_seconds"
    }
}

struct TokenResponse: Encodable {
    let accessToken: String
    let tokenType: String
    let expiresIn: Int

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token", tokenType = "token_type", expiresIn = "expires_in"
    }
}

struct MeBody: Encodable {
    let subject: String
    let tenant: String
    let roles: [String]
    let tokenID: String

    enum CodingKeys: String, CodingKey {
        case subject, tenant, roles, tokenID = "token_id"
    }
}

struct CreateTenantRequest: StrictJSONBody {
    static let members: Set<String> = ["id", "display_name"]
    var id: String
    var displayName: String?

    enum CodingKeys: String, CodingKey {
        case id, displayName = "display_name"
    }
}

struct TenantBody: Encodable {
    let id: String
    let displayName: String?

    enum CodingKeys: String, CodingKey {
        case id, displayName = "display_name"
    }
}

struct CreatePrincipalRequest: StrictJSONBody {
    static let members: Set<String> = ["name", "kind", "roles", "tenant"]
    var name: String
    var kind: String?
    var roles: [String]?
    var tenant: String?
}

struct PrincipalBody: Encodable {
    let id: String
    let tenant: String
    let name: String
    let kind: String
    let roles: [String]
    let createdAt: Date
    let disabledAt: Date?

    init(_ principal: IdentityStore.PrincipalRecord, tenant: String) {
        id = principal.id.uuidString.lowercased()
        self.tenant = tenant
        name = principal.name
        kind = principal.kind
        roles = principal.roles
        createdAt = principal.createdAt
        disabledAt = principal.disabledAt
    }

    enum CodingKeys: String, CodingKey {
        case id, tenant, name, kind, roles, createdAt = "created_at", disabledAt = "disabled_at"
    }
}

struct CreateAPIKeyRequest: StrictJSONBody {
    static let members: Set<String> = ["principal_id", "name", "expires_at", "tenant"]
    var principalID: String
    var name: String?
    var expiresAt: Date?
    var tenant: String?

    enum CodingKeys: String, CodingKey {
        case principalID = "principal_id", name, expiresAt = "expires_at", tenant
    }
}

/// An API key's record; `api_key` (the secret) only in the answer that created it.
struct APIKeyBody: Encodable {
    let id: String
    let tenant: String
    let prefix: String
    let principalID: String
    let name: String?
    let expiresAt: Date?
    let revokedAt: Date?
    let lastUsedAt: Date?
    let createdAt: Date
    let apiKey: String?

    init(_ record: IdentityStore.APIKeyRecord, tenant: String, secret: String?) {
        id = record.id.uuidString.lowercased()
        self.tenant = tenant
        prefix = record.prefix
        principalID = record.principalID.uuidString.lowercased()
        name = record.name
        expiresAt = record.expiresAt
        revokedAt = record.revokedAt
        lastUsedAt = record.lastUsedAt
        createdAt = record.createdAt
        apiKey = secret
    }

    enum CodingKeys: String, CodingKey {
        case id, tenant, prefix, principalID = "principal_id", name, expiresAt = "expires_at", revokedAt = "revoked_at"
        case lastUsedAt = "last_used_at", createdAt = "created_at", apiKey = "api_key"
    }
}
