import Foundation
import MaestroBus
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The dev stack's API keys: the bootstrap admin's, kept in `.maestro/keys/admin-api-key`, and
/// each service account's, in `.maestro/keys/<service>-account-key` (owner-only), so every
/// `maestro dev up` registers, and then finds, the same ones. For development only.
enum DevAdminKey {
    static let fileName = "admin-api-key"

    static func loadOrCreate(in directory: URL, fileName: String = DevAdminKey.fileName) throws -> String {
        let file = directory.appendingPathComponent(fileName)
        if let existing = try? String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !existing.isEmpty {
            return existing
        }
        let key = newKey()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data((key + "\n").utf8).write(to: file, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        return key
    }

    /// A new API key, `mk_<12 hex>_<43 base64url>`: the prefix names it, the 32 random bytes are the secret.
    static func newKey() -> String {
        "mk_\(randomBytes(6).map { String(format: "%02x", $0) }.joined())_\(Data(randomBytes(32)).base64URLEncodedString())"
    }

    /// Bytes from the system's cryptographically secure generator.
    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// A 12-hour admin token from governance for the key.
    static func exchange(_ key: String, governancePort: Int) async throws -> String {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(governancePort)/v1/tokens")!, timeoutInterval: 10)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: ["api_key": key, "lifetime_seconds": 12 * 3600])
        let (data, response) = try await URLSession.shared.data(for: request)
        guard (response as? HTTPURLResponse)?.statusCode == 200,
              let body = try JSONSerialization.jsonObject(with: data) as? [String: Any], let token = body["access_token"] as? String else {
            throw CLIError("governance did not accept the dev admin API key (\(String(decoding: data, as: UTF8.self))); " +
                           "if its database was bootstrapped with another key, remove .maestro/postgres to start over")
        }
        return token
    }
}
