import Crypto
import Foundation
import Logging
import MaestroEvents

/// What an event's signature proves about who produced it.
public enum EventProvenance: Sendable, Hashable {
    /// Signed by the key governance registered for `service`, and that service owns the topic.
    case verified(service: String, keyID: String)
    /// No signature: a tool's or an outside producer's event.
    case unsigned
    /// A signature that does not prove the producer, and why.
    case invalid(String)

    /// `verified`, `unsigned` or `invalid`: the bounded form audit records and metrics use.
    public var status: String {
        switch self {
        case .verified: "verified"
        case .unsigned: "unsigned"
        case .invalid: "invalid"
        }
    }

    /// The verified producing service, if any.
    public var service: String? {
        if case .verified(let service, _) = self { return service }
        return nil
    }

    /// Why the event is not verified; nil when it is.
    public var problem: String? {
        switch self {
        case .verified: nil
        case .unsigned: "the event is not signed"
        case .invalid(let reason): reason
        }
    }
}

/// Checks events' signatures against governance's event key set.
///
/// - The set is loaded on first use and reloaded every `refreshInterval`; a signature naming
///   a key the set lacks reloads it early, at most once per `minimumRefreshInterval`, so made-up
///   key ids cannot hammer governance. A failed reload keeps the keys already loaded.
/// - When no set could be loaded at all, checking throws: the key set being unreachable is a
///   transient condition (the consumer retries), never a verdict on the event.
/// - An event is verified only if its signature is valid under a key of the set, the key's
///   service owns the topic the event came from (``Topic/owningService``) and the event's
///   `source` is that service's (`/maestro/<service>`).
public actor EventVerifier {
    public typealias Source = @Sendable () async throws -> Data

    private let source: Source
    private let refreshInterval: Duration
    private let minimumRefreshInterval: Duration
    private let logger: Logger
    private var keys: [String: (key: Curve25519.Signing.PublicKey, service: String)]?
    private var loadedAt: ContinuousClock.Instant?
    private var lastAttempt: ContinuousClock.Instant?

    public init(source: @escaping Source, refreshInterval: Duration = .seconds(300), minimumRefreshInterval: Duration = .seconds(5), logger: Logger) {
        self.source = source
        self.refreshInterval = refreshInterval
        self.minimumRefreshInterval = minimumRefreshInterval
        self.logger = logger
    }

    /// What `event`'s signature proves, for an event read from `topic`.
    /// - Throws: when governance's key set has never been loaded and cannot be loaded now.
    public func provenance(of event: CloudEvent, topic: String) async throws -> EventProvenance {
        guard let signature = event.signature else { return .unsigned }
        guard let kid = EventSignature.keyID(of: signature) else { return .invalid("the signature is not a detached EdDSA JWS") }
        try await refresh(for: kid)
        guard let entry = keys?[kid] else { return .invalid("the signing key \(kid) is not in governance's event key set") }
        guard EventSignature.isValid(signature, of: event, by: entry.key) else {
            return .invalid("the signature does not match the event (key \(kid) of \(entry.service))")
        }
        guard let owner = Topic.named(topic)?.owningService, owner == entry.service else {
            return .invalid("\(entry.service) signed the event, but \(topic) belongs to \(Topic.named(topic)?.owningService ?? "no Maestro service")")
        }
        guard event.source == "/maestro/\(entry.service)" else {
            return .invalid("the event's source \(event.source) is not \(entry.service)'s")
        }
        return .verified(service: entry.service, keyID: kid)
    }

    private func refresh(for kid: String) async throws {
        let now = ContinuousClock.now
        let stale = loadedAt.map { now - $0 >= refreshInterval } ?? true
        let unknown = keys?[kid] == nil
        let allowed = lastAttempt.map { now - $0 >= minimumRefreshInterval } ?? true
        guard (stale || unknown) && allowed else { return }
        lastAttempt = now
        do {
            let set = try JSONDecoder().decode(EventKeySet.self, from: try await source())
            var loaded: [String: (key: Curve25519.Signing.PublicKey, service: String)] = [:]
            for jwk in set.keys {
                guard let key = jwk.key, let service = jwk.service, jwk.alg == EventSignature.algorithm else { continue }
                loaded[jwk.kid] = (key, service)
            }
            keys = loaded
            loadedAt = now
        } catch {
            guard keys != nil else { throw EventKeySetUnavailable(reason: "\(error)") }
            logger.warning("cannot reload governance's event key set; keeping the previous one", metadata: ["error": "\(error)"])
        }
    }
}

/// Governance's published event keys: a JWK Set of ``EventPublicKey``s.
public struct EventKeySet: Codable, Sendable {
    public var keys: [EventPublicKey]

    public init(keys: [EventPublicKey]) {
        self.keys = keys
    }
}

/// Governance's event key set cannot be loaded, and none was loaded before.
public struct EventKeySetUnavailable: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public var description: String { "governance's event key set cannot be loaded: \(reason)" }
}
