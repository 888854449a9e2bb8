import Foundation
import Logging
import MaestroBus
import MaestroEvents

/// Event keys for tests: one per service for the whole test process, and the key set
/// governance would publish for them.
public enum TestEventKeys {
    public static let governance = EventSigningKey()
    public static let registry = EventSigningKey()
    public static let audit = EventSigningKey()

    /// The published set: each key with the service it signs for.
    public static let keySet = EventKeySet(keys: [("governance", governance), ("registry", registry), ("audit", audit)].map { service, key in
        var published = key.publicKey
        published.service = service
        return published
    })

    /// A verifier trusting ``keySet``.
    public static func verifier(logger: Logger = Logger(label: "test.event-keys")) -> EventVerifier {
        EventVerifier(source: { try JSONEncoder().encode(keySet) }, logger: logger)
    }

    /// `event` signed with `key`.
    public static func signed(_ event: CloudEvent, by key: EventSigningKey) -> CloudEvent {
        EventSigner(key: key, registered: true).sign(event)
    }
}
