import Foundation
import HTTPTypes
import Hummingbird
import MaestroDomain
import MaestroEvents
import MaestroService

/// Standard sign-in, so OAuth 2.0 and OpenID Connect clients authenticate unchanged:
/// `POST /oauth/token` (RFC 6749, client credentials and password grants) and the provider
/// metadata at `/.well-known/openid-configuration` and `/.well-known/oauth-authorization-server`.
///
/// Every credential is an API key. The password of the password grant is an API key of the
/// principal named by `username`, never a human password: Maestro stores no passwords.
struct OAuthAPI: Sendable {
    let store: IdentityStore
    let tokens: TokenIssuer
    let settings: GovernanceSettings

    func register(_ routes: ServiceRoutes) {
        routes.open.post("oauth/token", use: token)
        routes.open.get(".well-known/openid-configuration", use: discovery)
        routes.open.get(".well-known/oauth-authorization-server", use: discovery)
    }

    /// `POST /oauth/token`: a form in, `{access_token, token_type, expires_in, scope}` out.
    @Sendable func token(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        var form: FormQuery?
        do {
            let tokenRequest = try await OAuthTokenRequest.read(request, form: &form)
            if let wait = await tokens.admit(client: tokenRequest.clientName, address: context.peerAddress) {
                throw OAuthError.rateLimited(retryAfter: wait)
            }
            let key = try await authenticate(tokenRequest.grant)
            let held = Caller(tenant: key.tenant, subject: key.principal.name, roles: Set(key.principal.roles.map(Role.init(rawValue:))))
            let roles = try (tokenRequest.scope ?? key.principal.roles.map(Role.init(rawValue:))).map { role throws(OAuthError) in
                guard held.has(role) else { throw OAuthError.invalidScope("The principal does not hold the role '\(role)'.") }
                return role.rawValue
            }
            let lifetime = settings.tokenLifetime
            let token = try await tokens.issue(for: key, roles: roles, lifetime: lifetime)
            TokenIssuer.count(grantType: tokenRequest.grantType, result: "issued")
            var response = try Response.json(OAuthTokenBody(accessToken: token, tokenType: "Bearer", expiresIn: Int(lifetime.components.seconds),
                                                            scope: roles.joined(separator: " ")))
            response.headers[.cacheControl] = "no-store"
            response.headers[.pragma] = "no-cache"
            return response
        } catch let refusal as OAuthError {
            let result = refusal.code == .temporarilyUnavailable ? "rate_limited" : refusal.code.rawValue
            TokenIssuer.count(grantType: OAuthTokenRequest.grantTypeLabel(form), result: result)
            throw refusal
        } catch {
            TokenIssuer.count(grantType: OAuthTokenRequest.grantTypeLabel(form), result: "error")
            throw error
        }
    }

    /// The key a grant's credentials stand for. A bad client is `invalid_client`, a bad
    /// username or password `invalid_grant`, each always with the same description.
    private func authenticate(_ grant: OAuthTokenRequest.Grant) async throws -> IdentityStore.AuthenticatedKey {
        switch grant {
        case .clientCredentials(let client):
            guard let key = try await verified(client.secret), key.isNamed(by: client.id) else { throw OAuthError.invalidClient }
            return key
        case .password(let username, let password, _, let client):
            guard let key = try await verified(password), key.principal.name == username else { throw OAuthError.invalidGrant }
            if let client {
                // The client authenticates as a key of the same principal.
                guard let clientKey = try await verified(client.secret), clientKey.isNamed(by: client.id),
                      clientKey.tenant == key.tenant, clientKey.principal.id == key.principal.id else { throw OAuthError.invalidClient }
            }
            return key
        }
    }

    /// The key `secret` is, or `nil` when it is not a valid key; the store's other failures pass.
    private func verified(_ secret: String) async throws -> IdentityStore.AuthenticatedKey? {
        do {
            return try await store.authenticate(secret)
        } catch GovernanceError.invalidCredentials {
            return nil
        }
    }

    /// The provider metadata (OpenID Connect Discovery 1.0, RFC 8414), built from the issuer URL.
    @Sendable func discovery(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        var response = try Response.json(ProviderMetadata(issuer: tokens.issuer))
        response.headers[.cacheControl] = "max-age=300"
        return response
    }
}

struct OAuthTokenBody: Encodable {
    let accessToken: String
    let tokenType: String
    let expiresIn: Int
    let scope: String

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token", tokenType = "token_type", expiresIn = "expires_in", scope
    }
}

/// What a client needs to find the token endpoint and the keys. There is no authorization
/// endpoint (no browser sign-in), so no grant uses one.
struct ProviderMetadata: Encodable {
    let issuer: String
    let tokenEndpoint: String
    let jwksURI: String
    let grantTypesSupported = OAuthTokenRequest.grantTypes
    let tokenEndpointAuthMethodsSupported = ["client_secret_basic", "client_secret_post"]
    let idTokenSigningAlgValuesSupported = ["ES256"]
    let scopesSupported = GovernanceEvent.Role.allCases.map(\.rawValue)
    let responseTypesSupported = ["token"]
    let subjectTypesSupported = ["public"]
    let claimsSupported = ["iss", "sub", "tenant", "roles", "exp", "iat", "jti", "principal_id", "key_id"]

    init(issuer: String) {
        self.issuer = issuer
        tokenEndpoint = issuer + "/oauth/token"
        jwksURI = issuer + "/.well-known/jwks.json"
    }

    enum CodingKeys: String, CodingKey {
        case issuer, tokenEndpoint = "token_endpoint", jwksURI = "jwks_uri", grantTypesSupported = "grant_types_supported"
        case tokenEndpointAuthMethodsSupported = "token_endpoint_auth_methods_supported"
        case idTokenSigningAlgValuesSupported = "id_token_signing_alg_values_supported", scopesSupported = "scopes_supported"
        case responseTypesSupported = "response_types_supported", subjectTypesSupported = "subject_types_supported"
        case claimsSupported = "claims_supported"
    }
}
