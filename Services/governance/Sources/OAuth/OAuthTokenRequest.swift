import Foundation
import Hummingbird
import MaestroDomain
import MaestroService

/// A request to `POST /oauth/token` (RFC 6749), read and checked before any credential is
/// looked up: a form body, each parameter at most once (§3.2), one client authentication
/// method (§2.3), known roles as scopes.
struct OAuthTokenRequest: Sendable {
    /// A client's id and secret, from HTTP Basic (`client_secret_basic`) or the body (`client_secret_post`).
    struct ClientCredentials: Sendable {
        let id: String
        let secret: String
    }

    enum Grant: Sendable {
        /// §4.4: the client is a service account's API key.
        case clientCredentials(ClientCredentials)
        /// §4.3: `username` is a principal's name and `password` one of its API keys; the client
        /// may identify itself (`client_id`) and authenticate (an API key of the same principal).
        case password(username: String, password: String, clientID: String?, client: ClientCredentials?)
    }

    static let grantTypes = ["client_credentials", "password"]
    /// Larger token requests are refused; a real one is a few hundred bytes.
    static let maxBodyBytes = 8 * 1024

    let grant: Grant
    /// The roles asked for, in the order given; `nil` when `scope` is absent (every role the principal holds).
    let scope: [Role]?

    /// The name the per-client rate limit counts under: the client id, else the username.
    var clientName: String {
        switch grant {
        case .clientCredentials(let client): client.id
        case .password(let username, _, let clientID, let client): client?.id ?? clientID ?? username
        }
    }

    var grantType: String {
        switch grant {
        case .clientCredentials: "client_credentials"
        case .password: "password"
        }
    }

    /// The grant type as a metric label: one of the supported ones, else `other`.
    static func grantTypeLabel(_ form: FormQuery?) -> String {
        form?["grant_type"].flatMap { grantTypes.contains($0) ? $0 : nil } ?? "other"
    }

    /// Reads the request's form; `form` is set as soon as the body is read, for the caller's metrics.
    static func read(_ request: Request, form: inout FormQuery?) async throws(OAuthError) -> OAuthTokenRequest {
        let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "application/x-www-form-urlencoded" else {
            throw .invalidRequest("The token request must be application/x-www-form-urlencoded.")
        }
        if FormQuery(request.uri.query).pairs.contains(where: { ["client_secret", "password"].contains($0.key) }) {
            throw .invalidRequest("Credentials belong in the request body, never in the URL.")
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maxBodyBytes)
        } catch {
            throw .invalidRequest("The token request is larger than \(maxBodyBytes) bytes.", status: .contentTooLarge)
        }
        guard let text = String(validating: body.readableBytesView, as: UTF8.self) else {
            throw .invalidRequest("The token request is not UTF-8.")
        }
        let parsed = FormQuery(text)
        form = parsed
        guard parsed.isWellFormed else { throw .invalidRequest("The token request is not valid form encoding.") }
        var seen: Set<String> = []
        for (key, _) in parsed.pairs where !seen.insert(key).inserted {
            throw .invalidRequest("The parameter '\(key.prefix(64))' is given more than once.")
        }
        return try OAuthTokenRequest(form: parsed, authorization: request.headers[.authorization])
    }

    init(form: FormQuery, authorization: String?) throws(OAuthError) {
        func parameter(_ name: String) -> String? {
            form[name].flatMap { $0.isEmpty ? nil : $0 }
        }
        guard let grantType = parameter("grant_type") else { throw .invalidRequest("The parameter 'grant_type' is required.") }
        guard Self.grantTypes.contains(grantType) else {
            throw .unsupportedGrantType("The grant type must be client_credentials or password.")
        }
        let basic = try authorization.map(Self.basicCredentials)
        if let basic {
            if parameter("client_secret") != nil { throw .invalidRequest("Use one client authentication method: HTTP Basic or client_secret, not both.") }
            if let id = parameter("client_id"), id != basic.id { throw .invalidRequest("The client_id differs from the one in the Authorization header.") }
        }
        let posted = parameter("client_id").flatMap { id in parameter("client_secret").map { ClientCredentials(id: id, secret: $0) } }
        let client = basic ?? posted
        if grantType == "client_credentials" {
            guard let client else { throw .invalidClient }
            grant = .clientCredentials(client)
        } else {
            guard let username = parameter("username"), let password = parameter("password") else {
                throw .invalidRequest("The password grant needs 'username' and 'password'.")
            }
            if client == nil && parameter("client_secret") != nil { throw .invalidClient }
            grant = .password(username: username, password: password, clientID: parameter("client_id"), client: client)
        }
        scope = try form["scope"].map(Self.roles)
    }

    /// `Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1).
    static func basicCredentials(_ header: String) throws(OAuthError) -> ClientCredentials {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic", let decoded = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
              let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":") else { throw .invalidClient }
        let form = FormQuery("id=\(text[..<colon])&secret=\(text[text.index(after: colon)...])")
        guard form.isWellFormed, let id = form["id"], let secret = form["secret"], !id.isEmpty, !secret.isEmpty else { throw .invalidClient }
        return ClientCredentials(id: id, secret: secret)
    }

    /// The roles a `scope` names: space-separated, each a role Maestro grants.
    static func roles(_ scope: String) throws(OAuthError) -> [Role] {
        var roles: [Role] = []
        for name in scope.split(separator: " ") {
            let role = Role(rawValue: String(name))
            guard Role.known.contains(role) else {
                throw .invalidScope("Unknown scope '\(name.prefix(64))'; the scopes are the roles viewer, editor, approver and admin.")
            }
            if !roles.contains(role) { roles.append(role) }
        }
        guard !roles.isEmpty else { throw .invalidScope("The scope is empty; omit it to get every role.") }
        return roles
    }
}
