import Foundation
import MaestroAuditLog
import MaestroService

/// The audit service's own settings (`MAESTRO_AUDIT_*`), next to the kit's.
struct AuditSettings: Sendable {
    /// The Ed25519 checkpoint key: a file holding the 32-byte seed in base64, created with a
    /// new key when missing. It is kept out of the database on purpose: whoever can rewrite the
    /// tables should not also be able to re-sign them.
    var signingKeyFile = ".maestro/keys/audit-signing.key"
    /// A checkpoint is signed once a log has grown by this many entries...
    var checkpointEntries = 1000
    /// ...or, if it has grown at all, once this long has passed since its last checkpoint.
    var checkpointInterval: Duration = .seconds(10)
    /// The topics recorded: a librdkafka regular expression (a leading `^`) or one topic name.
    var topicPattern = "^maestro\\..*"
    /// Admins of this tenant read the `_system` log (records without a valid tenant).
    var operatorTenant = "default"
    /// The most entries a compliance report holds; larger timelines are exported instead.
    var reportMaxEntries = 10_000

    init(environment: [String: String]) throws(ConfigurationError) {
        var problems: [String] = []
        if let file = environment["MAESTRO_AUDIT_SIGNING_KEY_FILE"] {
            if file.isEmpty { problems.append("MAESTRO_AUDIT_SIGNING_KEY_FILE: must be a file path") } else { signingKeyFile = file }
        }
        if let text = environment["MAESTRO_AUDIT_CHECKPOINT_ENTRIES"] {
            if let value = Int(text), (1...1_000_000).contains(value) { checkpointEntries = value } else {
                problems.append("MAESTRO_AUDIT_CHECKPOINT_ENTRIES: must be a whole number from 1 to 1000000, got '\(text)'")
            }
        }
        if let text = environment["MAESTRO_AUDIT_CHECKPOINT_SECONDS"] {
            if let value = Int(text), (1...86_400).contains(value) { checkpointInterval = .seconds(value) } else {
                problems.append("MAESTRO_AUDIT_CHECKPOINT_SECONDS: must be a whole number of seconds from 1 to 86400, got '\(text)'")
            }
        }
        if let text = environment["MAESTRO_AUDIT_REPORT_MAX_ENTRIES"] {
            if let value = Int(text), (1...100_000).contains(value) { reportMaxEntries = value } else {
                problems.append("MAESTRO_AUDIT_REPORT_MAX_ENTRIES: must be a whole number from 1 to 100000, got '\(text)'")
            }
        }
        if let pattern = environment["MAESTRO_AUDIT_TOPIC_PATTERN"] {
            if pattern.isEmpty || pattern.contains(",") {
                problems.append("MAESTRO_AUDIT_TOPIC_PATTERN: must be one topic name or one regular expression starting with ^")
            } else {
                topicPattern = pattern
            }
        }
        if let tenant = environment["MAESTRO_AUDIT_OPERATOR_TENANT"] {
            if AuditRecord.validTenant(tenant) == nil {
                problems.append("MAESTRO_AUDIT_OPERATOR_TENANT: must be a tenant id (lowercase letters, digits and '-')")
            } else {
                operatorTenant = tenant
            }
        }
        if !problems.isEmpty { throw ConfigurationError(problems: problems) }
    }

    /// Reads the signing key, or creates the file (mode 0600) with a new key.
    func loadSigningKey() throws(ConfigurationError) -> AuditSigningKey {
        let url = URL(fileURLWithPath: signingKeyFile)
        // Only a missing file gets a new key: an unreadable one must never be replaced, or the log would change keys silently.
        if FileManager.default.fileExists(atPath: url.path) {
            guard let text = try? String(contentsOf: url, encoding: .utf8), let key = AuditSigningKey(base64: text) else {
                throw ConfigurationError(problems: ["MAESTRO_AUDIT_SIGNING_KEY_FILE: \(signingKeyFile) does not hold a base64 Ed25519 seed (32 bytes)"])
            }
            return key
        }
        let key = AuditSigningKey()
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: url.path, contents: Data((key.base64 + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteUnknown)
            }
        } catch {
            throw ConfigurationError(problems: ["MAESTRO_AUDIT_SIGNING_KEY_FILE: cannot create \(signingKeyFile): \(error)"])
        }
        return key
    }
}
