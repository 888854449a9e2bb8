import Foundation
import Logging
import MaestroDomain
import MaestroEvents
import MaestroKafka
import MaestroTracing
import Metrics
import ServiceLifecycle
import Synchronization
import Tracing

/// A handler's verdict that an event can never be processed (bad content, not a transient
/// condition). The event goes to `maestro.dlq` and the consumer moves on.
public struct EventRejection: Error, Sendable, CustomStringConvertible {
    public let reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}

/// Records as a batched consumer hands them over, with when they first arrived: a retried
/// batch keeps its time, so what a handler derives from it does not depend on the retries.
public struct ReceivedBatch: Sendable {
    public let messages: [KafkaConsumerMessage]
    public let receivedAt: Date
    /// For a consumer with a verifier, what each record's signature proves (``EventProvenance``),
    /// by index; nil for a record that is not a CloudEvent. Empty without a verifier.
    public var provenance: [EventProvenance?] = []
}

/// Settings of an ``EventConsumer``.
public struct EventConsumerConfiguration: Sendable {
    /// The consumer's name: its Kafka group id and the `maestro_consumer` header of its dead letters.
    public var name: String
    /// First delay before retrying a transient failure; it doubles up to ``maxRetryDelay``.
    public var initialRetryDelay: Duration
    public var maxRetryDelay: Duration
    /// Further settings for the underlying ``KafkaConsumer``.
    public var kafka: KafkaConsumerConfiguration

    public init(name: String, topics: [Topic], bootstrapServers: String,
                initialRetryDelay: Duration = .milliseconds(100), maxRetryDelay: Duration = .seconds(30)) {
        self.init(name: name, subscription: topics.map(\.name), bootstrapServers: bootstrapServers,
                  initialRetryDelay: initialRetryDelay, maxRetryDelay: maxRetryDelay)
    }

    /// - Parameter subscription: topic names; a name starting with `^` is a regular expression.
    public init(name: String, subscription: [String], bootstrapServers: String, maxBatchSize: Int = 500, properties: [String: String] = [:],
                initialRetryDelay: Duration = .milliseconds(100), maxRetryDelay: Duration = .seconds(30)) {
        self.name = name
        self.initialRetryDelay = initialRetryDelay
        self.maxRetryDelay = maxRetryDelay
        self.kafka = KafkaConsumerConfiguration(bootstrapServers: bootstrapServers, groupId: name, topics: subscription, clientId: name,
                                                maxBatchSize: maxBatchSize, properties: properties)
    }
}

/// The consumer pipeline every service uses to handle CloudEvents.
///
/// For each record, in partition order:
/// - a record that is not a valid CloudEvent, whose data is not JSON, or whose data fails
///   its type's JSON Schema goes to `maestro.dlq` with the error headers below;
/// - with a verifier, an event from a Maestro service's topic whose signature does not prove
///   that service produced it (``EventProvenance``: unsigned, unknown key, wrong producer,
///   altered) goes to `maestro.dlq` with the reason, and has no effect;
/// - otherwise the handler runs. If it throws ``EventRejection``, `DecodingError`,
///   ``CloudEventError`` or a domain's refusal (`DomainError`, except an internal-state one)
///   the record goes to `maestro.dlq`; any other error is transient and
///   the handler is retried with capped exponential backoff, never skipped;
/// - only then is the record's offset stored (at least once; with an inbox, effectively once).
///
/// A dead letter is published and acknowledged before the consumer moves on, so nothing is
/// dropped silently.
///
/// Each record is handled within a consumer span, `process <topic>`, that continues the trace
/// of the record's `ce_traceparent`: the handler's own spans, and the events it emits, join
/// the trace of the event that caused them.
public final class EventConsumer: Service, Sendable {
    public typealias Handler = @Sendable (CloudEvent, KafkaConsumerMessage) async throws -> Void

    private let consumer: KafkaConsumer
    private let stopping: StopFlag

    /// - Parameter verifier: checks the producer of events from Maestro services' topics; nil
    ///   for a consumer that acts on nothing another domain decided.
    public init(configuration: EventConsumerConfiguration, producer: KafkaProducer, verifier: EventVerifier? = nil, logger: Logger,
                handler: @escaping Handler) throws(KafkaError) {
        let stopping = StopFlag()
        let deadLetters = DeadLetterPublisher(consumerName: configuration.name, producer: producer)
        let retry = RetryPolicy(initial: configuration.initialRetryDelay, max: configuration.maxRetryDelay, stopping: stopping)
        var logger = logger
        logger[metadataKey: "consumer"] = "\(configuration.name)"
        let pipelineLogger = logger
        let group = configuration.kafka.groupId
        self.stopping = stopping
        self.consumer = try KafkaConsumer(configuration: configuration.kafka, logger: logger) { message in
            try await withSpanWhenRecording("process \(message.topic)", context: TraceContext.context(continuing: message.traceParent),
                                            ofKind: .consumer) { span in
                span?.attributes.setProcessing(message, group: group)
                try await EventConsumer.process(message, span: span, verifier: verifier, handler: handler, deadLetters: deadLetters, retry: retry,
                                                logger: pipelineLogger)
            }
        }
    }

    /// A consumer of raw records in batches, for a handler that must see every record as it is,
    /// CloudEvent or not (the audit log records poison too). A batch whose handler fails is
    /// retried with capped exponential backoff, never skipped, and with the same
    /// ``ReceivedBatch/receivedAt`` each time; offsets are stored only after the handler
    /// returns, so every record is handled at least once (with an inbox, once).
    ///
    /// With a verifier, the batch carries each record's ``ReceivedBatch/provenance``; a key set
    /// that cannot be loaded fails the batch like its handler would (it is retried).
    public init(records configuration: EventConsumerConfiguration, verifier: EventVerifier? = nil, logger: Logger,
                handler: @escaping @Sendable (ReceivedBatch) async throws -> Void) throws(KafkaError) {
        let stopping = StopFlag()
        let retry = RetryPolicy(initial: configuration.initialRetryDelay, max: configuration.maxRetryDelay, stopping: stopping)
        var logger = logger
        logger[metadataKey: "consumer"] = "\(configuration.name)"
        let pipelineLogger = logger
        let group = configuration.kafka.groupId
        self.stopping = stopping
        self.consumer = try KafkaConsumer.batched(configuration: configuration.kafka, logger: logger) { messages in
            var batch = ReceivedBatch(messages: messages, receivedAt: Date())
            let topics = Set(messages.map(\.topic)).sorted().joined(separator: ",")
            // A batch has many causes: its span starts a trace of its own, linked to each record's.
            try await withSpanWhenRecording("process \(topics)", context: .topLevel, ofKind: .consumer) { span in
                if let span {
                    span.attributes.setMessaging(.process, destination: topics)
                    span.attributes[SpanAttributeName.messagingConsumerGroup] = group
                    span.attributes[SpanAttributeName.messagingBatchCount] = messages.count
                    for message in messages.prefix(OutboxRelay.maxLinksPerBatch) {
                        guard let traceParent = message.traceParent else { continue }
                        span.addLink(SpanLink(context: TraceContext.context(continuing: traceParent), attributes: [:]))
                    }
                }
                try await retry.untilDone(logger: pipelineLogger) {
                    if let verifier, batch.provenance.isEmpty {
                        var provenance: [EventProvenance?] = []
                        for message in messages {
                            guard let event = try? CloudEvent(kafkaMessage: message) else { provenance.append(nil); continue }
                            provenance.append(try await verifier.provenance(of: event, topic: message.topic))
                        }
                        batch.provenance = provenance
                    }
                    try await handler(batch)
                }
            }
        }
    }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await consumer.run()
        } onGracefulShutdown: {
            self.stopping.set()
        }
    }

    /// Asks the consumer to stop after the record in hand (a retried record is not stored).
    public func triggerShutdown() {
        stopping.set()
        consumer.triggerShutdown()
    }

    private static func process(_ message: KafkaConsumerMessage, span: (any Span)?, verifier: EventVerifier?, handler: Handler,
                                deadLetters: DeadLetterPublisher, retry: RetryPolicy, logger: Logger) async throws {
        let event: CloudEvent
        do {
            event = try CloudEvent(kafkaMessage: message)
        } catch {
            return try await retry.untilDone(logger: logger) {
                try await deadLetters.publish(message, reason: .notCloudEvent, error: error.message, span: span, logger: logger)
            }
        }
        span?.attributes[SpanAttributeName.messagingMessageID] = event.id
        span?.attributes[SpanAttributeName.tenant] = event.tenant
        if let schema = try? EventSchemas.schema(forType: event.type), let data = try? JSONValue(parsing: event.data) {
            let violations = schema.violations(of: data)
            if !violations.isEmpty {
                let error = "data fails the schema of \(event.type): " + violations.prefix(5).map(\.description).joined(separator: "; ")
                return try await retry.untilDone(logger: logger) {
                    try await deadLetters.publish(message, reason: .schemaViolation, error: error, span: span, logger: logger)
                }
            }
        }
        if let verifier, Topic.named(message.topic)?.owningService != nil {
            var provenance = EventProvenance.unsigned
            // An unreachable key set is transient: the record waits, it is not judged.
            try await retry.untilDone(logger: logger) { provenance = try await verifier.provenance(of: event, topic: message.topic) }
            span?.attributes["maestro.event.provenance"] = provenance.status
            if let problem = provenance.problem {
                return try await retry.untilDone(logger: logger) {
                    try await deadLetters.publish(message, reason: .unverified, error: "producer not verified: \(problem)", span: span, logger: logger)
                }
            }
        }
        try await retry.untilDone(logger: logger) {
            do {
                try await handler(event, message)
            } catch let rejection as EventRejection {
                try await deadLetters.publish(message, reason: .rejected, error: rejection.reason, span: span, logger: logger)
            } catch let error as DecodingError {
                try await deadLetters.publish(message, reason: .undecodable, error: "data does not decode as \(event.type): \(error)", span: span, logger: logger)
            } catch let error as CloudEventError {
                try await deadLetters.publish(message, reason: .notCloudEvent, error: error.message, span: span, logger: logger)
            } catch let refusal as any DomainError where refusal.kind != .internalState {
                // The domain refuses the event for good; retrying would block the partition forever.
                try await deadLetters.publish(message, reason: .domainRefusal, error: refusal.description, span: span, logger: logger)
            }
        }
    }
}

/// Publishes poison records to `maestro.dlq` with the original key, value and headers plus
/// `maestro_error`, `maestro_consumer`, `maestro_original_topic`,
/// `maestro_original_partition` and `maestro_original_offset`.
struct DeadLetterPublisher: Sendable {
    static let errorHeader = "maestro_error"
    static let consumerHeader = "maestro_consumer"
    static let topicHeader = "maestro_original_topic"
    static let partitionHeader = "maestro_original_partition"
    static let offsetHeader = "maestro_original_offset"

    let consumerName: String
    let producer: KafkaProducer

    /// Why a record is a dead letter: the bounded `reason` of `maestro_dlq_records_total`.
    enum Reason: String {
        case notCloudEvent = "not_cloudevent"
        case schemaViolation = "schema_violation"
        case undecodable
        case rejected
        case domainRefusal = "domain_refusal"
        case unverified
    }

    func publish(_ message: KafkaConsumerMessage, reason: Reason, error: String, span: (any Span)?, logger: Logger) async throws(KafkaError) {
        var headers = message.headers.filter { !$0.name.hasPrefix("maestro_") }
        headers.append(KafkaHeader(name: Self.errorHeader, string: String(error.prefix(2000))))
        headers.append(KafkaHeader(name: Self.consumerHeader, string: consumerName))
        headers.append(KafkaHeader(name: Self.topicHeader, string: message.topic))
        headers.append(KafkaHeader(name: Self.partitionHeader, string: String(message.partition)))
        headers.append(KafkaHeader(name: Self.offsetHeader, string: String(message.offset)))
        let record = KafkaProducerMessage(topic: Topic.deadLetters.name, key: message.key, value: message.value, headers: headers)
        _ = try await producer.send(record)
        Counter(label: "maestro_dlq_records_total", dimensions: [("consumer", consumerName), ("topic", message.topic), ("reason", reason.rawValue)])
            .increment()
        span?.attributes["maestro.dead_letter.reason"] = reason.rawValue
        logger.warning("record sent to the dead-letter topic", metadata: [
            "topic": "\(message.topic)", "partition": "\(message.partition)", "offset": "\(message.offset)", "error": "\(error)",
        ])
    }
}

/// A flag set once when the consumer should stop.
package final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    package init() {}
    package func set() { value.store(true, ordering: .relaxed) }
    package var isSet: Bool { value.load(ordering: .relaxed) }
}

/// Retries transient failures with capped exponential backoff until they succeed. Stopping
/// the consumer ends the retries with `CancellationError`, so the record is not stored and
/// is delivered again after a restart.
package struct RetryPolicy: Sendable {
    let initial: Duration
    let max: Duration
    let stopping: StopFlag

    package init(initial: Duration, max: Duration, stopping: StopFlag) {
        self.initial = initial
        self.max = max
        self.stopping = stopping
    }

    package func untilDone(logger: Logger, _ operation: () async throws -> Void) async throws {
        var delay = initial
        var attempt = 1
        while true {
            do {
                return try await operation()
            } catch {
                if stopping.isSet || Task.isCancelled { throw CancellationError() }
                logger.warning("transient failure; retrying", metadata: ["attempt": "\(attempt)", "retry_in": "\(delay)", "error": "\(error)"])
                var slept = Duration.zero
                while slept < delay && !stopping.isSet {
                    let step = Swift.min(.milliseconds(100), delay - slept)
                    try await Task.sleep(for: step)
                    slept += step
                }
                if stopping.isSet { throw CancellationError() }
                delay = Swift.min(delay * 2, max)
                attempt += 1
            }
        }
    }
}

extension SpanAttributes {
    /// The attributes of a consumer span that handles `message`.
    mutating func setProcessing(_ message: KafkaConsumerMessage, group: String) {
        setMessaging(.process, destination: message.topic)
        self[SpanAttributeName.messagingPartition] = String(message.partition)
        self[SpanAttributeName.kafkaOffset] = Int(message.offset)
        self[SpanAttributeName.messagingConsumerGroup] = group
        self[SpanAttributeName.kafkaMessageKey] = message.keyString
    }
}
