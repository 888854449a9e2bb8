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

    /// Runs `service` in a ServiceGroup while `body` runs, then shuts the group down gracefully
    /// and expects it to stop without an error.
    func withService<Value>(_ service: InboxRetention, _ body: () async throws -> Value) async throws -> Value {
        let group = ServiceGroup(services: [service], logger: TestDatabase.logger)
        let running = Running { try await group.run() }
        let result: Result<Value, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        await group.triggerGracefulShutdown()
        let outcome = await running.outcome()
        #expect(outcome.stopped, "the service stops on graceful shutdown")
        #expect(outcome.error == nil, "the service stops without an error: \(String(describing: outcome.error))")
        return try result.get()
    }

    @Test("the service deletes entries older than the retention when it starts and keeps younger ones")
    func prunesOnlyExpiredEntries() async throws {
        try await withFixture { fixture in
            let expired = ids("expired", 40), recent = ids("recent", 10), fresh = ids("fresh", 10)
            try await fixture.record(expired + recent + fresh)
            try await fixture.record(ids("expired-other", 5), consumer: "another-consumer")
            try await fixture.age(expired + ids("expired-other", 5), by: Self.expired)
            try await fixture.age(recent, by: Self.recent)

            let pruned = try await withService(fixture.retention()) {
                try await eventually { try await fixture.remaining().count <= 20 }
            }
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
            let drained = try await withService(fixture.retention(batchSize: 7)) {
                try await eventually { try await fixture.remaining() == Set(recent) }
            }
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

            let pruned = try await withService(fixture.retention()) {
                try await eventually { try await fixture.remaining() == [young.id] }
            }
            #expect(pruned)

            #expect(try await deliver(old), "the pruned event's redelivery is applied again")
            #expect(try await !deliver(old), "and then remembered again")
            #expect(try await !deliver(young), "an entry within the retention still recognises its redelivery")
        }
    }

    // The next run is an hour away: a service that ignored the shutdown would still be waiting
    // when the time limit cancels the test, and `stopped` would be false.
    @Test("graceful shutdown stops the service while it waits for its next run", .timeLimit(.minutes(1)))
    func stopsOnGracefulShutdown() async throws {
        try await withFixture { fixture in
            let expired = ids("expired", 3)
            try await fixture.record(expired)
            try await fixture.age(expired, by: Self.expired)
            let group = ServiceGroup(services: [fixture.retention(interval: .seconds(3600))], logger: TestDatabase.logger)
            let running = Running { try await group.run() }
            #expect(try await eventually { try await fixture.remaining().isEmpty }, "the run at start happened")
            await group.triggerGracefulShutdown()
            let outcome = await running.outcome()
            #expect(outcome.stopped, "the service stops on graceful shutdown")
            #expect(outcome.error == nil, "\(String(describing: outcome.error))")
        }
    }

    @Test("cancelling the task running the service stops it without an error", .timeLimit(.minutes(1)))
    func stopsOnCancellation() async throws {
        try await withFixture { fixture in
            let expired = ids("expired", 3)
            try await fixture.record(expired)
            try await fixture.age(expired, by: Self.expired)
            let retention = fixture.retention(interval: .seconds(3600))
            let running = Running { try await retention.run() }
            #expect(try await eventually { try await fixture.remaining().isEmpty }, "the run at start happened")
            running.cancel()
            let outcome = await running.outcome()
            #expect(outcome.stopped, "the service stops when its task is cancelled")
            #expect(outcome.error == nil, "\(String(describing: outcome.error))")
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
            try await withService(fixture.retention(interval: .milliseconds(100), logger: logger)) {
                let failedTwice = try await eventually { records.failures.count >= 2 }
                #expect(failedTwice, "a failed run is logged, and the next run comes after it")
                #expect(records.failures.first?.metadata["schema"] == "\(fixture.settings.schema)")
                #expect(try await fixture.remaining().count == 20)

                try await fixture.owner.query("GRANT DELETE ON \(unescaped: table) TO \(unescaped: role)", logger: TestDatabase.logger)
                let recovered = try await eventually { try await fixture.remaining().isEmpty }
                #expect(recovered, "the service survived the failures and pruned afterwards")
            }
        }
    }
}

/// An operation running in its own task, whose end can be awaited without hanging the test:
/// waiting gives up when the waiting task is cancelled (a test's time limit).
private struct Running: Sendable {
    private let task: Task<Void, Never>
    private let ended: AsyncStream<(any Error)?>

    init(_ operation: @escaping @Sendable () async throws -> Void) {
        let (ended, continuation) = AsyncStream<(any Error)?>.makeStream()
        self.ended = ended
        self.task = Task {
            do {
                try await operation()
                continuation.yield(nil)
            } catch {
                continuation.yield(error)
            }
            continuation.finish()
        }
    }

    func cancel() {
        task.cancel()
    }

    /// Whether the operation ended before the waiting task was cancelled, and the error it threw.
    func outcome() async -> (stopped: Bool, error: (any Error)?) {
        for await error in ended { return (true, error) }
        return (false, nil)
    }
}

extension LogRecords {
    /// Warnings about failed prune runs.
    var failures: [Record] {
        all.filter { $0.level == .warning && $0.message.hasPrefix("inbox pruning failed") }
    }
}
