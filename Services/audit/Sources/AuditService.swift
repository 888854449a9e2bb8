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

    static let identity = ServiceCatalog.audit
    static var resources: Bundle { .module }

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
        store = AuditLogStore(database: kit.database(AuditEvent.self), key: key, checkpointEvery: settings.checkpointEntries)
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
                  properties: Self.ingestProperties, handler: ingest.handle)]
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

/// The audit service's own settings (`MAESTRO_AUDIT_*`), read with the kit's.
struct AuditSettings: ServiceSettings {
    /// The Ed25519 checkpoint key: a file holding the 32-byte seed in base64, created with a
    /// new key when missing.
    var signingKeyFile = ".maestro/keys/audit-signing.key"
    /// A checkpoint is signed once a log has grown by this many entries...
    var checkpointEntries = 1000
    /// ...or, if it has grown at all, once this long has passed since its last checkpoint.
    var checkpointInterval: Duration = .seconds(10)
    /// The topics recorded: a librdkafka regular expression (a leading `^`) or one topic name.
    var topicPattern = "^maestro\\..*"
    /// The most entries a compliance report holds; larger timelines are exported instead.
    var reportMaxEntries = 10_000

    init(reading reader: inout SettingsReader) {
        let environment = reader.environment
        if let file = environment["MAESTRO_AUDIT_SIGNING_KEY_FILE"] {
            if file.isEmpty { reader.problems.append("MAESTRO_AUDIT_SIGNING_KEY_FILE: must be a file path") } else { signingKeyFile = file }
        }
        if let text = environment["MAESTRO_AUDIT_CHECKPOINT_ENTRIES"] {
            if let value = Int(text), (1...1_000_000).contains(value) { checkpointEntries = value } else {
                reader.problems.append("MAESTRO_AUDIT_CHECKPOINT_ENTRIES: must be a whole number from 1 to 1000000, got '\(text)'")
            }
        }
        if let text = environment["MAESTRO_AUDIT_CHECKPOINT_SECONDS"] {
            if let value = Int(text), (1...86_400).contains(value) { checkpointInterval = .seconds(value) } else {
                reader.problems.append("MAESTRO_AUDIT_CHECKPOINT_SECONDS: must be a whole number of seconds from 1 to 86400, got '\(text)'")
            }
        }
        if let text = environment["MAESTRO_AUDIT_REPORT_MAX_ENTRIES"] {
            if let value = Int(text), (1...100_000).contains(value) { reportMaxEntries = value } else {
                reader.problems.append("MAESTRO_AUDIT_REPORT_MAX_ENTRIES: must be a whole number from 1 to 100000, got '\(text)'")
            }
        }
        if let pattern = environment["MAESTRO_AUDIT_TOPIC_PATTERN"] {
            if pattern.isEmpty || pattern.contains(",") {
                reader.problems.append("MAESTRO_AUDIT_TOPIC_PATTERN: must be one topic name or one regular expression starting with ^")
            } else {
                topicPattern = pattern
            }
        }
    }
}
