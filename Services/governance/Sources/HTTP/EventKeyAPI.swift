import Foundation
import Hummingbird
import MaestroBus
import MaestroDomain
import MaestroService

/// Governance's event key set: where consumers learn which key signs for which service.
///
/// - `GET /v1/event-keys`, open: the JWK Set of every trusted event key, each with the
///   service it signs for (`maestro_service`).
/// - `PUT /v1/event-keys/{kid}`: a service registers its Ed25519 public key (a JWK) with a token
///   of its own service account; `kid` must be the key's RFC 7638 thumbprint. 201 when new, 200
///   when already registered for the same service, 409 when registered for another.
struct EventKeyAPI: Sendable {
    let store: IdentityStore

    func register(_ routes: ServiceRoutes) {
        routes.open.get("v1/event-keys", use: keySet)
        routes.authenticated.put("v1/event-keys/:kid", use: registerKey)
    }

    @Sendable func keySet(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        var response = try Response.json(try await store.eventKeySet())
        response.headers[.cacheControl] = "no-cache"
        return response
    }

    @Sendable func registerKey(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        var request = request
        let kid = try context.parameters.require("kid")
        let body = try await request.decodeJSON(as: EventKeyBody.self, context: context)
        guard body.kty == "OKP", body.crv == "Ed25519" else {
            throw HTTPProblem.invalid([.init(field: "kty", message: "an event key is an Ed25519 key: kty OKP, crv Ed25519")])
        }
        let key = EventPublicKey(x: body.x, kid: kid, service: nil)
        guard key.key != nil else { throw HTTPProblem.invalid([.init(field: "x", message: "is not a base64url Ed25519 public key (32 bytes)")]) }
        guard kid == EventPublicKey.thumbprint(x: body.x), body.kid.map({ $0 == kid }) ?? true else {
            throw HTTPProblem.invalid([.init(field: "kid", message: "must be the key's RFC 7638 thumbprint, \(EventPublicKey.thumbprint(x: body.x))")])
        }
        guard let principalID = context.principal?.principalID.flatMap(UUID.init(uuidString:)) else {
            throw GovernanceError.forbidden("Only a service account's token, issued for its API key, registers an event key.")
        }
        let services = Set(ServiceCatalog.all.map(\.name)).subtracting([ServiceCatalog.governance.name])
        let created = try await store.registerEventKey(key, principalID: principalID, services: services, as: context.caller)
        let published = try await store.eventKeySet().keys.first { $0.kid == kid } ?? key
        return try .json(published, status: created ? .created : .ok)
    }
}

/// An Ed25519 public key as a JWK (RFC 8037).
struct EventKeyBody: StrictJSONBody {
    static let members: Set<String> = ["kty", "crv", "x", "kid", "alg", "use"]
    var kty: String
    var crv: String
    var x: String
    var kid: String?
    var alg: String?
    var use: String?
}
