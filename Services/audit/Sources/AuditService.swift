import Foundation
import Hummingbird
import MaestroAuditLog
import MaestroDomain
import MaestroEvents
import MaestroService
import ServiceLifecycle

/// `maestro-audit`: every record of every `maestro.*` topic appended, once, to a per-tenant
/// RFC 9162 Merkle log, with inclusion and consistency proofs, Ed25519-signed checkpoints,
/// streamed exports and model compliance reports.
@main
struct AuditService: ServiceDefinition {
    typealias Settings = AuditSettings

    typealias Events = AuditEvent
    static let identity = ServiceCatalog.audit
    static var resources: Bundle { .module }
    /// The log appends each record once because its inbox remembers every record it appended:
    /// pruning it would let a replay from the earliest offset append old records again, into
    /// a log that can never drop them.
    static var inboxPolicy: InboxPolicy { .keptForever }

    /// The ingest's librdkafka settings: new topics matching the pattern are picked up within
    /// seconds, not the default five minutes; an idle fetch returns after 100 ms, not 500, so a
    /// quiet topic's record is appended promptly.
    static let ingestProperties = ["topic.metadata.refresh.interval.ms": "5000", "fetch.wait.max.ms": "100"]
    static let ingestBatchSize = 1000

    let settings: AuditSettings
    let store: AuditLogStore
    let ingest: AuditIngest
    let api: AuditAPI

    init(kit: ServiceKit, settings: AuditSettings) async throws {
        let key: AuditSigningKey
        do { key = try AuditLogStore.loadSigningKey(file: settings.signingKeyFile) } catch {
            throw ConfigurationError(problems: ["MAESTRO_AUDIT_SIGNING_KEY_FILE: \(error)"])
        }
        self.settings = settings
        store = AuditLogStore(database: Self.database(kit), key: key, checkpointEvery: settings.checkpointEntries)
        ingest = AuditIngest(store: store)
        api = AuditAPI(store: store, platformTenant: kit.configuration.platformTenant, reportMaxEntries: settings.reportMaxEntries)
    }

    func routes(_ routes: ServiceRoutes) {
        routes.open.get("v1/audit/public-keys", use: api.publicKeys)
        let audit = routes.requiring(.viewer).group("v1/audit")
        audit.get("tree-head", use: api.treeHead)
        audit.get("checkpoints", use: api.checkpoints)
        audit.get("entries", use: api.entries)
        audit.get("entries/:index", use: api.entry)
        audit.get("entries/:index/proof", use: api.inclusionProof)
        audit.get("proofs/consistency", use: api.consistencyProof)
        audit.get("export", use: api.export)
        audit.get("reports/models/:name", use: api.modelReport)
    }

    var consumers: [ConsumerDeclaration] {
        [.records(AuditLogStore.consumerName, subscription: settings.topicPattern, maxBatchSize: Self.ingestBatchSize,
                  properties: Self.ingestProperties, verifiesProducers: true, handler: ingest.handle)]
    }

    var workers: [any Service] {
        [Checkpointer(store: store, interval: settings.checkpointInterval, logger: store.logger)]
    }

    /// The signing key's public half is recorded before the port opens, so the public keys
    /// list it from the first request.
    func beforeServerStarts() async throws {
        try await store.registerSigningKey()
    }
}
