import Foundation
import MaestroAuditLog

/// A signed tree head: the current head (`/tree-head`) or a stored checkpoint.
struct SignedHeadBody: Codable, Sendable {
    let tenant: String
    let treeSize: Int
    let rootHash: String
    let signedAt: String
    let keyID: String
    let signature: String
    /// The exact signed text (C2SP tlog-checkpoint body), for tools that check it as is.
    let checkpoint: String

    init(_ head: Checkpoint) {
        tenant = head.logID
        treeSize = head.treeSize
        rootHash = Hex.encode(head.rootHash)
        signedAt = AuditTime.format(head.time)
        keyID = head.keyID
        signature = Data(head.signature).base64EncodedString()
        checkpoint = String(decoding: head.body, as: UTF8.self)
    }

    enum CodingKeys: String, CodingKey {
        case tenant = "log_id"
        case treeSize = "tree_size"
        case rootHash = "root_hash"
        case signedAt = "signed_at"
        case keyID = "key_id"
        case signature, checkpoint
    }
}

struct PublicKeysBody: Codable, Sendable {
    let keys: [PublicKeyBody]
}

struct PublicKeyBody: Codable, Sendable {
    let keyID: String
    let algorithm = "Ed25519"
    /// The raw 32-byte public key, base64: what `maestro audit verify --public-key` takes.
    let publicKey: String
    let firstUsedAt: Date
    let current: Bool

    enum CodingKeys: String, CodingKey {
        case keyID = "key_id"
        case algorithm
        case publicKey = "public_key"
        case firstUsedAt = "first_used_at"
        case current
    }
}

/// An entry: the columns copied for querying and `entry`, the canonical bytes its leaf hash covers.
struct EntryBody: Codable, Sendable {
    let tenant: String
    let index: Int
    let kind: String
    let type: String?
    let subject: String?
    let actor: String?
    /// The service whose signature verified, and the verdict (`verified`, `unsigned`, `invalid`).
    let producer: String?
    let provenance: String?
    let correlationID: String?
    let eventID: String?
    let occurredAt: Date
    let recordedAt: Date
    let topic: String
    let partition: Int
    let offset: Int
    let leafHash: String
    let entry: String

    init(_ stored: StoredEntry, tenant: String) {
        self.tenant = tenant
        index = stored.index
        kind = stored.kind
        type = stored.eventType
        subject = stored.subject
        actor = stored.actor
        producer = stored.producer
        provenance = stored.provenance
        correlationID = stored.correlationID
        eventID = stored.eventID
        occurredAt = stored.occurredAt
        recordedAt = stored.recordedAt
        topic = stored.topic
        partition = stored.partition
        offset = stored.offset
        leafHash = Hex.encode(stored.leafHash)
        entry = stored.entry
    }

    enum CodingKeys: String, CodingKey {
        case tenant = "log_id"
        case index, kind, type, subject, actor, producer, provenance
        case correlationID = "correlation_id"
        case eventID = "event_id"
        case occurredAt = "occurred_at"
        case recordedAt = "recorded_at"
        case topic, partition, offset
        case leafHash = "leaf_hash"
        case entry
    }
}

struct InclusionProofBody: Codable, Sendable {
    let tenant: String
    let leafIndex: Int
    let treeSize: Int
    let leafHash: String
    let auditPath: [String]
    let rootHash: String

    init(_ proof: InclusionProof) {
        tenant = proof.tenant
        leafIndex = proof.index
        treeSize = proof.treeSize
        leafHash = Hex.encode(proof.leafHash)
        auditPath = proof.path.map(Hex.encode)
        rootHash = Hex.encode(proof.rootHash)
    }

    enum CodingKeys: String, CodingKey {
        case tenant = "log_id"
        case leafIndex = "leaf_index"
        case treeSize = "tree_size"
        case leafHash = "leaf_hash"
        case auditPath = "audit_path"
        case rootHash = "root_hash"
    }
}

struct ConsistencyProofBody: Codable, Sendable {
    let tenant: String
    let first: Int
    let second: Int
    let firstRootHash: String
    let secondRootHash: String
    let consistencyPath: [String]

    init(_ proof: ConsistencyProof) {
        tenant = proof.tenant
        first = proof.first
        second = proof.second
        firstRootHash = Hex.encode(proof.firstRoot)
        secondRootHash = Hex.encode(proof.secondRoot)
        consistencyPath = proof.path.map(Hex.encode)
    }

    enum CodingKeys: String, CodingKey {
        case tenant = "log_id"
        case first, second
        case firstRootHash = "first_root_hash"
        case secondRootHash = "second_root_hash"
        case consistencyPath = "consistency_path"
    }
}
