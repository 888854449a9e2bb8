import Foundation
import Logging
import MaestroEvents
import MaestroDomain
import MaestroPostgres
import PostgresNIO

typealias RegistryTransaction = TenantTransaction<RegistryEvent>

/// The registry's state in PostgreSQL: one table set behind both the native and the MLflow API.
///
/// Every call runs in one tenant transaction of the caller (row-level security on
/// `maestro.tenant` bounds every statement; most also filter by tenant); every change enqueues its
/// events in the same transaction, so a change and its events commit together or not at all.
struct RegistryStore: Sendable {
    let database: ServiceDatabase<RegistryEvent>

    var logger: Logger { database.logger }

    /// Runs `body` in a transaction scoped to the caller's tenant.
    func transaction<Result: Sendable>(_ caller: Caller, _ body: (RegistryTransaction) async throws -> Result) async throws -> Result {
        try await database.transaction(caller, body)
    }

    /// Enqueues one registry event: keyed by model name, about `models/<name>` unless `subject` says more,
    /// acted by `caller` (a promotion's decision acts for governance).
    func emit<Event: RegistryEvent.Payload>(_ payload: Event, model: String, subject: String? = nil, caller: Caller,
                                            causation: CloudEvent? = nil, on tx: RegistryTransaction) async throws {
        try await tx.emit(payload, key: model, subject: subject ?? "models/\(model)", cause: causation, actor: caller.subject)
    }

    /// The id of a live model, locking its row so concurrent changes to one model serialize.
    func lockModel(_ name: String, on tx: RegistryTransaction) async throws -> UUID {
        let caller = tx.caller
        let rows = try await tx.query("""
            SELECT id FROM registry.models WHERE tenant_id = \(caller.tenant) AND name = \(name) AND deleted_at IS NULL FOR UPDATE
            """)
        for try await id in rows.decode(UUID.self) { return id }
        throw RegistryError.notFound("Registered model '\(name)'")
    }
}
