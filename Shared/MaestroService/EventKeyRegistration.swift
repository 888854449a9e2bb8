import Foundation
import Logging
import MaestroBus
import ServiceLifecycle

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Registers the service's event key with governance, the trust root, then lets the outbox
/// relay publish. Governance registers its own key in process; every other service over HTTP
/// (``overHTTP(governance:serviceAccountKey:key:)``), under its own service account.
///
/// Over HTTP, it exchanges the account's API key for a token (`POST <governance>/v1/tokens`, `MAESTRO_GOVERNANCE_URL`) and puts the
/// public key at `PUT <governance>/v1/event-keys/<kid>`; governance accepts it only from a service
/// account of the platform tenant named after the service. The key id is the key's thumbprint,
/// so registering again after a restart changes nothing. Failures (governance not up yet, a
/// refused account) are logged and retried with capped backoff until shutdown; meanwhile the
/// service's events wait in its outbox.
struct EventKeyRegistration: Service {
    let signer: EventSigner
    let register: @Sendable () async throws -> Void
    let logger: Logger

    func run() async throws {
        var delay = Duration.milliseconds(250)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await register()
                signer.markRegistered()
                logger.info("event key registered with governance", metadata: ["kid": "\(signer.key.keyID)"])
                break
            } catch {
                logger.warning("cannot register the event key with governance; events wait in the outbox", metadata: [
                    "error": "\(error)", "retry_in": "\(delay)",
                ])
                let wait = delay
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
                delay = min(delay * 2, .seconds(30))
            }
        }
        // A service that returns would stop the whole group: stay until shutdown.
        try? await gracefulShutdown()
    }

    /// Registration through governance's API with the service account's API key.
    static func overHTTP(governance: String, serviceAccountKey: String, key: EventSigningKey) -> @Sendable () async throws -> Void {
        {
            let token = try await call(governance, "POST", "/v1/tokens", body: try JSONEncoder().encode(["api_key": serviceAccountKey]), token: nil)
            guard let accessToken = (try JSONSerialization.jsonObject(with: token) as? [String: Any])?["access_token"] as? String else {
                throw RegistrationError(message: "governance's token answer has no access_token")
            }
            _ = try await call(governance, "PUT", "/v1/event-keys/\(key.keyID)", body: try JSONEncoder().encode(key.publicKey), token: accessToken)
        }
    }

    private static func call(_ governance: String, _ method: String, _ path: String, body: Data, token: String?) async throws -> Data {
        guard let url = URL(string: governance + path) else { throw RegistrationError(message: "\(governance)\(path) is not a URL") }
        var request = URLRequest(url: url, timeoutInterval: 10)
        request.httpMethod = method
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            throw RegistrationError(message: "\(method) \(path) answered \(status): \(String(decoding: data.prefix(500), as: UTF8.self))")
        }
        return data
    }

    struct RegistrationError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
