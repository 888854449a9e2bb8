import ArgumentParser
import Foundation
import Logging
import MaestroBus
import MaestroEvents
import MaestroKafka
import ServiceLifecycle
import UnixSignals
import Synchronization

struct EventsTail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Follow a topic and show its CloudEvents with their attributes.",
        discussion: """
        Records that are not valid CloudEvents are shown with the reason, never hidden, unless a filter \
        (--type, --tenant, --subject-prefix) asks for events only. Standard error says when Kafka is \
        connected and when the records that were already there have been read. Ctrl-C stops.
        """
    )

    @OptionGroup var broker: BrokerOptions

    @Argument(help: "The topic to follow.")
    var topic: String

    @Flag(name: .long, help: "Start at the oldest record instead of new ones.")
    var fromBeginning = false

    @Option(name: .long, help: "Show only events of this type.")
    var type: String?

    @Option(name: .long, help: "Show only events of this tenant (ce_tenant).")
    var tenant: String?

    @Option(name: .long, help: "Show only events whose subject starts with this, e.g. models/fraud.")
    var subjectPrefix: String?

    @Flag(name: .long, help: "One JSON object per line, for scripts.")
    var json = false

    @Option(name: .long, help: "Stop after this many shown records.")
    var maxMessages: Int?

    func run() async throws {
        let bootstrapServers = try broker.bootstrapServers()
        let partitions = try await broker.checkTopic(topic, bootstrapServers: bootstrapServers)
        let filter = EventFilter(type: type, tenant: tenant, subjectPrefix: subjectPrefix)
        let printer = RecordPrinter(json: json, filter: filter, limit: maxMessages)
        // What was already on the topic when the tail started: reading past it is being caught up.
        let ends = fromBeginning ? try await KafkaAdmin(bootstrapServers: bootstrapServers, logger: broker.kafkaLogger)
            .endOffsets(topic: topic, partitions: partitions) : [:]
        let progress = CatchUp(ends: ends)
        FileHandle.standardError.write(Data("connected to \(bootstrapServers); following \(topic) (\(partitions) partitions) from \(fromBeginning ? "its oldest record" : "new records only")\n".utf8))
        if progress.isCaughtUp { FileHandle.standardError.write(Data("caught up; waiting for new records\n".utf8)) }
        let configuration = KafkaConsumerConfiguration(
            bootstrapServers: bootstrapServers, groupId: "maestro-tail-\(UUIDv7.string())", topics: [topic],
            clientId: "maestro-cli", offsetReset: fromBeginning ? .earliest : .latest,
            properties: ["enable.auto.commit": "false"])
        let consumerBox = Mutex<KafkaConsumer?>(nil)
        let consumer = try KafkaConsumer(configuration: configuration, logger: broker.kafkaLogger) { message in
            let done = printer.show(message)
            if progress.read(partition: message.partition, offset: message.offset) {
                FileHandle.standardError.write(Data("caught up: \(progress.readCount) records were already there; waiting for new records\n".utf8))
            }
            if done {
                consumerBox.withLock { $0?.triggerShutdown() }
            }
        }
        consumerBox.withLock { $0 = consumer }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: consumer, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: broker.kafkaLogger))
        try await group.run()
    }
}

/// Which events a tail shows; with any filter set, only CloudEvents that match all of them.
struct EventFilter: Sendable {
    var type: String?
    var tenant: String?
    var subjectPrefix: String?

    var isEmpty: Bool { type == nil && tenant == nil && subjectPrefix == nil }

    func matches(_ event: CloudEvent) -> Bool {
        (type.map { event.type == $0 } ?? true) && (tenant.map { event.tenant == $0 } ?? true)
            && (subjectPrefix.map { event.subject?.hasPrefix($0) == true } ?? true)
    }
}

/// Whether a tail from the oldest record has read what was on the topic when it started.
final class CatchUp: Sendable {
    private let state: Mutex<(remaining: [Int32: Int64], read: Int)>

    /// - Parameter ends: each partition's end offset at the start; empty when nothing is to be caught up.
    init(ends: [Int32: Int64]) {
        state = Mutex((ends.filter { $0.value > 0 }, 0))
    }

    var isCaughtUp: Bool { state.withLock { $0.remaining.isEmpty } }
    var readCount: Int { state.withLock { $0.read } }

    /// Records a read; true exactly once, when the last record that was already there is read.
    func read(partition: Int32, offset: Int64) -> Bool {
        state.withLock { state in
            guard let end = state.remaining[partition] else { return false }
            state.read += 1
            if offset >= end - 1 { state.remaining[partition] = nil }
            return state.remaining.isEmpty
        }
    }
}

/// Formats records for people or for scripts. `show` returns true once the limit is reached.
final class RecordPrinter: Sendable {
    let json: Bool
    let filter: EventFilter
    let limit: Int?
    private let shown = Atomic<Int>(0)

    init(json: Bool, filter: EventFilter, limit: Int?) {
        self.json = json
        self.filter = filter
        self.limit = limit
    }

    func show(_ message: KafkaConsumerMessage) -> Bool {
        let parsed = Result { () throws(CloudEventError) in try CloudEvent(kafkaMessage: message) }
        if !filter.isEmpty {
            guard case .success(let event) = parsed, filter.matches(event) else { return false }
        }
        let line = json ? jsonLine(message, parsed) : text(message, parsed)
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
        let count = shown.add(1, ordering: .relaxed).newValue
        return limit.map { count >= $0 } ?? false
    }

    private func text(_ message: KafkaConsumerMessage, _ parsed: Result<CloudEvent, CloudEventError>) -> String {
        var lines = ["\(message.topic) [\(message.partition)@\(message.offset)] key=\(message.keyString ?? "∅")"]
        switch parsed {
        case .success(let event):
            for (name, value) in [("type", Optional(event.type)), ("id", event.id), ("source", event.source), ("time", event.time.map(RFC3339.format)), ("subject", event.subject), ("tenant", event.tenant),
                                  ("authid", event.authId), ("correlation", event.correlationId), ("causation", event.causationId),
                                  ("traceparent", event.traceParent), ("dataschema", event.dataSchema), ("signature", event.signature)] {
                if let value { lines.append("  \("\(name):".padding(toLength: 12, withPad: " ", startingAt: 0)) \(value)") }
            }
        case .failure(let error):
            lines.append("  not a valid CloudEvent: \(error.message)")
        }
        for header in message.headers where header.name.hasPrefix("maestro_") {
            lines.append("  \(header.name): \(header.stringValue ?? "<binary>")")
        }
        lines.append("  data: \(String(decoding: message.value, as: UTF8.self))")
        return lines.joined(separator: "\n")
    }

    private func jsonLine(_ message: KafkaConsumerMessage, _ parsed: Result<CloudEvent, CloudEventError>) -> String {
        var object: [String: JSONValue] = [
            "topic": .string(message.topic),
            "partition": .number(Double(message.partition)),
            "offset": .number(Double(message.offset)),
            "key": message.keyString.map(JSONValue.string) ?? .null,
        ]
        var headers: [String: JSONValue] = [:]
        for header in message.headers {
            headers[header.name] = header.stringValue.map(JSONValue.string) ?? .null
        }
        object["headers"] = .object(headers)
        switch parsed {
        case .success(let event):
            var attributes: [String: JSONValue] = [
                "specversion": .string(CloudEvent.specVersion), "id": .string(event.id), "source": .string(event.source),
                "type": .string(event.type), "datacontenttype": .string(event.dataContentType),
            ]
            for (name, value) in [("time", event.time.map(RFC3339.format)), ("subject", event.subject), ("dataschema", event.dataSchema),
                                  ("tenant", event.tenant), ("authid", event.authId), ("correlationid", event.correlationId),
                                  ("causationid", event.causationId), ("traceparent", event.traceParent), ("signature", event.signature)] {
                if let value { attributes[name] = .string(value) }
            }
            object["attributes"] = .object(attributes)
            object["data"] = (try? JSONValue(parsing: event.data)) ?? .null
        case .failure(let error):
            object["error"] = .string(error.message)
            object["value"] = .string(String(decoding: message.value, as: UTF8.self))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(JSONValue.object(object)), as: UTF8.self)) ?? "{}"
    }
}
