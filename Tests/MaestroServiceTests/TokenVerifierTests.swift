import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroService
import Synchronization
import Testing

/// The verified-token cache must never outlive what it stands for: the token's expiry and the key that signed it.
@Suite("Token verifier cache")
struct TokenVerifierTests {
    func verifier(_ keys: TestKeys, capacity: Int = 10_000) -> TokenVerifier {
        TokenVerifier(source: .file(keys.jwksPath), issuer: ServiceConfiguration.defaultTokenIssuer, cacheCapacity: capacity, logger: TestService.logger)
    }

    @Test func aRememberedTokenIsRefusedOnceItExpires() async throws {
        let keys = try await TestKeys.make()
        let verifier = verifier(keys)
        // Long enough that a loaded machine (a build beside the tests on two cores) still
        // verifies it twice before it expires.
        let token = try await keys.token(expiresIn: 20)
        #expect(try await verifier.verify(token).subject == "alice")
        #expect(try await verifier.verify(token).subject == "alice")
        try await Task.sleep(for: .milliseconds(21_000))
        await #expect(throws: HTTPProblem.self) { try await verifier.verify(token) }
    }

    @Test func aReloadThatDropsTheSigningKeyForgetsItsTokens() async throws {
        let keys = try await TestKeys.make(kid: "old-key")
        let verifier = verifier(keys)
        let token = try await keys.token()
        #expect(try await verifier.verify(token).tenant == "acme")

        // Rotate: the key set now holds only a new key.
        let rotated = try await TestKeys.make(kid: "new-key")
        try FileManager.default.removeItem(atPath: keys.jwksPath)
        try FileManager.default.copyItem(atPath: rotated.jwksPath, toPath: keys.jwksPath)
        try await verifier.load()

        await #expect(throws: HTTPProblem.self) { try await verifier.verify(token) }
        #expect(try await verifier.verify(try await rotated.token(subject: "bob")).subject == "bob")
    }

    @Test func aFullCacheStillVerifiesEveryToken() async throws {
        let keys = try await TestKeys.make()
        let verifier = verifier(keys, capacity: 2)
        var tokens: [String] = []
        for index in 0..<5 { tokens.append(try await keys.token(subject: "user-\(index)")) }
        for round in 0..<2 {
            for (index, token) in tokens.enumerated() {
                #expect(try await verifier.verify(token).subject == "user-\(index)", "round \(round)")
            }
        }
        var forged = tokens[0]
        forged.removeLast(2)
        await #expect(throws: HTTPProblem.self) { try await verifier.verify(forged) }
    }
}

/// Keys fetched from a JWKS URL (`MAESTRO_JWKS_URL`), served here by a real HTTP server.
@Suite("Token verifier with a key set URL")
struct TokenVerifierURLTests {
    @Test("a token naming a new key makes the verifier fetch the set again; a key dropped from the set stops verifying")
    func rotationThroughTheURL() async throws {
        let first = try await TestKeys.make(kid: "first-key")
        let second = try await TestKeys.make(kid: "second-key")
        let served = Mutex(try String(contentsOfFile: first.jwksPath, encoding: .utf8))
        let fetches = Mutex(0)
        let router = Router()
        router.get("/.well-known/jwks.json") { _, _ in
            fetches.withLock { $0 += 1 }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: served.withLock { $0 })))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: TestService.logger)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let verifier = TokenVerifier(source: .url(URL(string: "http://127.0.0.1:\(port)/.well-known/jwks.json")!), issuer: ServiceConfiguration.defaultTokenIssuer,
                                         minimumRefreshInterval: .zero, logger: TestService.logger)
            let oldToken = try await first.token(subject: "ana")
            #expect(try await verifier.verify(oldToken).subject == "ana")
            #expect(fetches.withLock { $0 } == 1)

            // The new key is not published yet: its token fails, after one more fetch.
            let newToken = try await second.token(subject: "bea")
            await #expect(throws: HTTPProblem.self) { try await verifier.verify(newToken) }
            #expect(fetches.withLock { $0 } == 2)

            // Published: the unknown kid triggers a fetch and the token verifies; the old key is gone with it.
            served.withLock { $0 = (try? String(contentsOfFile: second.jwksPath, encoding: .utf8)) ?? "" }
            #expect(try await verifier.verify(newToken).subject == "bea")
            await #expect(throws: HTTPProblem.self) { try await verifier.verify(oldToken) }
        }
    }

    @Test("a key set URL that fails keeps the keys already loaded")
    func failedReloadKeepsKeys() async throws {
        let keys = try await TestKeys.make(kid: "kept-key")
        let healthy = Mutex(true)
        let jwks = try String(contentsOfFile: keys.jwksPath, encoding: .utf8)
        let router = Router()
        router.get("/jwks.json") { _, _ in
            healthy.withLock { $0 }
                ? Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: jwks)))
                : Response(status: .serviceUnavailable)
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: TestService.logger)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let verifier = TokenVerifier(source: .url(URL(string: "http://127.0.0.1:\(port)/jwks.json")!), issuer: ServiceConfiguration.defaultTokenIssuer, refreshInterval: .zero,
                                         minimumRefreshInterval: .zero, logger: TestService.logger)
            let token = try await keys.token()
            #expect(try await verifier.verify(token).subject == "alice")
            healthy.withLock { $0 = false }
            // Every call now tries to reload (refresh interval zero) and fails; the loaded key still verifies.
            let fresh = try await keys.token(subject: "carl")
            #expect(try await verifier.verify(fresh).subject == "carl")
        }
    }
}
