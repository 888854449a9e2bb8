/// One CloudEvents `type` of the contract: `io.maestro.<domain>.<entity>.<action>.v<N>`.
///
/// Each type names the topic it is published on and has a JSON Schema in `Schemas/<name>.json`
/// and a Codable payload type conforming to ``EventPayload``.
public struct EventType: Hashable, Sendable, CustomStringConvertible {
    public let name: String
    public let topic: Topic

    public init(_ name: String, topic: Topic) {
        self.name = name
        self.topic = topic
    }

    /// The `dataschema` attribute of events of this type.
    public var dataSchema: String { "urn:maestro:schema:\(name)" }

    public var description: String { name }
}

/// The `data` of one event type. Encoded as JSON with snake_case keys, ISO 8601 dates.
public protocol EventPayload: Codable, Sendable, Equatable {
    static var eventType: EventType { get }
}

/// A domain that publishes events: one service, one topic, one `ce_source`.
public protocol EventDomain {
    static var topic: Topic { get }
    /// `/maestro/<service>`.
    static var source: String { get }
}

/// A payload of one domain. A service's database emits only its own domain's events, so
/// publishing another domain's event, or on another domain's topic, does not compile.
public protocol DomainEvent: EventPayload {
    associatedtype Domain: EventDomain
}
