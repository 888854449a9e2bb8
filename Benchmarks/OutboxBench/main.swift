// The outbox relay's throughput for `make bench`: events per second from committed outbox
// rows to broker acknowledgement (the relay drains a committed backlog).
//
//   OutboxBench <admin postgres url> <kafka bootstrap> <events>
//
// Prints: RESULT outbox-relay swift <events> <seconds> <events/s>
import Foundation
import Logging
import MaestroBus
import MaestroEvents
import MaestroKafka
import MaestroPostgres
import PostgresNIO
import ServiceLifecycle

let arguments = CommandLine.arguments
guard arguments.count == 4, let count = Int(arguments[3]), let admin = URLComponents(string: arguments[1]),
      let host = admin.host, let owner = admin.user else {
    FileHandle.standardError.write(Data("usage: OutboxBench <admin postgres url> <kafka bootstrap> <events>\n".utf8))
    exit(2)
}
var logger = Logger(label: "outbox-bench")
logger.logLevel = .error
let port = admin.port ?? 5432
let suffix = UUID().uuidString.prefix(8).lowercased()
let database = "bench_\(suffix)"
let runtimeRole = "bench_app_\(suffix)"

func withClient<T: Sendable>(_ configuration: PostgresClient.Configuration, _ body: (PostgresClient) async throws -> T) async throws -> T {
    let client = PostgresClient(configuration: configuration)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        return try await body(client)
    }
}

try await withClient(.init(host: host, port: port, username: owner, password: nil, database: "postgres", tls: .disable)) { client in
    try await client.query("CREATE DATABASE \(unescaped: database)", logger: logger)
    try await client.query("CREATE ROLE \(unescaped: runtimeRole) LOGIN NOBYPASSRLS", logger: logger)
}
let ownerSettings = try PostgresSettings(url: "postgres://\(owner)@\(host):\(port)/\(database)?sslmode=disable", schema: "bench")
let settings = try PostgresSettings(url: "postgres://\(runtimeRole)@\(host):\(port)/\(database)?sslmode=disable", schema: "bench")
try await withClient(ownerSettings.clientConfiguration) { client in
    try await PostgresMigrator(client: client, settings: ownerSettings, runtimeLoginRole: runtimeRole, migrations: [], logger: logger).migrate()
}

let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: arguments[2]), logger: logger)
try await withClient(settings.clientConfiguration) { client in
    let outbox = Outbox(settings: settings)
    let data = Array(#"{"model_name":"fraud","version":3,"alias":"champion"}"#.utf8)
    for start in stride(from: 0, to: count, by: 100) {
        try await client.withTransaction(logger: logger) { connection in
            for index in start..<min(start + 100, count) {
                let event = CloudEvent(source: "/maestro/bench", type: "io.maestro.bench.thing.v1", subject: "models/m\(index % 50)", tenant: "bench", data: data)
                try await outbox.enqueue(event, topic: Topic.registryEvents, key: "m\(index % 50)", on: connection, logger: logger)
            }
        }
    }
    _ = try await producer.send(KafkaProducerMessage(topic: Topic.registryEvents.name, key: "warm-up", value: Array("{}".utf8)))

    let relay = OutboxRelay(client: client, producer: producer, settings: settings, logger: logger)
    let group = ServiceGroup(services: [relay], logger: logger)
    let start = ContinuousClock.now
    let running = Task { try await group.run() }
    var unsent = count
    while unsent > 0 {
        try await Task.sleep(for: .milliseconds(5))
        for try await value in try await client.query("SELECT count(*)::int FROM bench.outbox WHERE sent_at IS NULL", logger: logger).decode(Int.self) {
            unsent = value
        }
    }
    let elapsed = ContinuousClock.now - start
    await group.triggerGracefulShutdown()
    try await running.value
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print("RESULT outbox-relay swift \(count) \(String(format: "%.3f", seconds)) \(String(format: "%.0f", Double(count) / seconds))")
}
await producer.close()
