import Foundation
import Hummingbird
import MaestroEvents
import MaestroService

/// Identity and access under `/v1`, the token exchange and the key set.
///
/// A tenant's admin manages that tenant's principals, roles and keys. The platform admin (an
/// admin of tenant `default`) also creates tenants, acts in any tenant through the `tenant`
/// member, and rotates the signing keys.
struct IdentityAPI: Sendable {
    let store: IdentityStore
    let settings: GovernanceSettings
    static let platformTenant = "default"

    func register(on router: Router<MaestroRequestContext>) {
        router.get(".well-known/jwks.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "max-age=60"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: try await store.jwks())))
        }
        let v1 = router.group("v1").add(middleware: GovernanceErrorMiddleware())
        v1.post("tokens", use: exchangeToken)
        v1.get("me", use: me)
        v1.post("tenants", use: createTenant)
        v1.get("tenants", use: listTenants)
        v1.post("principals", use: createPrincipal)
        v1.get("principals", use: listPrincipals)
        v1.get("principals/:id", use: getPrincipal)
        v1.post("principals/:id/disable", use: disablePrincipal)
        v1.put("principals/:id/roles/:role", use: bindRole)
        v1.delete("principals/:id/roles/:role", use: unbindRole)
        v1.post("api-keys", use: createAPIKey)
        v1.get("api-keys", use: listAPIKeys)
        v1.post("api-keys/:id/revoke", use: revokeAPIKey)
        v1.post("signing-keys/rotate", use: rotateSigningKey)
    }

    /// `POST /v1/tokens`, open: an API key for a short-lived ES256 access token.
    @Sendable func exchangeToken(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: TokenRequest.self, context: context)
        let lifetime = body.lifetimeSeconds.map { Duration.seconds($0) } ?? settings.tokenLifetime
        guard lifetime >= .seconds(60), lifetime <= settings.maxTokenLifetime else {
            throw HTTPProblem.invalid([.init(field: "lifetime_seconds", message: "must be 60 to \(settings.maxTokenLifetime.components.seconds)")])
        }
        let (tenant, principal) = try await store.authenticate(body.apiKey)
        let token = try await store.issueToken(tenant: tenant, principal: principal, lifetime: lifetime)
        var response = try Response.json(TokenResponse(accessToken: token, tokenType: "Bearer", expiresIn: Int(lifetime.components.seconds)))
        response.headers[.cacheControl] = "no-store"
        return response
    }

    @Sendable func me(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        return try .json(MeBody(subject: principal.subject, tenant: principal.tenant, roles: principal.roles.map(\.rawValue).sorted(),
                                tokenID: principal.tokenID))
    }

    @Sendable func createTenant(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let admin = try platformAdmin(context)
        var request = request
        let body = try await request.decodeJSON(as: CreateTenantRequest.self, context: context)
        var validation = FieldValidation()
        validation.check(body.id.wholeMatch(of: /[a-z0-9][a-z0-9-]{0,62}/) != nil, "id", "must be 1 to 63 lowercase letters, digits or '-', starting with a letter or digit")
        validation.check((body.displayName?.count ?? 0) <= 256, "display_name", "at most 256 characters")
        try validation.validate()
        try await store.createTenant(id: body.id, displayName: body.displayName, actor: admin.subject)
        return try .json(TenantBody(id: body.id, displayName: body.displayName), status: .created)
    }

    @Sendable func listTenants(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        _ = try platformAdmin(context)
        return try .json(Page(items: try await store.tenants().map { TenantBody(id: $0.id, displayName: $0.displayName) }, nextPageToken: nil))
    }

    @Sendable func createPrincipal(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        _ = try context.require(.admin)
        var request = request
        let body = try await request.decodeJSON(as: CreatePrincipalRequest.self, context: context)
        let (tenant, actor) = try actingTenant(context, requested: body.tenant)
        var validation = FieldValidation()
        validation.check(!body.name.isEmpty && body.name.count <= 256 && !body.name.contains("/")
                         && !body.name.unicodeScalars.contains { $0.properties.generalCategory == .control }, "name",
                         "must be 1 to 256 characters without control characters or '/'")
        validation.check(GovernanceEvent.PrincipalKind(rawValue: body.kind ?? "user") != nil, "kind", "is user or service_account")
        for role in body.roles ?? [] { validation.check(GovernanceEvent.Role(rawValue: role) != nil, "roles", "'\(role)' is not viewer, editor, approver or admin") }
        try validation.validate()
        let principal = try await store.createPrincipal(tenant: tenant, name: body.name, kind: body.kind ?? "user", roles: body.roles ?? [], actor: actor)
        return try .json(PrincipalBody(principal, tenant: tenant), status: .created)
    }

    @Sendable func listPrincipals(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let (tenant, _) = try actingTenant(context, requested: request.formQuery["tenant"])
        return try .json(Page(items: try await store.principals(tenant: tenant).map { PrincipalBody($0, tenant: tenant) }, nextPageToken: nil))
    }

    @Sendable func getPrincipal(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let (tenant, _) = try actingTenant(context, requested: request.formQuery["tenant"])
        return try .json(PrincipalBody(try await store.principal(try context.uuidParameter("id"), tenant: tenant), tenant: tenant))
    }

    @Sendable func disablePrincipal(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let (tenant, actor) = try actingTenant(context, requested: request.formQuery["tenant"])
        let principal = try await store.disablePrincipal(try context.uuidParameter("id"), tenant: tenant, reason: request.formQuery["reason"], actor: actor)
        return try .json(PrincipalBody(principal, tenant: tenant))
    }

    @Sendable func bindRole(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let (tenant, actor) = try actingTenant(context, requested: request.formQuery["tenant"])
        let role = try context.roleParameter()
        return try .json(PrincipalBody(try await store.bind(role, to: try context.uuidParameter("id"), tenant: tenant, actor: actor), tenant: tenant))
    }

    @Sendable func unbindRole(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let (tenant, actor) = try actingTenant(context, requested: request.formQuery["tenant"])
        let role = try context.roleParameter()
        return try .json(PrincipalBody(try await store.unbind(role, from: try context.uuidParameter("id"), tenant: tenant, actor: actor), tenant: tenant))
    }

    @Sendable func createAPIKey(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        _ = try context.require(.admin)
        var request = request
        let body = try await request.decodeJSON(as: CreateAPIKeyRequest.self, context: context)
        let (tenant, actor) = try actingTenant(context, requested: body.tenant)
        guard let principal = UUID(uuidString: body.principalID) else {
            throw HTTPProblem.invalid([.init(field: "principal_id", message: "must be a principal id (UUID)")])
        }
        var validation = FieldValidation()
        validation.check((body.name?.count ?? 0) <= 256, "name", "at most 256 characters")
        validation.check(body.expiresAt.map { $0 > Date() } ?? true, "expires_at", "must be in the future")
        try validation.validate()
        let (record, secret) = try await store.createAPIKey(tenant: tenant, principal: principal, name: body.name, expiresAt: body.expiresAt, actor: actor)
        // The secret is in this answer only: nothing may keep it, the idempotency store included.
        var response = try Response.json(APIKeyBody(record, tenant: tenant, secret: secret), status: .created)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    @Sendable func listAPIKeys(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let (tenant, _) = try actingTenant(context, requested: request.formQuery["tenant"])
        return try .json(Page(items: try await store.apiKeys(tenant: tenant).map { APIKeyBody($0, tenant: tenant, secret: nil) }, nextPageToken: nil))
    }

    @Sendable func revokeAPIKey(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let (tenant, actor) = try actingTenant(context, requested: request.formQuery["tenant"])
        try await store.revokeAPIKey(try context.uuidParameter("id"), tenant: tenant, reason: request.formQuery["reason"], actor: actor)
        return Response(status: .noContent)
    }

    @Sendable func rotateSigningKey(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        _ = try platformAdmin(context)
        let kid = try await store.rotateSigningKey(lead: settings.keyPublishLead, tokenLifetime: settings.maxTokenLifetime)
        return try .json(RotationBody(kid: kid, signsAfterSeconds: Int(settings.keyPublishLead.components.seconds)))
    }

    private func platformAdmin(_ context: MaestroRequestContext) throws(HTTPProblem) -> Principal {
        let principal = try context.require(.admin)
        guard principal.tenant == Self.platformTenant else { throw .forbidden("This operation requires an admin of tenant '\(Self.platformTenant)'.") }
        return principal
    }

    /// The tenant an admin acts in: their own, or (platform admin only) the one they name.
    private func actingTenant(_ context: MaestroRequestContext, requested: String?) throws(HTTPProblem) -> (String, String) {
        let admin = try context.require(.admin)
        guard let requested, requested != admin.tenant else { return (admin.tenant, admin.subject) }
        guard admin.tenant == Self.platformTenant else { throw .notFound("Tenant '\(requested)' does not exist.") }
        return (requested, admin.subject)
    }
}

struct RotationBody: Encodable {
    let kid: String
    let signsAfterSeconds: Int

    enum CodingKeys: String, CodingKey {
        case kid, signsAfterSeconds = "signs_after_seconds"
    }
}

/// Maps ``GovernanceError`` to problems.
struct GovernanceErrorMiddleware: RouterMiddleware {
    typealias Context = MaestroRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as GovernanceError {
            throw error.problem
        }
    }
}

extension MaestroRequestContext {
    func uuidParameter(_ name: String) throws(HTTPProblem) -> UUID {
        guard let raw = parameters.get(name), let id = UUID(uuidString: raw) else {
            throw .badRequest("The \(name) must be a UUID.", errors: [.init(field: name, message: "must be a UUID")])
        }
        return id
    }

    func roleParameter() throws(HTTPProblem) -> String {
        guard let role = parameters.get("role"), GovernanceEvent.Role(rawValue: role) != nil else {
            throw .badRequest("The role must be viewer, editor, approver or admin.", errors: [.init(field: "role", message: "unknown role")])
        }
        return role
    }
}
