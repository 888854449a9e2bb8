import Foundation
import MaestroService
import Testing

/// The verified-token cache must never outlive what it stands for: the token's expiry and the key that signed it.
@Suite("Token verifier cache")
struct TokenVerifierTests {
    func verifier(_ keys: TestKeys, capacity: Int = 10_000) -> TokenVerifier {
        TokenVerifier(source: .file(keys.jwksPath), cacheCapacity: capacity, logger: TestService.logger)
    }

    @Test func aRememberedTokenIsRefusedOnceItExpires() async throws {
        let keys = try await TestKeys.make()
        let verifier = verifier(keys)
        let token = try await keys.token(expiresIn: 2)
        #expect(try await verifier.verify(token).subject == "alice")
        #expect(try await verifier.verify(token).subject == "alice")
        try await Task.sleep(for: .milliseconds(2_500))
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
