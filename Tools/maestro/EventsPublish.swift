import ArgumentParser
import Foundation
import MaestroBus
import MaestroEvents
import MaestroKafka

struct EventsPublish: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish one CloudEvent (Kafka binary mode) to a catalog topic.",
        discussion: """
        Example: maestro events publish maestro.ingest.usage --type io.maestro.ingest.usage.recorded.v1 \
        --subject resources/gpu-1 --tenant default --data @usage.json
        Data of a known event type is checked against its JSON Schema first.
        The event is unsigned: consumers that verify producers (the registry on approvals,
        governance on promotion requests, every service on revocations) send it to maestro.dlq,
        and audit records it as unverified. Use it for the ingest topics and for tests.
        """
    )

    @OptionGroup var broker: BrokerOptions

    @Argument(help: "A topic of Maestro's catalog, e.g. maestro.registry.events.")
    var topic: String

    @Option(name: .long, help: "The CloudEvents type, e.g. io.maestro.registry.model.created.v1.")
    var type: String

    @Option(name: .long, help: "The subject, e.g. models/fraud/versions/3.")
    var subject: String

    @Option(name: .long, help: "The tenant (ce_tenant).")
    var tenant: String?

    @Option(name: .long, help: "The JSON data: inline JSON, @file.json, or @- for standard input.")
    var data: String

    @Option(name: .long, help: "The Kafka key. Default: the aggregate id from the subject (its second segment, e.g. 'fraud' for models/fraud/versions/3).")
    var key: String?

    @Option(name: .long, help: "The source (ce_source).")
    var source: String = "/maestro/cli"

    @Option(name: .long, help: "The event id (ce_id). Default: a new UUIDv7.")
    var id: String?

    @Option(name: .long, help: "The acting principal (ce_authid).")
    var authid: String?

    @Option(name: .long, help: "The saga's correlation id (ce_correlationid). Default: the event id.")
    var correlationId: String?

    @Option(name: .long, help: "The id of the event that caused this one (ce_causationid).")
    var causationId: String?

    @Option(name: .long, help: "W3C trace context (ce_traceparent).")
    var traceparent: String?

    @Flag(name: .long, help: "Publish even if the data fails the event type's schema.")
    var noValidate = false

    func run() async throws {
        guard let catalogTopic = Topic.named(topic) else {
            throw CLIError("unknown topic '\(topic)': not in Maestro's topic catalog (\(Topic.catalog.map(\.name).joined(separator: ", ")))")
        }
        let bytes = try readData()
        guard (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) != nil else {
            throw CLIError("--data is not valid JSON")
        }
        if !noValidate, let eventType = EventCatalog.type(named: type) {
            guard eventType.topic == catalogTopic else {
                throw CLIError("event type \(type) belongs on \(eventType.topic.name), not \(topic)")
            }
            let violations = try EventSchemas.violations(of: bytes, forType: type)
            guard violations.isEmpty else {
                throw CLIError("data fails the schema of \(type): " + violations.map(\.description).joined(separator: "; "))
            }
        }
        let eventId = id ?? UUIDv7.string()
        let event = CloudEvent(id: eventId, source: source, type: type, subject: subject,
                               dataSchema: EventCatalog.type(named: type)?.dataSchema, tenant: tenant, authId: authid,
                               correlationId: correlationId ?? eventId, causationId: causationId, traceParent: traceparent,
                               data: bytes)
        let bootstrapServers = try broker.bootstrapServers()
        try await broker.checkTopic(topic, bootstrapServers: bootstrapServers)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: bootstrapServers, clientId: "maestro-cli",
                                                                                  deliveryTimeout: .seconds(15)),
                                         logger: broker.kafkaLogger)
        let record = event.kafkaMessage(topic: topic, key: key ?? Self.aggregateKey(fromSubject: subject))
        let report: KafkaDeliveryReport
        do {
            report = try await producer.send(record)
        } catch {
            await producer.close()
            throw CLIError("publish failed: \(error)")
        }
        await producer.close()
        print("published \(event.id) to \(report.topic) partition \(report.partition) offset \(report.offset)")
    }

    private func readData() throws -> [UInt8] {
        guard data.hasPrefix("@") else { return Array(data.utf8) }
        let path = String(data.dropFirst())
        if path == "-" {
            return Array(FileHandle.standardInput.readDataToEndOfFile())
        }
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw CLIError("cannot read --data file \(path)")
        }
        return Array(contents)
    }

    /// `models/fraud/versions/3` → `fraud`; a one-segment subject is its own key.
    static func aggregateKey(fromSubject subject: String) -> String {
        let segments = subject.split(separator: "/")
        return segments.count >= 2 ? String(segments[1]) : subject
    }
}
