import Foundation
import Hummingbird
import JWTKit
import MaestroDomain
import MaestroEvents
import MaestroService

/// Identity and access under `/v1`, the token exchange and the key set.
///
/// A tenant's admin manages that tenant's principals, roles and keys. The platform admin (an
/// admin of the platform tenant) also creates tenants, acts in any tenant through the `tenant`
/// member, and rotates the signing keys.
struct IdentityAPI: Sendable {
    let store: IdentityStore
    let tokens: TokenIssuer
    let settings: GovernanceSettings

    var platformTenant: String { store.platformTenant }

    func register(_ routes: ServiceRoutes) {
        routes.open.get(".well-known/jwks.json", use: jwks)
        routes.open.post("v1/tokens", use: exchangeToken)
        routes.authenticated.get("v1/me", use: me)

        let admin = routes.requiring(.admin)
        admin.post("v1/tenants", use: createTenant)
        admin.get("v1/tenants", use: listTenants)
        admin.post("v1/principals", use: createPrincipal)
        admin.get("v1/principals", use: listPrincipals)
        admin.get("v1/principals/:id", use: getPrincipal)
        admin.post("v1/principals/:id/disable", use: disablePrincipal)
        admin.put("v1/principals/:id/roles/:role", use: bindRole)
        admin.delete("v1/principals/:id/roles/:role", use: unbindRole)
        admin.post("v1/api-keys", use: createAPIKey)
        admin.get("v1/api-keys", use: listAPIKeys)
        admin.post("v1/api-keys/:id/revoke", use: revokeAPIKey)
        admin.post("v1/signing-keys/rotate", use: rotateSigningKey)
    }

    /// `GET /.well-known/jwks.json`, open: the keys every service verifies tokens with.
    @Sendable func jwks(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "max-age=60"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: try await store.jwks())))
    }

    /// `POST /v1/tokens`, open: an API key for a short-lived ES256 access token, under the
    /// same rate limits as `POST /oauth/token` (the client being the key's prefix).
    @Sendable func exchangeToken(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        do {
            var request = request
            let body = try await request.decodeJSON(as: TokenRequest.self, context: context)
            let lifetime = body.lifetimeSeconds.map { Duration.seconds($0) } ?? settings.tokenLifetime
            guard lifetime >= .seconds(60), lifetime <= settings.maxTokenLifetime else {
                throw HTTPProblem.invalid([.init(field: "lifetime_seconds", message: "must be 60 to \(settings.maxTokenLifetime.components.seconds)")])
            }
            let client = APIKeySecret(parsing: body.apiKey)?.prefix ?? "malformed"
            if let wait = await tokens.admit(client: client, address: context.peerAddress) {
                throw HTTPProblem.tooManyRequests(retryAfter: wait)
            }
            let key = try await store.authenticate(body.apiKey)
            let token = try await tokens.issue(for: key, roles: key.principal.roles, lifetime: lifetime)
            TokenIssuer.count(grantType: "api_key", result: "issued")
            var response = try Response.json(TokenResponse(accessToken: token, tokenType: "Bearer", expiresIn: Int(lifetime.components.seconds)))
            response.headers[.cacheControl] = "no-store"
            return response
        } catch {
            TokenIssuer.count(grantType: "api_key", result: Self.result(of: error))
            throw error
        }
    }

    /// A refused exchange as a `maestro_token_requests_total` result, in the token endpoint's terms.
    static func result(of error: any Error) -> String {
        switch error {
        case GovernanceError.invalidCredentials: "invalid_client"
        case let problem as HTTPProblem where problem.status == .tooManyRequests: "rate_limited"
        case let problem as HTTPProblem where problem.status.code < 500: "invalid_request"
        case is DecodingError: "invalid_request"
        default: "error"
        }
    }

    /// Any caller reads itself, as its token says.
    @Sendable func me(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        return try .json(MeBody(subject: principal.subject, tenant: principal.tenant, roles: principal.roles.map(\.rawValue).sorted(),
                                tokenID: principal.tokenID))
    }

    @Sendable func createTenant(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let admin = try context.caller.platformAdmin(platformTenant: platformTenant)
        var request = request
        let body = try await request.decodeJSON(as: CreateTenantRequest.self, context: context)
        var validation = FieldValidation()
        validation.check(Caller.isTenantID(body.id), "id", "must be 1 to 63 lowercase letters, digits or '-', starting with a letter or digit")
        validation.check((body.displayName?.count ?? 0) <= 256, "display_name", "at most 256 characters")
        try validation.validate()
        try await store.createTenant(id: body.id, displayName: body.displayName, as: admin)
        return try .json(TenantBody(id: body.id, displayName: body.displayName), status: .created)
    }

    @Sendable func listTenants(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        _ = try context.caller.platformAdmin(platformTenant: platformTenant)
        return try .json(Page(items: try await store.tenants().map { TenantBody(id: $0.id, displayName: $0.displayName) }, nextPageToken: nil))
    }

    @Sendable func createPrincipal(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: CreatePrincipalRequest.self, context: context)
        let caller = try context.caller.acting(in: body.tenant, platformTenant: platformTenant)
        var validation = FieldValidation()
        validation.check(!body.name.isEmpty && body.name.count <= 256 && !body.name.contains("/"), "name", "must be 1 to 256 characters without '/'")
        if let problem = Names.problem(body.name) { validation.check(false, "name", problem) }
        validation.check(GovernanceEvent.PrincipalKind(rawValue: body.kind ?? "user") != nil, "kind", "is user or service_account")
        let roles = body.roles ?? []
        if roles.count > GovernanceEvent.Role.allCases.count || Set(roles).count != roles.count {
            validation.check(false, "roles", "at most \(GovernanceEvent.Role.allCases.count) roles, each once")
        } else {
            for role in roles { validation.check(GovernanceEvent.Role(rawValue: role) != nil, "roles", "'\(role.prefix(64))' is not viewer, editor, approver or admin") }
        }
        try validation.validate()
        let principal = try await store.createPrincipal(name: body.name, kind: body.kind ?? "user", roles: body.roles ?? [], as: caller)
        return try .json(PrincipalBody(principal, tenant: caller.tenant), status: .created)
    }

    @Sendable func listPrincipals(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller.acting(in: request.formQuery["tenant"], platformTenant: platformTenant)
        return try .json(Page(items: try await store.principals(as: caller).map { PrincipalBody($0, tenant: caller.tenant) }, nextPageToken: nil))
    }

    @Sendable func getPrincipal(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller.acting(in: request.formQuery["tenant"], platformTenant: platformTenant)
        return try .json(PrincipalBody(try await store.principal(try context.uuidParameter("id"), as: caller), tenant: caller.tenant))
    }

    @Sendable func disablePrincipal(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller.acting(in: request.formQuery["tenant"], platformTenant: platformTenant)
        let principal = try await store.disablePrincipal(try context.uuidParameter("id"), reason: request.formQuery["reason"], as: caller)
        return try .json(PrincipalBody(principal, tenant: caller.tenant))
    }

    @Sendable func bindRole(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller.acting(in: request.formQuery["tenant"], platformTenant: platformTenant)
        let role = try context.roleParameter()
        return try .json(PrincipalBody(try await store.bind(role, to: try context.uuidParameter("id"), as: caller), tenant: caller.tenant))
    }

    @Sendable func unbindRole(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller.acting(in: request.formQuery["tenant"], platformTenant: platformTenant)
        let role = try context.roleParameter()
        return try .json(PrincipalBody(try await store.unbind(role, from: try context.uuidParameter("id"), as: caller), tenant: caller.tenant))
    }

    @Sendable func createAPIKey(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: CreateAPIKeyRequest.self, context: context)
        let caller = try context.caller.acting(in: body.tenant, platformTenant: platformTenant)
        guard let principal = UUID(uuidString: body.principalID) else {
            throw HTTPProblem.invalid([.init(field: "principal_id", message: "must be a principal id (UUID)")])
        }
        var validation = FieldValidation()
        validation.check((body.name?.count ?? 0) <= 256, "name", "at most 256 characters")
        validation.check(body.expiresAt.map { $0 > Date() } ?? true, "expires_at", "must be in the future")
        try validation.validate()
        let (record, secret) = try await store.createAPIKey(principal: principal, name: body.name, expiresAt: body.expiresAt, as: caller)
        // The secret is in this answer only: nothing may keep it, the idempotency store included.
        var response = try Response.json(APIKeyBody(record, tenant: caller.tenant, secret: secret), status: .created)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    @Sendable func listAPIKeys(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller.acting(in: request.formQuery["tenant"], platformTenant: platformTenant)
        return try .json(Page(items: try await store.apiKeys(as: caller).map { APIKeyBody($0, tenant: caller.tenant, secret: nil) }, nextPageToken: nil))
    }

    @Sendable func revokeAPIKey(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.caller.acting(in: request.formQuery["tenant"], platformTenant: platformTenant)
        try await store.revokeAPIKey(try context.uuidParameter("id"), reason: request.formQuery["reason"], as: caller)
        return Response(status: .noContent)
    }

    @Sendable func rotateSigningKey(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        _ = try context.caller.platformAdmin(platformTenant: platformTenant)
        let kid = try await store.rotateSigningKey(lead: settings.keyPublishLead, tokenLifetime: settings.maxTokenLifetime)
        return try .json(RotationBody(kid: kid, signsAfterSeconds: Int(settings.keyPublishLead.components.seconds)))
    }
}

struct RotationBody: Encodable {
    let kid: String
    let signsAfterSeconds: Int

    enum CodingKeys: String, CodingKey {
        case kid, signsAfterSeconds = "signs_after_seconds"
    }
}

extension MaestroRequestContext {
    /// The `role` path parameter, as given: one of the roles governance binds; 400 otherwise.
    func roleParameter() throws(HTTPProblem) -> String {
        guard let role = parameters.get("role"), GovernanceEvent.Role(rawValue: role) != nil else {
            throw .badRequest("The role must be viewer, editor, approver or admin.", errors: [.init(field: "role", message: "unknown role")])
        }
        return role
    }
}
