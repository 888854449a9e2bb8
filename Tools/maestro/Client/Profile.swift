import Foundation
import MaestroService

/// A signed-in identity kept by `maestro login`: the API key it exchanges and the current
/// access token with its expiry, in `<config>/profiles/<name>.json`.
///
/// The file is created with mode 0600 in a 0700 directory, since it holds a secret; the
/// config directory is `MAESTRO_CONFIG_DIR`, else `$XDG_CONFIG_HOME/maestro`, else
/// `~/.config/maestro`. Several profiles (`--profile`, or `MAESTRO_PROFILE`) let one shell act
/// as several principals, e.g. a requester and two approvers.
struct Profile: Codable {
    var governanceURL: String
    var apiKey: String
    var accessToken: String
    var expiresAt: Date
    /// The lifetime asked for at login; each refresh asks for it again.
    var lifetimeSeconds: Int
    var subject: String
    var tenant: String
    var roles: [String]

    enum CodingKeys: String, CodingKey {
        case governanceURL = "governance_url", apiKey = "api_key", accessToken = "access_token", expiresAt = "expires_at"
        case lifetimeSeconds = "lifetime_seconds", subject, tenant, roles
    }

    static var configDirectory: URL {
        let environment = ProcessInfo.processInfo.environment
        if let dir = environment["MAESTRO_CONFIG_DIR"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty { return URL(fileURLWithPath: xdg).appendingPathComponent("maestro") }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".config/maestro")
    }

    static func file(_ name: String) -> URL {
        configDirectory.appendingPathComponent("profiles").appendingPathComponent("\(name).json")
    }

    static func load(_ name: String) throws(CLIError) -> Profile {
        let url = file(name)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw CLIError("not signed in\(name == "default" ? "" : " as profile '\(name)'"): run `maestro login\(name == "default" ? "" : " --profile \(name)")` first")
        }
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(Profile.self, from: data)
        } catch {
            throw CLIError("\(url.path) is not a profile maestro wrote (\(error)); run `maestro login` again")
        }
    }

    func save(_ name: String) throws {
        let url = Self.file(name)
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Written to a private temporary file and renamed, so the secret is never readable by others, even briefly.
        let temporary = directory.appendingPathComponent(".\(name).json.\(getpid())")
        guard FileManager.default.createFile(atPath: temporary.path, contents: try encoder.encode(self), attributes: [.posixPermissions: 0o600]) else {
            throw CLIError("cannot write \(temporary.path)")
        }
        guard rename(temporary.path, url.path) == 0 else { throw CLIError("cannot write \(url.path): \(String(cString: strerror(errno)))") }
    }

    /// The URL of another service: `MAESTRO_<NAME>_URL`, else the governance host at the
    /// service's catalog port.
    func url(of service: String) -> String {
        let variable = "MAESTRO_\(service.uppercased().replacingOccurrences(of: "-", with: "_"))_URL"
        if let url = ProcessInfo.processInfo.environment[variable], !url.isEmpty { return url.trimmingSuffix("/") }
        if service == "governance" { return governanceURL }
        guard var components = URLComponents(string: governanceURL), let port = ServiceCatalog.named(service)?.defaultPort else { return governanceURL }
        components.port = port
        return components.string ?? governanceURL
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
