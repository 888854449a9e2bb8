import Foundation
import JWTKit
import MaestroDomain

/// The development stack's token signing key, kept in `.maestro/keys`.
///
/// Until governance issues tokens, services verify against this key's JWKS
/// (`jwks.json`, the default `MAESTRO_JWKS_FILE`) and `maestro dev token` signs with it. The
/// private key (`signing-key.pem`) is readable by its owner only. For development only.
public struct DevSigningKey: Sendable {
    public static let privateKeyFile = "signing-key.pem"
    public static let jwksFile = "jwks.json"

    public let keyID: String
    private let privateKey: ES256PrivateKey

    /// Loads the key from `directory`, creating the key and its JWKS on first use.
    /// - Parameter keyID: the `kid`; by default derived from the public key.
    public static func loadOrCreate(in directory: URL, keyID: String? = nil) throws -> DevSigningKey {
        let keyURL = directory.appendingPathComponent(privateKeyFile)
        let key: ES256PrivateKey
        if let pem = try? String(contentsOf: keyURL, encoding: .utf8) {
            key = try ES256PrivateKey(pem: pem)
        } else {
            key = ES256PrivateKey()
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(key.pemRepresentation.utf8).write(to: keyURL, options: .atomic)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyURL.path)
        }
        guard let parameters = key.parameters else { throw DevSigningKeyError("the signing key has no public parameters") }
        let signingKey = DevSigningKey(keyID: keyID ?? "dev-" + String(parameters.x.prefix(8)).replacingOccurrences(of: "-", with: "a"), privateKey: key)
        let jwks = #"{"keys":[{"kty":"EC","crv":"P-256","use":"sig","alg":"ES256","kid":"\#(signingKey.keyID)","x":"\#(parameters.x)","y":"\#(parameters.y)"}]}"#
        try Data(jwks.utf8).write(to: directory.appendingPathComponent(jwksFile), options: .atomic)
        return signingKey
    }

    /// A signed token with the claims every service verifies (`iss`, `sub`, `tenant`, `roles`, `exp`, `iat`, `jti`, and
    /// `principal_id`/`key_id` when given). A negative lifetime gives an expired token.
    public func token(subject: String, tenant: String, roles: [String], lifetime: Duration,
                      issuer: String = ServiceConfiguration.defaultTokenIssuer, principalID: String? = nil, apiKeyID: String? = nil) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: privateKey, kid: JWKIdentifier(string: self.keyID))
        let now = MaestroClaims.now()
        let claims = MaestroClaims(issuer: issuer, subject: subject, tenant: tenant, roles: roles, issuedAt: now,
                                   expiresAt: now.addingTimeInterval(Double(lifetime.components.seconds)), id: UUID().uuidString.lowercased(),
                                   principalID: principalID, keyID: apiKeyID)
        return try await keys.sign(claims, kid: JWKIdentifier(string: self.keyID))
    }
}

public struct DevSigningKeyError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
