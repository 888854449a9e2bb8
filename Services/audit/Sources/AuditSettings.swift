import Foundation
import MaestroService

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
        // Refused rather than ignored: a deployment that set it would otherwise give the `_system`
        // log to the admins of another tenant without a word.
        if environment["MAESTRO_AUDIT_OPERATOR_TENANT"] != nil {
            reader.problems.append("MAESTRO_AUDIT_OPERATOR_TENANT: renamed to MAESTRO_PLATFORM_TENANT, which every service reads; set that instead")
        }
        // A key created anew on each start would sign checkpoints no one can chain to the last ones.
        if reader.isProduction { reader.require(["MAESTRO_AUDIT_SIGNING_KEY_FILE"]) }
        if let file = environment["MAESTRO_AUDIT_SIGNING_KEY_FILE"] {
            if file.isEmpty { reader.problems.append("MAESTRO_AUDIT_SIGNING_KEY_FILE: must be a file path") } else { signingKeyFile = file }
        }
        if let entries = reader.wholeNumber("MAESTRO_AUDIT_CHECKPOINT_ENTRIES", in: 1...1_000_000) { checkpointEntries = entries }
        if let seconds = reader.wholeNumber("MAESTRO_AUDIT_CHECKPOINT_SECONDS", in: 1...86_400, unit: "seconds") { checkpointInterval = .seconds(seconds) }
        if let entries = reader.wholeNumber("MAESTRO_AUDIT_REPORT_MAX_ENTRIES", in: 1...100_000) { reportMaxEntries = entries }
        if let pattern = environment["MAESTRO_AUDIT_TOPIC_PATTERN"] {
            if pattern.isEmpty || pattern.contains(",") {
                reader.problems.append("MAESTRO_AUDIT_TOPIC_PATTERN: must be one topic name or one regular expression starting with ^")
            } else {
                topicPattern = pattern
            }
        }
    }
}
