import ArgumentParser
import Foundation
import Logging
import MaestroEvents
import MaestroKafka
import ServiceLifecycle
import UnixSignals

struct DevBrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run the embedded Kafka broker (librdkafka's mock cluster) in the foreground.",
        discussion: """
        Creates every topic of Maestro's catalog, prints the bootstrap address and writes it to \
        <run dir>/kafka.bootstrap. Data lives in memory only: for development and tests. Ctrl-C stops it.
        """
    )

    static let bootstrapFileName = "kafka.bootstrap"

    @Option(name: .long, help: "Number of mock brokers.")
    var brokers: Int32 = 1

    @Option(name: .long, help: "Where to write kafka.bootstrap.")
    var runDir: String = ProcessInfo.processInfo.environment["MAESTRO_RUN_DIR"] ?? ".maestro/run"

    @Option(name: .long, help: "Extra topics to create, as name:partitions (repeatable).")
    var topic: [String] = []

    @Flag(name: .long, help: "Create none of the catalog's topics (only --topic ones), as a Kafka whose topics a deployment's job creates.")
    var noCatalogTopics = false

    @Flag(name: .long, help: "Show the mock cluster's log lines.")
    var verbose = false

    func run() async throws {
        var logger = Logger(label: "maestro.dev.broker")
        logger.logLevel = verbose ? .debug : .warning
        let broker = try DevBroker(brokers: brokers, logger: logger)
        var created: [(String, Int32)] = noCatalogTopics ? [] : Topic.catalog.map { ($0.name, $0.partitions) }
        for spec in topic {
            let parts = spec.split(separator: ":")
            guard parts.count == 2, let partitions = Int32(parts[1]), partitions > 0 else {
                throw CLIError("--topic \(spec): expected name:partitions")
            }
            created.append((String(parts[0]), partitions))
        }
        for (name, partitions) in created {
            try broker.createTopic(name, partitions: partitions, replicationFactor: brokers)
        }
        let directory = URL(fileURLWithPath: runDir)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent(Self.bootstrapFileName)
        try Data((broker.bootstrapServers + "\n").utf8).write(to: file, options: .atomic)

        var banner = ["Kafka (embedded mock cluster, in memory) listening on \(broker.bootstrapServers)",
                      "bootstrap address written to \(file.path)"]
        banner += created.map { "  topic \($0.0) (\($0.1) partitions)" }
        banner.append("Press Ctrl-C to stop.")
        FileHandle.standardOutput.write(Data((banner.joined(separator: "\n") + "\n").utf8))

        let group = ServiceGroup(services: [BrokerHost(broker: broker, bootstrapFile: file)],
                                 gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}

/// Keeps the broker alive until shutdown, then removes its address file.
private struct BrokerHost: Service {
    let broker: DevBroker
    let bootstrapFile: URL

    func run() async throws {
        try? await gracefulShutdown()
        try? FileManager.default.removeItem(at: bootstrapFile)
        withExtendedLifetime(broker) {}
    }
}
