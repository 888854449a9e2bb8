import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MaestroAuditLog
import MaestroBus
import MaestroEvents
import MaestroHTTPTestSupport
import MaestroKafka
import MaestroPostgres
import MaestroService
import MaestroTestSupport
import PostgresNIO
import Synchronization
@testable import Audit

/// The audit service on the servers `make test` started, built from its definition by the
/// kit's harness (fresh database, runtime role, full router), with a fresh signing key and
/// `ops` as the platform tenant.
struct AuditHarness: Sendable {
    let base: ServiceHarness<AuditService>

    static var logger: Logger { ServiceHarness<AuditService>.logger }

    /// Runs `body` with a fresh audit service that checkpoints a log every `checkpointEvery` entries.
    static func with<Result: Sendable>(checkpointEvery: Int = 1000, _ body: (AuditHarness) async throws -> Result) async throws -> Result {
        let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("maestro-audit-tests-\(UUID().uuidString)/audit-signing.key")
        return try await ServiceHarness<AuditService>.with(environment: [
            "MAESTRO_PLATFORM_TENANT": "ops",
            "MAESTRO_AUDIT_CHECKPOINT_ENTRIES": String(checkpointEvery),
            "MAESTRO_AUDIT_SIGNING_KEY_FILE": keyFile.path,
        ]) { base in
            do {
                return try await body(AuditHarness(base: base))
            } catch let error as PSQLError {
                // PSQLError hides the server's message unless reflected; a failing test should say what failed.
                throw TestSetupError(String(reflecting: error))
            }
        }
    }

    var service: AuditService { base.service }
    var store: AuditLogStore { service.store }
    /// The key the service signs checkpoints with.
    var auditKey: AuditSigningKey { store.key }
    /// On the NOBYPASSRLS runtime role.
    var client: PostgresClient { base.client }
    var router: Router<MaestroRequestContext> { base.router }
    var application: some ApplicationProtocol { base.application }

    func token(subject: String = "alice", tenant: String = "acme", roles: [String] = ["viewer"]) async throws -> String {
        try await base.token(subject: subject, tenant: tenant, roles: roles)
    }

    /// Runs `body` as the schema's owner (who can disable the append-only triggers, as an attacker with the owner's password could).
    func asOwner<Result: Sendable>(_ body: (PostgresClient) async throws -> Result) async throws -> Result {
        try await base.asOwner(body)
    }
}

/// Kafka records as the ingest consumer receives them.
enum Records {
    private static let nextOffset = Mutex<Int64>(0)

    /// A CloudEvent record; `offset` defaults to a fresh one.
    static func event(tenant: String? = "acme", type: String = "io.maestro.registry.model.created.v1", subject: String = "models/fraud",
                      id: String = UUIDv7.string(), authID: String? = "alice", correlationID: String? = nil, data: String = #"{"name":"fraud"}"#,
                      topic: String = "maestro.registry.events", offset: Int64? = nil) -> KafkaConsumerMessage {
        let event = CloudEvent(id: id, source: "/maestro/registry", type: type, subject: subject, tenant: tenant, authId: authID,
                               correlationId: correlationID ?? id, data: Array(data.utf8))
        let produced = event.kafkaMessage(topic: topic, key: subject)
        return KafkaConsumerMessage(topic: topic, partition: 0, offset: offset ?? take(), key: produced.key, value: produced.value,
                                    headers: produced.headers, timestamp: Int64(Date().timeIntervalSince1970 * 1000))
    }

    /// A record that is not a CloudEvent.
    static func garbage(_ bytes: [UInt8] = Array("not json {".utf8), headers: [KafkaHeader] = [], topic: String = "maestro.ingest.usage") -> KafkaConsumerMessage {
        KafkaConsumerMessage(topic: topic, partition: 1, offset: take(), key: nil, value: bytes, headers: headers, timestamp: nil)
    }

    private static func take() -> Int64 {
        nextOffset.withLock { value in
            value += 1
            return value
        }
    }
}
