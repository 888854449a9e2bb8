import Foundation
import Logging
import MaestroEvents
import MaestroPostgres
import MaestroTestSupport
import PostgresNIO
import ServiceLifecycle
import Synchronization
import Testing

@Suite("Inbox retention", .serialized, .timeLimit(.minutes(2)))
struct InboxRetentionTests {
    static let schema = "ledger"
    static let retention = Duration.seconds(14 * 24 * 3600)
    /// Older than the retention.
    static let expired = Duration.seconds(15 * 24 * 3600)
    /// Younger than the retention.
    static let recent = Duration.seconds(13 * 24 * 3600)

    /// A migrated schema, a client as its owner (to age entries and change grants), and one as the runtime role.
    struct Fixture {
        let settings: PostgresSettings
        let owner: PostgresClient
        let client: PostgresClient
        let inbox: Inbox

        /// Records `ids` for `consumer` as handled now.
        func record(_ ids: [String], consumer: String = "projector") async throws {
            try await client.withTransaction(logger: TestDatabase.logger) { connection in
                let claimed = try await inbox.claim(consumer: consumer, ids: ids, on: connection, logger: TestDatabase.logger)
                #expect(claimed.count == ids.count)
            }
        }

        /// Backdates the entries of `ids` to `age` ago.
        func age(_ ids: [String], by age: Duration) async throws {
            try await owner.query("""
                UPDATE \(unescaped: settings.schema).inbox SET processed_at = now() - make_interval(secs => \(Double(age.components.seconds)))
                WHERE event_id = ANY(\(ids))
                """, logger: TestDatabase.logger)
        }

        func remaining() async throws -> Set<String> {
            Set(try await owner.strings("SELECT event_id FROM \(unescaped: settings.schema).inbox"))
        }

        func retention(interval: Duration = .seconds(3600), batchSize: Int = 10_000, logger: Logger = TestDatabase.logger) -> InboxRetention {
            InboxRetention(client: client, settings: settings, retention: InboxRetentionTests.retention, interval: interval,
                           batchSize: batchSize, logger: logger)
        }
    }

    func withFixture(_ body: (Fixture) async throws -> Void) async throws {
        let database = try await TestDatabase.create()
        try await withRunning(makeClient(try database.ownerSettings(schema: Self.schema))) { owner in
            try await database.migrator(owner, schema: Self.schema, migrations: []).migrate()
            let settings = try database.runtimeSettings(schema: Self.schema)
            try await withRunning(makeClient(settings)) { client in
                try await body(Fixture(settings: settings, owner: owner, client: client, inbox: Inbox(settings: settings)))
            }
        }
    }

    func ids(_ prefix: String, _ count: Int) -> [String] {
        (0..<count).map { "\(prefix)-\($0)" }
    }

    /// Polls `condition` until it holds, for at most 30 s; returns whether it held.
    func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    @Test("the service deletes entries older than the retention when it starts and keeps younger ones")
    func prunesOnlyExpiredEntries() async throws {
        try await withFixture { fixture in
            let expired = ids("expired", 40), recent = ids("recent", 10), fresh = ids("fresh", 10)
            try await fixture.record(expired + recent + fresh)
            try await fixture.record(ids("expired-other", 5), consumer: "another-consumer")
            try await fixture.age(expired + ids("expired-other", 5), by: Self.expired)
            try await fixture.age(recent, by: Self.recent)

            let group = ServiceGroup(services: [fixture.retention()], logger: TestDatabase.logger)
            let running = Task { try await group.run() }
            let pruned = try await eventually { try await fixture.remaining().count <= 20 }
            await group.triggerGracefulShutdown()
            try await running.value

            #expect(pruned, "the first run deletes the expired entries")
            #expect(try await fixture.remaining() == Set(recent + fresh))
        }
    }

    @Test("one prune removes a backlog many times its batch size, and keeps what is younger")
    func batchesDrainTheBacklog() async throws {
        try await withFixture { fixture in
            // 98 = 14 batches of 7 exactly: the last full batch is followed by an empty one.
            let expired = ids("expired", 98), recent = ids("recent", 5)
            try await fixture.record(expired + recent)
            try await fixture.age(expired, by: Self.expired)
            try await fixture.age(recent, by: Self.recent)
            let deleted = try await fixture.inbox.prune(olderThan: Self.retention, batchSize: 7, client: fixture.client, logger: TestDatabase.logger)
            #expect(deleted == 98)
            #expect(try await fixture.remaining() == Set(recent))
            let again = try await fixture.inbox.prune(olderThan: Self.retention, batchSize: 7, client: fixture.client, logger: TestDatabase.logger)
            #expect(again == 0)
        }
    }

    @Test("the service's single run removes a backlog larger than its batch size")
    func serviceRunDrainsTheBacklog() async throws {
        try await withFixture { fixture in
            let expired = ids("expired", 95), recent = ids("recent", 5)
            try await fixture.record(expired + recent)
            try await fixture.age(expired, by: Self.expired)
            // With a one-hour interval only the run at start happens during the test.
            let group = ServiceGroup(services: [fixture.retention(batchSize: 7)], logger: TestDatabase.logger)
            let running = Task { try await group.run() }
            let drained = try await eventually { try await fixture.remaining() == Set(recent) }
            await group.triggerGracefulShutdown()
            try await running.value
            #expect(drained, "one run deletes all \(expired.count) expired entries in batches of 7")
            #expect(try await fixture.remaining() == Set(recent))
        }
    }

    @Test("a redelivery of an event whose entry was pruned is treated as new, as documented; one still remembered is not")
    func redeliveryAfterPruningIsNew() async throws {
        try await withFixture { fixture in
            let old = CloudEvent(source: "/maestro/test", type: "io.maestro.test.thing.v1", tenant: "acme", data: Array("{}".utf8))
            let young = CloudEvent(source: "/maestro/test", type: "io.maestro.test.thing.v1", tenant: "acme", data: Array("{}".utf8))
            func deliver(_ event: CloudEvent) async throws -> Bool {
                try await fixture.inbox.once(consumer: "projector", event: event, client: fixture.client, logger: TestDatabase.logger) { _ in true } != nil
            }
            #expect(try await deliver(old))
            #expect(try await deliver(young))
            #expect(try await !deliver(old), "a redelivery within the retention is recognised")
            try await fixture.age([old.id], by: Self.expired)
            try await fixture.age([young.id], by: Self.recent)

            let group = ServiceGroup(services: [fixture.retention()], logger: TestDatabase.logger)
            let running = Task { try await group.run() }
            let pruned = try await eventually { try await fixture.remaining() == [young.id] }
            await group.triggerGracefulShutdown()
            try await running.value
            #expect(pruned)

            #expect(try await deliver(old), "the pruned event's redelivery is applied again")
            #expect(try await !deliver(old), "and then remembered again")
            #expect(try await !deliver(young), "an entry within the retention still recognises its redelivery")
        }
    }

    @Test("graceful shutdown stops the service while it waits for its next run")
    func stopsOnGracefulShutdown() async throws {
        try await withFixture { fixture in
            let expired = ids("expired", 3)
            try await fixture.record(expired)
            try await fixture.age(expired, by: Self.expired)
            // The next run is an hour away: a service that ignored the shutdown would outlive the test's time limit.
            let group = ServiceGroup(services: [fixture.retention(interval: .seconds(3600))], logger: TestDatabase.logger)
            let running = Task { try await group.run() }
            #expect(try await eventually { try await fixture.remaining().isEmpty }, "the run at start happened")
            await group.triggerGracefulShutdown()
            try await running.value
        }
    }

    @Test("cancelling the task running the service stops it without an error")
    func stopsOnCancellation() async throws {
        try await withFixture { fixture in
            let expired = ids("expired", 3)
            try await fixture.record(expired)
            try await fixture.age(expired, by: Self.expired)
            let retention = fixture.retention(interval: .seconds(3600))
            let running = Task { try await retention.run() }
            #expect(try await eventually { try await fixture.remaining().isEmpty }, "the run at start happened")
            running.cancel()
            try await running.value
        }
    }

    @Test("a failing run is logged and the service keeps going; it prunes once the database allows it again")
    func keepsGoingAfterAFailure() async throws {
        try await withFixture { fixture in
            let expired = ids("expired", 20)
            try await fixture.record(expired)
            try await fixture.age(expired, by: Self.expired)
            let table = "\(fixture.settings.schema).inbox", role = fixture.settings.runtimeGroupRole
            try await fixture.owner.query("REVOKE DELETE ON \(unescaped: table) FROM \(unescaped: role)", logger: TestDatabase.logger)

            let records = LogRecords()
            var logger = Logger(label: "maestro.test.inbox-retention") { _ in CapturingLogHandler(records: records) }
            logger.logLevel = .info
            let group = ServiceGroup(services: [fixture.retention(interval: .milliseconds(100), logger: logger)], logger: TestDatabase.logger)
            let running = Task { try await group.run() }

            let failedTwice = try await eventually { records.failures.count >= 2 }
            #expect(failedTwice, "a failed run is logged, and the next run comes after it")
            #expect(records.failures.first?.metadata["schema"] == "\(fixture.settings.schema)")
            #expect(try await fixture.remaining().count == 20)

            try await fixture.owner.query("GRANT DELETE ON \(unescaped: table) TO \(unescaped: role)", logger: TestDatabase.logger)
            let recovered = try await eventually { try await fixture.remaining().isEmpty }
            await group.triggerGracefulShutdown()
            try await running.value
            #expect(recovered, "the service survived the failures and pruned afterwards")
        }
    }
}

/// What a logger logged.
private final class LogRecords: Sendable {
    struct Record: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }

    private let records = Mutex<[Record]>([])

    func append(_ record: Record) {
        records.withLock { $0.append(record) }
    }

    /// Warnings about failed prune runs.
    var failures: [Record] {
        records.withLock { $0.filter { $0.level == .warning && $0.message.hasPrefix("inbox pruning failed") } }
    }
}

private struct CapturingLogHandler: LogHandler {
    let records: LogRecords
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        records.append(.init(level: event.level, message: event.message.description, metadata: merged.mapValues { "\($0)" }))
    }
}
