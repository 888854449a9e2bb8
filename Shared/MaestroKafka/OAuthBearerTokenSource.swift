import CRdKafka
import Dispatch
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// SASL/OAUTHBEARER tokens from an OAuth 2.0 token endpoint by the client credentials grant:
/// librdkafka's `sasl.oauthbearer.method=oidc`, done here when the linked librdkafka was built
/// without it (without libcurl it lacks the `oidc` feature; Debian's build does).
///
/// The same properties configure both, so a configuration works with either build:
/// `sasl.oauthbearer.token.endpoint.url`, `sasl.oauthbearer.client.id`,
/// `sasl.oauthbearer.client.secret` and optionally `sasl.oauthbearer.scope`. As librdkafka
/// does, the client authenticates with HTTP Basic, and the token's `sub` and `exp` claims name
/// the principal and the lifetime (`expires_in` and the client id when the token is not a JWT).
/// librdkafka asks again at 80% of the lifetime, and 10 seconds after a failed fetch.
struct OAuthBearerTokenSource: Sendable {
    /// librdkafka's properties of the method, which a build without it refuses.
    static let properties: Set<String> = ["sasl.oauthbearer.method", "sasl.oauthbearer.token.endpoint.url", "sasl.oauthbearer.client.id",
                                          "sasl.oauthbearer.client.secret", "sasl.oauthbearer.scope"]

    let tokenEndpoint: URL
    let clientID: String
    let clientSecret: String
    let scope: String?

    /// Whether the linked librdkafka fetches OIDC tokens itself (its `builtin.features` has `oidc`).
    static let libraryFetchesTokens: Bool = {
        let conf = rd_kafka_conf_new()!
        defer { rd_kafka_conf_destroy(conf) }
        var buffer = [CChar](repeating: 0, count: 1024)
        var size = buffer.count
        guard rd_kafka_conf_get(conf, "builtin.features", &buffer, &size) == RD_KAFKA_CONF_OK else { return false }
        return cString(buffer).split(separator: ",").contains("oidc")
    }()

    /// The source `properties` ask for when the kit must fetch the tokens: `nil` without
    /// `sasl.oauthbearer.method=oidc`, or when librdkafka fetches them itself.
    static func required(by properties: [String: String]) throws(KafkaError) -> OAuthBearerTokenSource? {
        guard properties["sasl.oauthbearer.method"]?.lowercased() == "oidc", !libraryFetchesTokens else { return nil }
        guard let endpoint = properties["sasl.oauthbearer.token.endpoint.url"], let url = URL(string: endpoint),
              ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
            throw .configuration("sasl.oauthbearer.token.endpoint.url: an http(s) URL is required with sasl.oauthbearer.method=oidc")
        }
        guard let clientID = properties["sasl.oauthbearer.client.id"], !clientID.isEmpty,
              let clientSecret = properties["sasl.oauthbearer.client.secret"], !clientSecret.isEmpty else {
            throw .configuration("sasl.oauthbearer.client.id and sasl.oauthbearer.client.secret are required with sasl.oauthbearer.method=oidc")
        }
        return OAuthBearerTokenSource(tokenEndpoint: url, clientID: clientID, clientSecret: clientSecret,
                                      scope: properties["sasl.oauthbearer.scope"].flatMap { $0.isEmpty ? nil : $0 })
    }

    struct Token {
        let value: String
        /// Milliseconds since the epoch.
        let expiresAtMs: Int64
        let principal: String
    }

    struct FetchError: Error, CustomStringConvertible {
        let description: String
    }

    /// Fetches a token, blocking the calling thread (librdkafka's background thread) for at most 10 seconds.
    func fetch() throws -> Token {
        var request = URLRequest(url: tokenEndpoint, timeoutInterval: 10)
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        // RFC 6749 §2.3.1: id and secret are form-encoded before they are joined.
        let credentials = "\(Self.formEncoded(clientID)):\(Self.formEncoded(clientSecret))"
        request.setValue("Basic " + Data(credentials.utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
        request.httpBody = Data(("grant_type=client_credentials" + (scope.map { "&scope=" + Self.formEncoded($0) } ?? "")).utf8)

        let answer = Answer()
        let done = DispatchSemaphore(value: 0)
        let task = Self.session.dataTask(with: request) { data, response, error in
            answer.set(data: data, status: (response as? HTTPURLResponse)?.statusCode, error: error)
            done.signal()
        }
        task.resume()
        guard done.wait(timeout: .now() + 15) == .success else {
            task.cancel()
            throw FetchError(description: "the token endpoint did not answer within 15 seconds")
        }
        let (data, status, error) = answer.get()
        if error != nil, Self.challenges.refused(task) {
            // RFC 6749 §5.2: a token endpoint's 401 is a refused client.
            throw FetchError(description: "the token endpoint answered HTTP 401 (invalid_client)")
        }
        if let error { throw FetchError(description: "the token endpoint cannot be reached: \(error.localizedDescription)") }
        let body = (data.flatMap { try? JSONSerialization.jsonObject(with: $0) } as? [String: Any]) ?? [:]
        guard status == 200, let token = body["access_token"] as? String, !token.isEmpty else {
            let code = (body["error"] as? String).map { " (\($0.prefix(64)))" } ?? ""
            throw FetchError(description: "the token endpoint answered HTTP \(status ?? 0)\(code)")
        }
        let claims = Self.claims(of: token)
        let expiresAt = (claims["exp"] as? Double) ?? (body["expires_in"] as? Double).map { Date().timeIntervalSince1970 + $0 }
        guard let expiresAt else { throw FetchError(description: "the token has no exp claim and the answer no expires_in") }
        return Token(value: token, expiresAtMs: Int64(expiresAt * 1000), principal: (claims["sub"] as? String) ?? clientID)
    }

    /// The payload of a compact JWS, unverified (the broker verifies); empty for anything else.
    static func claims(of token: String) -> [String: Any] {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return [:] }
        var base64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64) else { return [:] }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }

    static func formEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._*")
        return (text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text).replacingOccurrences(of: "%20", with: "+")
    }

    /// A session that answers no authentication challenge. Foundation turns a 401 with
    /// `WWW-Authenticate` (a refused client) into a challenge; refusing it ends the task, and
    /// the delegate remembers that it was a refusal.
    private static let challenges = RefuseChallenges()
    private static let session = URLSession(configuration: .ephemeral, delegate: challenges, delegateQueue: nil)

    private final class RefuseChallenges: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
        private let lock = NSLock()
        private var refusedTasks: Set<Int> = []

        func urlSession(_ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
                        completionHandler: @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void) {
            _ = lock.withLock { refusedTasks.insert(task.taskIdentifier) }
            completionHandler(.cancelAuthenticationChallenge, nil)
        }

        /// Whether the task ended on a refused challenge; forgets it.
        func refused(_ task: URLSessionTask) -> Bool {
            lock.withLock { refusedTasks.remove(task.taskIdentifier) != nil }
        }
    }

    /// The completion handler's results, handed to the waiting thread.
    private final class Answer: @unchecked Sendable {
        private let lock = NSLock()
        private var value: (Data?, Int?, (any Error)?) = (nil, nil, nil)

        func set(data: Data?, status: Int?, error: (any Error)?) {
            lock.withLock { value = (data, status, error) }
        }

        func get() -> (Data?, Int?, (any Error)?) {
            lock.withLock { value }
        }
    }
}
