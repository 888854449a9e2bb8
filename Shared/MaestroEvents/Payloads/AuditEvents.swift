import Foundation

/// Events the audit service publishes on `maestro.audit.events`, keyed by tenant.
public enum AuditEvent: EventDomain {
    public static let topic = Topic.auditEvents
    public static let source = "/maestro/audit"

    /// An event of this domain: only this domain's service emits it.
    public protocol Payload: DomainEvent where Domain == AuditEvent {}
}

extension AuditEvent {
    /// The audit service signed a checkpoint of a log: the RFC 9162 Merkle tree head over the log's
    /// entries so far. Anyone with the public key can check the signature offline and ask for
    /// proofs against this head.
    public struct CheckpointSigned: Payload {
        public static let eventType = EventType("io.maestro.audit.checkpoint.signed.v1", topic: .auditEvents)

        /// The log: a tenant id, or `_system` for records without a valid tenant.
        public var logID: String
        /// Number of entries the tree covers.
        public var treeSize: Int
        /// Merkle tree root hash (SHA-256), lowercase hex.
        public var rootHash: String
        /// Ed25519 signature of the tree head (log id, tree size, root hash, time), base64.
        public var signature: String
        /// Id of the signing key.
        public var keyID: String
        /// The tree head's time, as signed.
        public var signedAt: Date

        public init(logID: String, treeSize: Int, rootHash: String, signature: String, keyID: String, signedAt: Date) {
            self.logID = logID
            self.treeSize = treeSize
            self.rootHash = rootHash
            self.signature = signature
            self.keyID = keyID
            self.signedAt = signedAt
        }

        enum CodingKeys: String, CodingKey {
            case logID = "log_id"
            case treeSize = "tree_size"
            case rootHash = "root_hash"
            case signature
            case keyID = "key_id"
            case signedAt = "signed_at"
        }
    }
}

extension AuditEvent {
    /// Verification of a log failed: its stored entries no longer reproduce a signed checkpoint or
    /// a proof, so an entry was edited, deleted, inserted or reordered.
    public struct TamperDetected: Payload {
        public static let eventType = EventType("io.maestro.audit.tamper.detected.v1", topic: .auditEvents)

        /// The log: a tenant id, or `_system` for records without a valid tenant.
        public var logID: String
        /// Size of the signed tree head the log was checked against.
        public var treeSize: Int
        /// Index of the first entry that no longer matches, when known.
        public var firstBadIndex: Int?
        /// Root hash of the signed checkpoint, lowercase hex.
        public var expectedRootHash: String?
        /// Root hash recomputed from the stored entries, lowercase hex.
        public var computedRootHash: String?
        /// What failed, in words.
        public var reason: String
        /// When the failure was found.
        public var detectedAt: Date

        public init(
            logID: String,
            treeSize: Int,
            firstBadIndex: Int? = nil,
            expectedRootHash: String? = nil,
            computedRootHash: String? = nil,
            reason: String,
            detectedAt: Date
        ) {
            self.logID = logID
            self.treeSize = treeSize
            self.firstBadIndex = firstBadIndex
            self.expectedRootHash = expectedRootHash
            self.computedRootHash = computedRootHash
            self.reason = reason
            self.detectedAt = detectedAt
        }

        enum CodingKeys: String, CodingKey {
            case logID = "log_id"
            case treeSize = "tree_size"
            case firstBadIndex = "first_bad_index"
            case expectedRootHash = "expected_root_hash"
            case computedRootHash = "computed_root_hash"
            case reason
            case detectedAt = "detected_at"
        }
    }
}
