import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Options every API command takes.
struct ClientOptions: ParsableArguments {
    @Option(name: .long, help: "The signed-in profile to act as (MAESTRO_PROFILE, else 'default').")
    var profile: String = ProcessInfo.processInfo.environment["MAESTRO_PROFILE"] ?? "default"

    @Flag(name: .long, help: "Print the API's JSON answer instead of a table.")
    var json = false
}

/// Calls Maestro's HTTP APIs as a signed-in profile.
///
/// The profile's token is exchanged again with its API key when less than a minute of it is
/// left, and the new one is saved: a long script never fails on an expired token. A problem
/// answer (RFC 9457) becomes one line naming the status and its detail.
struct APIClient {
    let profileName: String
    private(set) var profile: Profile

    init(_ options: ClientOptions) throws {
        profileName = options.profile
        profile = try Profile.load(options.profile)
    }

    /// The exchange `POST /v1/tokens`, which `maestro login` and the refresh share.
    static func exchange(apiKey: String, governanceURL: String, lifetimeSeconds: Int) async throws -> Profile {
        let body = ["api_key": apiKey, "lifetime_seconds": lifetimeSeconds] as [String: Any]
        let (status, data) = try await send("POST", governanceURL + "/v1/tokens", body: try JSONSerialization.data(withJSONObject: body), token: nil,
                                            service: "governance")
        let answer = try decodeAnswer(status: status, data: data, method: "POST", path: "/v1/tokens")
        guard let token = answer["access_token"] as? String, let expiresIn = answer["expires_in"] as? Int else {
            throw CLIError("governance's token answer has no access_token")
        }
        let (meStatus, meData) = try await send("GET", governanceURL + "/v1/me", body: nil, token: token, service: "governance")
        let me = try decodeAnswer(status: meStatus, data: meData, method: "GET", path: "/v1/me")
        return Profile(governanceURL: governanceURL, apiKey: apiKey, accessToken: token, expiresAt: Date().addingTimeInterval(Double(expiresIn)),
                       lifetimeSeconds: lifetimeSeconds, subject: me["subject"] as? String ?? "?", tenant: me["tenant"] as? String ?? "?", roles: me["roles"] as? [String] ?? [])
    }

    /// A token with at least a minute left, refreshed (and saved) when needed.
    mutating func token() async throws -> String {
        if profile.expiresAt.timeIntervalSinceNow < 60 {
            profile = try await Self.exchange(apiKey: profile.apiKey, governanceURL: profile.governanceURL, lifetimeSeconds: profile.lifetimeSeconds)
            try profile.save(profileName)
        }
        return profile.accessToken
    }

    /// Calls `service` and returns the decoded JSON answer; any status but 2xx is a ``CLIError``.
    @discardableResult
    mutating func call(_ service: String, _ method: String, _ path: String, body: Any? = nil) async throws -> Any {
        let (status, data) = try await raw(service, method, path, body: body)
        guard (200..<300).contains(status) else { throw Self.problem(status: status, data: data, method: method, path: path) }
        if data.isEmpty { return [String: Any]() }
        guard let decoded = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            throw CLIError("\(method) \(path) answered \(status) with a body that is not JSON")
        }
        return decoded
    }

    /// Calls `service` and returns the status and body as they are.
    mutating func raw(_ service: String, _ method: String, _ path: String, body: Any? = nil) async throws -> (Int, Data) {
        let token = try await token()
        let payload = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        return try await Self.send(method, profile.url(of: service) + path, body: payload, token: token, service: service)
    }

    static func send(_ method: String, _ url: String, body: Data?, token: String?, service: String) async throws -> (Int, Data) {
        guard let target = URL(string: url) else { throw CLIError("\(url) is not a URL") }
        var request = URLRequest(url: target, timeoutInterval: 30)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        do {
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
        } catch {
            throw CLIError("cannot reach \(service) at \(target.scheme ?? "http")://\(target.host ?? "?")\(target.port.map { ":\($0)" } ?? ""): \(error.localizedDescription)")
        }
    }

    static func decodeAnswer(status: Int, data: Data, method: String, path: String) throws -> [String: Any] {
        guard (200..<300).contains(status) else { throw problem(status: status, data: data, method: method, path: path) }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CLIError("\(method) \(path) answered \(status) with a body that is not a JSON object")
        }
        return object
    }

    /// One line from an error answer: RFC 9457's `detail` (or `title`), MLflow's or OAuth's message.
    static func problem(status: Int, data: Data, method: String, path: String) -> CLIError {
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        let message = object["detail"] as? String ?? object["title"] as? String ?? object["message"] as? String
            ?? object["error_description"] as? String ?? String(decoding: data.prefix(200), as: UTF8.self)
        var line = "\(message) (HTTP \(status) from \(method) \(path))"
        if let errors = object["errors"] as? [[String: Any]], !errors.isEmpty {
            line += ": " + errors.map { "\($0["field"] as? String ?? "?") \($0["message"] as? String ?? "")" }.joined(separator: "; ")
        }
        return CLIError(line)
    }
}
