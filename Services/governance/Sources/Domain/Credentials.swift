import Crypto
import Foundation
import JWTKit

/// An API key: `mk_<prefix>_<secret>`. The prefix (12 hex characters) names the key and is
/// stored in clear; the secret (256 random bits, base64url) is shown once and stored only as
/// its SHA-256.
struct APIKeySecret: Sendable {
    let prefix: String
    let secret: String

    var text: String { "mk_\(prefix)_\(secret)" }

    static func generate() -> APIKeySecret {
        var prefixBytes = [UInt8](repeating: 0, count: 6)
        var secretBytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in prefixBytes.indices { prefixBytes[index] = generator.next() }
        for index in secretBytes.indices { secretBytes[index] = generator.next() }
        return APIKeySecret(prefix: prefixBytes.map { String(format: "%02x", $0) }.joined(),
                            secret: Data(secretBytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: ""))
    }

    /// Parses `mk_<12 hex>_<43 base64url>`; nil for anything else.
    init?(parsing text: String) {
        guard let match = text.wholeMatch(of: /mk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})/) else { return nil }
        self.init(prefix: String(match.1), secret: String(match.2))
    }

    private init(prefix: String, secret: String) {
        self.prefix = prefix
        self.secret = secret
    }

    var hash: [UInt8] { Array(SHA256.hash(data: Data(secret.utf8))) }

    /// Compares in time independent of where the hashes differ.
    static func matches(_ stored: [UInt8], _ candidate: [UInt8]) -> Bool {
        guard stored.count == candidate.count else { return false }
        return zip(stored, candidate).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// A new ES256 signing key: its private PEM (kept in the database) and its public JWK.
struct SigningKeyMaterial: Sendable {
    let kid: String
    let privatePEM: String
    let publicJWK: String

    static func generate() throws -> SigningKeyMaterial {
        let key = ES256PrivateKey()
        guard let parameters = key.parameters else { throw GovernanceError.internalState("a new signing key has no public parameters") }
        let kid = "gov-" + UUID().uuidString.lowercased().prefix(13)
        let jwk = #"{"kty":"EC","crv":"P-256","use":"sig","alg":"ES256","kid":"\#(kid)","x":"\#(parameters.x)","y":"\#(parameters.y)"}"#
        return SigningKeyMaterial(kid: String(kid), privatePEM: key.pemRepresentation, publicJWK: jwk)
    }
}
