import Foundation
import Logging
import MaestroEvents
import MaestroPostgres
import PostgresNIO

/// The registry's state in PostgreSQL: one table set behind both the native and the MLflow API.
///
/// Every call runs in one tenant transaction (row-level security on `maestro.tenant`, and every
/// statement also filters by tenant); every change enqueues its events in the same transaction,
/// so a change and its events commit together or not at all.
public struct RegistryStore: Sendable {
    public static let schema = "registry"
    public static let source = "/maestro/registry"

    let client: PostgresClient
    let outbox: Outbox
    let logger: Logger

    public init(client: PostgresClient, settings: PostgresSettings, logger: Logger) {
        self.client = client
        self.outbox = Outbox(settings: settings)
        self.logger = logger
    }

    /// Runs `body` in a transaction scoped to the caller's tenant.
    func transaction<Result: Sendable>(_ caller: Caller, _ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        try await client.withTenantTransaction(caller.tenant, logger: logger, body)
    }

    /// Enqueues one registry event, keyed by model name, with subject `models/<name>[/…]`.
    func emit<Payload: EventPayload>(_ payload: Payload, model: String, subject: String? = nil, caller: Caller,
                                     causation: CloudEvent? = nil, on connection: PostgresConnection) async throws {
        let event = try CloudEvent(source: Self.source, subject: subject ?? "models/\(model)", tenant: caller.tenant, payload: payload,
                                   authId: caller.subject, correlationId: causation?.correlationId, causationId: causation?.id)
        try await outbox.enqueue(event, topic: .registryEvents, key: model, on: connection, logger: logger)
    }

    /// The id of a live model, locking its row so concurrent changes to one model serialize.
    func lockModel(_ name: String, _ caller: Caller, on connection: PostgresConnection) async throws -> UUID {
        let rows = try await connection.query("""
            SELECT id FROM registry.models WHERE tenant_id = \(caller.tenant) AND name = \(name) AND deleted_at IS NULL FOR UPDATE
            """, logger: logger)
        for try await id in rows.decode(UUID.self) { return id }
        throw RegistryError.notFound("Registered model '\(name)'")
    }

    /// Runs a statement and returns how many rows it returned.
    @discardableResult
    func count(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> Int {
        var count = 0
        for try await _ in try await connection.query(query, logger: logger) { count += 1 }
        return count
    }
}

/// JSON text for jsonb columns, bound as text and cast in SQL.
enum JSONText {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<Value: Decodable>(_ text: String?, as _: Value.Type) throws -> Value? {
        guard let text else { return nil }
        return try JSONDecoder().decode(Value.self, from: Data(text.utf8))
    }
}
