import Foundation
import JWTKit
import Logging
import MaestroBus
import MaestroDomain
import Metrics

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Verifies ES256 access tokens locally against a cached JSON Web Key Set.
///
/// - The set is loaded on first use, reloaded every `refreshInterval`, and reloaded early
///   when a token names a `kid` the set lacks (a key rotation), but never more often than
///   `minimumRefreshInterval`, so tokens with made-up `kid`s cannot hammer the key server.
/// - A failed reload keeps the keys already loaded.
/// - A token must name `issuer` in its `iss` claim: keys alone do not say who issued a token,
///   and two deployments may share a key set by mistake.
/// - Only `alg: ES256` is accepted, whatever the key set holds; `none` and every other
///   algorithm fail before any key is consulted.
/// - Every failure is the same 401 to the client; the reason is logged at debug level,
///   never the token.
/// - A verified token is remembered (by its exact text) until it expires, so a client that
///   reuses its token pays for one signature check, not one per request. A reload that
///   drops a key forgets the tokens that key signed. At most `cacheCapacity` are remembered.
///   Lookups count in `maestro_token_cache_lookups_total` by `result` (`hit`, `miss`).
public actor TokenVerifier {
    private let cacheHits = Counter(label: "maestro_token_cache_lookups_total", dimensions: [("result", "hit")])
    private let cacheMisses = Counter(label: "maestro_token_cache_lookups_total", dimensions: [("result", "miss")])

    /// Where the key set comes from: a file, a URL, or (for the service that issues the
    /// tokens) a function reading its own keys.
    public enum Source: Sendable {
        case configured(ServiceConfiguration.KeySource)
        case provider(@Sendable () async throws -> Data)
    }

    public let source: Source
    /// The `iss` every accepted token names (``ServiceConfiguration/tokenIssuer``).
    public let issuer: String
    public let refreshInterval: Duration
    public let minimumRefreshInterval: Duration
    private let logger: Logger
    private var keys = JWTKeyCollection()
    private var kids: Set<String> = []
    private var loadedAt: ContinuousClock.Instant?
    private var lastAttempt: ContinuousClock.Instant?
    private var reload: Task<Void, Never>?
    private let cacheCapacity: Int
    private var verified: [String: VerifiedToken] = [:]

    private struct VerifiedToken {
        let principal: Principal
        let kid: String
        let expires: Date
    }

    /// A verifier for the configured key set and issuer.
    public init(_ configuration: ServiceConfiguration, logger: Logger) {
        self.init(source: configuration.keySource, issuer: configuration.tokenIssuer, logger: logger)
    }

    public init(source: ServiceConfiguration.KeySource, issuer: String, refreshInterval: Duration = .seconds(300),
                minimumRefreshInterval: Duration = .seconds(30), cacheCapacity: Int = 10_000, logger: Logger) {
        self.init(keySet: .configured(source), issuer: issuer, refreshInterval: refreshInterval, minimumRefreshInterval: minimumRefreshInterval,
                  cacheCapacity: cacheCapacity, logger: logger)
    }

    public init(keySet source: Source, issuer: String, refreshInterval: Duration = .seconds(300),
                minimumRefreshInterval: Duration = .seconds(30), cacheCapacity: Int = 10_000, logger: Logger) {
        self.source = source
        self.issuer = issuer
        self.cacheCapacity = cacheCapacity
        self.refreshInterval = refreshInterval
        self.minimumRefreshInterval = minimumRefreshInterval
        self.logger = logger
    }

    /// The caller the token identifies; 401 for any token that does not verify.
    public func verify(_ token: String) async throws(HTTPProblem) -> Principal {
        if let hit = verified[token] {
            if hit.expires > Date() {
                cacheHits.increment()
                return hit.principal
            }
            verified[token] = nil
        }
        cacheMisses.increment()
        guard let kid = Self.es256KeyID(of: token) else {
            logger.debug("token rejected", metadata: ["reason": "malformed header or algorithm other than ES256"])
            throw .unauthorized("The bearer token is invalid.")
        }
        await refreshIfNeeded(for: kid)
        guard kids.contains(kid) else {
            logger.debug("token rejected", metadata: ["reason": "unknown key id", "kid": .string(kid)])
            throw .unauthorized("The bearer token is invalid.")
        }
        let claims: MaestroClaims
        do {
            claims = try await keys.verify(token, as: MaestroClaims.self)
        } catch {
            logger.debug("token rejected", metadata: ["reason": "\((error as? JWTError)?.errorType.description ?? "verification failed")"])
            throw .unauthorized("The bearer token is invalid or expired.")
        }
        guard claims.iss.value == issuer else {
            logger.debug("token rejected", metadata: ["reason": "issued by another issuer", "iss": .string(String(claims.iss.value.prefix(200)))])
            throw .unauthorized("The bearer token is invalid.")
        }
        let principal = Principal(subject: claims.sub.value, tenant: claims.tenant, roles: Set(claims.roles.map(Role.init(rawValue:))),
                                  tokenID: claims.jti.value, issuedAt: claims.iat.value, principalID: claims.principalID, keyID: claims.keyID)
        remember(token, VerifiedToken(principal: principal, kid: kid, expires: claims.exp.value))
        return principal
    }

    private func remember(_ token: String, _ entry: VerifiedToken) {
        guard cacheCapacity > 0 else { return }
        if verified.count >= cacheCapacity {
            let now = Date()
            verified = verified.filter { $0.value.expires > now }
            // Still full of live tokens: start over rather than track recency on every hit.
            if verified.count >= cacheCapacity { verified.removeAll(keepingCapacity: true) }
        }
        verified[token] = entry
    }

    /// Loads the key set now; services call this at start-up to fail early on a bad set.
    public func load() async throws {
        lastAttempt = .now
        let data = try await fetch()
        let set = try JSONDecoder().decode(KeySetIDs.self, from: data)
        let collection = JWTKeyCollection()
        _ = try await collection.add(jwksJSON: String(decoding: data, as: UTF8.self))
        keys = collection
        kids = Set(set.keys.compactMap(\.kid))
        verified = verified.filter { kids.contains($0.value.kid) }
        loadedAt = .now
        logger.info("loaded token keys", metadata: ["keys": .stringConvertible(kids.count)])
    }

    private func refreshIfNeeded(for kid: String) async {
        let now = ContinuousClock.now
        let stale = loadedAt.map { now - $0 >= refreshInterval } ?? true
        let unknown = !kids.contains(kid)
        let allowed = lastAttempt.map { now - $0 >= minimumRefreshInterval } ?? true
        guard (stale || unknown) && allowed else { return }
        if let reload {
            await reload.value
            return
        }
        let task = Task {
            do {
                try await self.load()
            } catch {
                self.logger.warning("cannot load token keys; keeping the previous ones", metadata: ["error": "\(error)"])
            }
        }
        reload = task
        await task.value
        reload = nil
    }

    private func fetch() async throws -> Data {
        switch source {
        case .provider(let read): try await read()
        case .configured(let keySource): try await keySource.read()
        }
    }

    /// The `kid` of a token whose header declares `alg: ES256`, or `nil`.
    static func es256KeyID(of token: String) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }), let header = Data(base64URL: String(parts[0])),
              let decoded = try? JSONDecoder().decode(Header.self, from: header),
              decoded.alg == "ES256", let kid = decoded.kid, !kid.isEmpty else { return nil }
        return kid
    }

    private struct Header: Decodable {
        let alg: String?
        let kid: String?
    }

    private struct KeySetIDs: Decodable {
        struct Key: Decodable { let kid: String? }
        let keys: [Key]
    }
}
