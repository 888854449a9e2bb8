import Foundation
import MaestroAuditLog

/// What a query or export selects. Every filter narrows; none given selects the whole log.
struct EntryFilter: Sendable {
    /// Time range on the event's own time (`ce_time`, else when the consumer received the record): `from` inclusive, `to` exclusive.
    var from: Date?
    var to: Date?
    var types: [String] = []
    /// Exact subject, or with `subjectPrefix` every subject under it (`models/fraud` matches `models/fraud/versions/3`).
    var subject: String?
    var subjectPrefix = false
    var actor: String?
    var correlationID: String?
    var kind: AuditRecord.Kind?

    var isEmpty: Bool {
        from == nil && to == nil && types.isEmpty && subject == nil && actor == nil && correlationID == nil && kind == nil
    }
}

/// An entry as stored: the canonical bytes and the columns copied from them for querying.
struct StoredEntry: Sendable {
    let index: Int
    let kind: String
    let topic: String
    let partition: Int
    let offset: Int
    let eventID: String?
    let eventType: String?
    let subject: String?
    let actor: String?
    let correlationID: String?
    /// `verified`, `unsigned` or `invalid` (``EventProvenance/status``); nil for a record that
    /// is not a CloudEvent.
    let provenance: String?
    /// The producing service, when its signature verified.
    let producer: String?
    let occurredAt: Date
    let recordedAt: Date
    let leafHash: MerkleHash
    let entry: String
}

/// The audit path of one entry of a tenant's log.
struct InclusionProof: Sendable {
    let tenant: String
    let index: Int
    let treeSize: Int
    let leafHash: MerkleHash
    let path: [MerkleHash]
    let rootHash: MerkleHash
}

/// The proof that a tenant's log of `first` entries is a prefix of its log of `second`.
struct ConsistencyProof: Sendable {
    let tenant: String
    let first: Int
    let second: Int
    let firstRoot: MerkleHash
    let secondRoot: MerkleHash
    let path: [MerkleHash]
}
