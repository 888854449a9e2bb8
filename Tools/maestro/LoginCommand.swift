import ArgumentParser
import Foundation

/// `maestro login`: exchanges an API key for a token and keeps both in the profile.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Sign in with an API key; later commands use (and refresh) the token it keeps.",
        discussion: """
            The key is read from --api-key-file, else MAESTRO_API_KEY, else standard input. The key and the token are kept in \
            <config>/profiles/<profile>.json with mode 0600 (config: MAESTRO_CONFIG_DIR, else $XDG_CONFIG_HOME/maestro, else \
            ~/.config/maestro); a command run with less than a minute of the token left exchanges the key again.
            """
    )

    @Option(name: .long, help: "Governance's URL (MAESTRO_GOVERNANCE_URL, else http://127.0.0.1:7102).")
    var url: String = ProcessInfo.processInfo.environment["MAESTRO_GOVERNANCE_URL"] ?? "http://127.0.0.1:7102"

    @Option(name: .long, help: "A file holding the API key (e.g. .maestro/keys/admin-api-key).")
    var apiKeyFile: String?

    @Option(name: .long, help: "Token lifetime, e.g. 15m or 1h (at most 12h).")
    var lifetime: String = "1h"

    @OptionGroup var client: ClientOptions

    func run() async throws {
        let lifetimeSeconds = Int(try parseDuration(lifetime, option: "--lifetime").components.seconds)
        guard lifetimeSeconds <= 43_200 else { throw CLIError("--lifetime must be at most 12h") }
        let key = try readKey()
        let profile = try await APIClient.exchange(apiKey: key, governanceURL: url.trimmingSuffix("/"), lifetimeSeconds: lifetimeSeconds)
        try profile.save(client.profile)
        if client.json {
            Output.json(["profile": client.profile, "subject": profile.subject, "tenant": profile.tenant, "roles": profile.roles,
                         "expires_at": ISO8601DateFormatter().string(from: profile.expiresAt)])
        } else {
            print("signed in as \(profile.subject) (tenant \(profile.tenant), roles \(profile.roles.joined(separator: ","))) as profile '\(client.profile)'; "
                  + "token valid until \(ISO8601DateFormatter().string(from: profile.expiresAt)), refreshed when needed")
        }
    }

    private func readKey() throws -> String {
        let text: String
        if let apiKeyFile {
            guard let data = FileManager.default.contents(atPath: apiKeyFile) else { throw CLIError("cannot read \(apiKeyFile)") }
            text = String(decoding: data, as: UTF8.self)
        } else if let key = ProcessInfo.processInfo.environment["MAESTRO_API_KEY"], !key.isEmpty {
            text = key
        } else {
            text = readLine(strippingNewline: true) ?? ""
        }
        let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard key.hasPrefix("mk_") else { throw CLIError("that is not a Maestro API key (they start with mk_)") }
        return key
    }
}

/// `maestro whoami`: who the profile acts as.
struct WhoAmICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "whoami", abstract: "Show the signed-in principal, tenant and roles.")

    @OptionGroup var client: ClientOptions

    func run() async throws {
        var api = try APIClient(client)
        let me = try await api.call("governance", "GET", "/v1/me")
        if client.json { return Output.json(me) }
        let object = me as? [String: Any] ?? [:]
        print("\(object[text: "subject"]) (tenant \(object[text: "tenant"]), roles \(object[text: "roles"]))")
    }
}

/// `maestro token`: the profile's access token, refreshed when needed, for `curl` and other clients.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Print the signed-in profile's access token (refreshed first when less than a minute is left).",
        discussion: "e.g. curl -H \"Authorization: Bearer $(maestro token)\" localhost:7101/v1/models"
    )

    @OptionGroup var client: ClientOptions

    func run() async throws {
        var api = try APIClient(client)
        print(try await api.token())
    }
}
