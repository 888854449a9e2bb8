import Foundation
import Hummingbird
import HummingbirdTesting
import JWTKit
import MaestroHTTPTestSupport
import MaestroDomain
import MaestroService
import MaestroTestSupport
import Testing

/// Every claim of a Maestro token but `iss`.
struct ClaimsWithoutIssuer: JWTPayload {
    var sub: SubjectClaim
    var tenant: String
    var roles: [String]
    var exp: ExpirationClaim
    var iat: IssuedAtClaim
    var jti: IDClaim

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

@Suite("Authentication and roles")
struct AuthenticationTests {
    func expectUnauthorized(_ headers: HTTPFields, _ service: TestService) async throws {
        try await service.application.test(.router) { client in
            let response = try await client.execute(uri: "/v1/items", method: .get, headers: headers)
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate] == "Bearer")
            let problem = try response.problem()
            #expect(problem.status == 401)
            #expect(problem.type == "urn:maestro:problem:unauthorized")
            #expect(problem.title == "Unauthorized")
            #expect(problem.instance == "/v1/items")
            #expect(!problem.detail.isEmpty)
        }
    }

    @Test func aValidTokenIsAccepted() async throws {
        let service = try await TestService.make()
        let token = try await service.keys.token()
        try await service.application.test(.router) { client in
            let response = try await client.execute(uri: "/v1/items", method: .get, headers: .bearer(token))
            #expect(response.status == .ok)
        }
    }

    @Test func aMissingTokenIs401() async throws {
        try await expectUnauthorized([:], try await TestService.make())
    }

    @Test func aNonBearerSchemeIs401() async throws {
        try await expectUnauthorized([.authorization: "Basic YWxpY2U6c2VjcmV0"], try await TestService.make())
    }

    @Test func anExpiredTokenIs401() async throws {
        let service = try await TestService.make()
        let token = try await service.keys.token(expiresIn: -120)
        try await expectUnauthorized(.bearer(token), service)
    }

    @Test func anAlgNoneTokenIs401() async throws {
        let service = try await TestService.make()
        let valid = try await service.keys.token()
        let payload = valid.split(separator: ".")[1]
        let header = Data(#"{"alg":"none","typ":"JWT","kid":"test-key"}"#.utf8).base64URL
        try await expectUnauthorized(.bearer("\(header).\(payload)."), service)
        try await expectUnauthorized(.bearer("\(header).\(payload).c2lnbmF0dXJl"), service)
    }

    @Test func aTokenSignedByAForeignKeyIs401() async throws {
        let service = try await TestService.make()
        let foreign = try await TestKeys.make(kid: "test-key")
        try await expectUnauthorized(.bearer(try await foreign.token(roles: ["admin"])), service)
    }

    @Test func aTokenWhoseTenantWasEditedAfterSigningIs401() async throws {
        let service = try await TestService.make()
        let token = try await service.keys.token(tenant: "acme")
        let parts = token.split(separator: ".").map(String.init)
        let payload = try #require(Data(base64URL: parts[1]))
        var claims = try #require(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
        #expect(claims["tenant"] as? String == "acme")
        claims["tenant"] = "globex"
        let edited = try JSONSerialization.data(withJSONObject: claims).base64URL
        try await expectUnauthorized(.bearer("\(parts[0]).\(edited).\(parts[2])"), service)
    }

    @Test func aTokenFromAnotherIssuerIs401() async throws {
        let service = try await TestService.make()
        for issuer in ["https://governance.other.example", ServiceConfiguration.defaultTokenIssuer + "/", ""] {
            try await expectUnauthorized(.bearer(try await service.keys.token(issuer: issuer)), service)
        }
    }

    @Test func aTokenWithoutAnIssuerIs401() async throws {
        let service = try await TestService.make()
        // Signed by the trusted key: only the missing claim can make it fail.
        let pem = try String(contentsOfFile: (service.keys.jwksPath as NSString).deletingLastPathComponent + "/" + DevSigningKey.privateKeyFile, encoding: .utf8)
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: try ES256PrivateKey(pem: pem), kid: "test-key")
        let now = Date()
        let token = try await keys.sign(ClaimsWithoutIssuer(sub: .init(value: "alice"), tenant: "acme", roles: ["viewer"], exp: .init(value: now + 300),
                                                             iat: .init(value: now), jti: .init(value: UUID().uuidString)), kid: "test-key")
        try await expectUnauthorized(.bearer(token), service)
    }

    @Test func aGarbageTokenIs401() async throws {
        try await expectUnauthorized(.bearer("not.a.jwt"), try await TestService.make())
    }

    @Test func aMissingRoleIs403() async throws {
        let service = try await TestService.make()
        let viewer = try await service.keys.token(roles: ["viewer"])
        let editor = try await service.keys.token(roles: ["editor"])
        let admin = try await service.keys.token(roles: ["admin"])
        try await service.application.test(.router) { client in
            let write = try await client.execute(uri: "/v1/items", method: .post, headers: .json(viewer),
                                                 body: ByteBuffer(string: #"{"name":"a","size":1}"#))
            #expect(write.status == .forbidden)
            let problem = try write.problem()
            #expect(problem.status == 403)
            #expect(problem.type == "urn:maestro:problem:forbidden")

            let approve = try await client.execute(uri: "/v1/approvals", method: .post, headers: .bearer(editor))
            #expect(approve.status == .forbidden)
            #expect(try approve.problem().detail.contains("approver"))

            let asAdmin = try await client.execute(uri: "/v1/approvals", method: .post, headers: .bearer(admin))
            #expect(asAdmin.status == .noContent)
            let editorReads = try await client.execute(uri: "/v1/items", method: .get, headers: .bearer(editor))
            #expect(editorReads.status == .ok)
        }
    }

    @Test func roleImplications() {
        let approver = Principal(subject: "s", tenant: "t", roles: [.approver], tokenID: "j")
        #expect(approver.has(.viewer) && approver.has(.approver) && !approver.has(.editor) && !approver.has(.admin))
        let admin = Principal(subject: "s", tenant: "t", roles: [.admin], tokenID: "j")
        #expect(admin.has(.viewer) && admin.has(.editor) && admin.has(.approver))
        let nobody = Principal(subject: "s", tenant: "t", roles: [Role(rawValue: "guest")], tokenID: "j")
        #expect(!nobody.has(.viewer))
    }

    @Test("health, metrics, the OpenAPI document and its HTML reference are open; the API is not")
    func healthMetricsAndTheContractAreOpen() async throws {
        let service = try await TestService.make()
        try await service.application.test(.router) { client in
            #expect(try await client.execute(uri: "/health/live", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/metrics", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/v1/items", method: .get).status == .unauthorized)
            let spec = try await client.execute(uri: "/openapi.yaml", method: .get)
            #expect(spec.status == .ok)
            #expect(spec.headers[.contentType] == "application/yaml")
            #expect(spec.text == "openapi: 3.1.0\n")
            let page = try await client.execute(uri: "/docs", method: .get)
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.text.contains(#"<redoc spec-url="/openapi.yaml">"#) && page.text.contains(#"<script src="/docs/redoc.standalone.js">"#))
            let script = try await client.execute(uri: "/docs/redoc.standalone.js", method: .get)
            #expect(script.status == .ok)
            #expect(script.headers[.contentType] == "text/javascript; charset=utf-8")
            #expect(script.text.contains("Redoc") && script.body.readableBytes > 500_000)
        }
    }
}

extension Data {
    var base64URL: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    init?(base64URL text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }
}
