import Foundation
import MaestroAuditLog

/// A model's compliance report: every entry whose subject is `models/<name>` or under it
/// (registration, versions, cards, promotions, checks with their evidence, approvals, alias
/// moves, and drift and cost events as those services publish them), in log order, each with
/// its inclusion proof against a tree head signed for the report.
///
/// Each entry carries its canonical bytes, so a reader can recompute its leaf hash, walk the
/// proof to the signed root and check the signature without trusting this service.
struct ModelReport: Sendable {
    let model: String
    let head: Checkpoint
    let entries: [StoredEntry]
    let proofs: [Int: [MerkleHash]]
    let generatedAt: Date

    static func build(store: AuditLogStore, tenant: String, model: String, limit: Int) async throws -> ModelReport {
        try await store.withLog(tenant) { log in
            let head = try await store.signedHead(in: log)
            let entries = try await store.modelTimeline(model: model, limit: limit, in: log).filter { $0.index < head.treeSize }
            let proofs = entries.isEmpty ? [:] : try await store.inclusionProofs(indexes: entries.map(\.index), treeSize: head.treeSize, in: log)
            return ModelReport(model: model, head: head, entries: entries, proofs: proofs, generatedAt: Date())
        }
    }

    /// The lifecycle step an event belongs to. A step is named only for an event on its owning
    /// service's topic: anyone may set `ce_type` on any topic they can write to, so a registry
    /// or governance type from elsewhere is shown as "unverified producer".
    static func category(of entry: StoredEntry) -> String {
        let step = category(of: entry.eventType)
        let owners = ["io.maestro.registry.": "maestro.registry.events", "io.maestro.governance.": "maestro.governance.events",
                      "io.maestro.drift.": "maestro.drift.events", "io.maestro.cost.": "maestro.cost.events"]
        if let type = entry.eventType, let owner = owners.first(where: { type.hasPrefix($0.key) }), owner.value != entry.topic {
            return "unverified producer"
        }
        return step
    }

    /// The lifecycle step an event type belongs to.
    static func category(of type: String?) -> String {
        guard let type else { return "unreadable record" }
        let steps: [(String, String)] = [
            ("io.maestro.registry.model.", "registration"),
            ("io.maestro.registry.model_version.", "version"),
            ("io.maestro.registry.model_card.", "model card"),
            ("io.maestro.registry.promotion.", "promotion"),
            ("io.maestro.registry.alias.", "alias move"),
            ("io.maestro.registry.tag.", "tag"),
            ("io.maestro.governance.approval.check_evaluated", "check"),
            ("io.maestro.governance.approval.", "approval"),
            ("io.maestro.governance.policy.", "policy"),
            ("io.maestro.drift.", "drift"),
            ("io.maestro.cost.", "cost"),
        ]
        return steps.first { type.hasPrefix($0.0) }?.1 ?? "other"
    }

    /// A one-line summary from the event's data: the fields a reviewer looks for first.
    static func summary(of entry: String) -> String {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(entry.utf8))) as? [String: Any] else { return "" }
        guard let event = object["event"] as? [String: Any], let data = event["data"] as? [String: Any] else {
            return (object["error"] as? String).map { "not a CloudEvent: \($0)" } ?? ""
        }
        let keys = ["version", "alias", "from_version", "to_version", "status", "state", "decision", "passed", "outcome", "check", "reason", "comment"]
        return keys.compactMap { key in
            guard let value = data[key], !(value is NSNull) else { return nil }
            let text = (value as? String) ?? "\(value)"
            return "\(key)=\(text.prefix(120))"
        }.joined(separator: ", ")
    }

    /// The producer column: the verified service, or a plain mark that the step is unverified.
    static func producer(of entry: StoredEntry) -> String {
        switch entry.provenance {
        case "verified": "\(entry.producer ?? "?") (verified)"
        case "unsigned": "UNVERIFIED: unsigned"
        case "invalid": "UNVERIFIED: bad signature"
        default: "UNVERIFIED"
        }
    }

    static let csvHeader = "index,occurred_at,step,type,subject,actor,producer,provenance,correlation_id,summary,leaf_hash\r\n"

    /// The timeline as CSV, one row per entry, with the producer and its provenance.
    func csv() -> String {
        var text = Self.csvHeader
        for entry in entries {
            let fields = [
                String(entry.index), AuditTime.format(entry.occurredAt), Self.category(of: entry), entry.eventType ?? "", entry.subject ?? "",
                entry.actor ?? "", entry.producer ?? "", entry.provenance ?? "not_an_event", entry.correlationID ?? "", Self.summary(of: entry.entry),
                Hex.encode(entry.leafHash),
            ]
            text += fields.map(CSV.field).joined(separator: ",") + "\r\n"
        }
        return text
    }

    func body() -> ModelReportBody {
        ModelReportBody(
            model: model, tenant: head.logID, generatedAt: AuditTime.format(generatedAt), treeHead: SignedHeadBody(head),
            entries: entries.map { entry in
                ModelReportBody.Entry(index: entry.index, occurredAt: AuditTime.format(entry.occurredAt), category: Self.category(of: entry),
                                      type: entry.eventType, subject: entry.subject, actor: entry.actor, producer: entry.producer,
                                      verified: entry.provenance == "verified", provenance: entry.provenance ?? "not_an_event",
                                      correlationID: entry.correlationID,
                                      summary: Self.summary(of: entry.entry), leafHash: Hex.encode(entry.leafHash), entry: entry.entry,
                                      inclusionProof: (proofs[entry.index] ?? []).map(Hex.encode))
            })
    }

    func markdown() -> String {
        var lines = [
            "# Audit report: model `\(Markdown.code(model))`",
            "",
            "- Log: `\(Markdown.code(head.logID))`",
            "- Generated: \(AuditTime.format(generatedAt))",
            "- Entries: \(entries.count)",
            "- Signed tree head: size \(head.treeSize), root `\(Hex.encode(head.rootHash))`, signed \(AuditTime.format(head.time)) by key `\(head.keyID)`",
            "",
            "## Timeline",
            "",
            "The producer is the service whose signature on the event verified; an unverified step names the producer its",
            "event claims, and its actor is only what that event says.",
            "",
            "| # | time | step | event | subject | actor | producer | summary |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for entry in entries {
            lines.append("| \(entry.index) | \(AuditTime.format(entry.occurredAt)) | \(Self.category(of: entry)) | \(Markdown.cell(entry.eventType ?? "")) | \(Markdown.cell(entry.subject ?? "")) | \(Markdown.cell(entry.actor ?? "")) | \(Markdown.cell(Self.producer(of: entry))) | \(Markdown.cell(Self.summary(of: entry.entry))) |")
        }
        lines += [
            "",
            "## Verification",
            "",
            "Signed checkpoint (Ed25519, signature `\(Data(head.signature).base64EncodedString())`):",
            "",
            "```",
            String(decoding: head.body, as: UTF8.self).trimmingCharacters(in: .newlines),
            "```",
            "",
            "Each entry's leaf hash is SHA-256(0x00 ‖ canonical entry bytes); its RFC 9162 inclusion proof leads to the root above.",
            "The JSON form of this report (`format=json`) carries every entry's bytes and proof; `maestro audit verify --report` checks them.",
            "",
            "| # | leaf hash | inclusion proof |",
            "|---|---|---|",
        ]
        for entry in entries {
            lines.append("| \(entry.index) | `\(Hex.encode(entry.leafHash))` | \((proofs[entry.index] ?? []).map { "`\(Hex.encode($0))`" }.joined(separator: " ")) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

struct ModelReportBody: Codable, Sendable {
    struct Entry: Codable, Sendable {
        let index: Int
        let occurredAt: String
        let category: String
        let type: String?
        let subject: String?
        let actor: String?
        /// The service whose signature verified; nil when it did not.
        let producer: String?
        let verified: Bool
        /// `verified`, `unsigned`, `invalid`, or `not_an_event`.
        let provenance: String
        let correlationID: String?
        let summary: String
        let leafHash: String
        let entry: String
        let inclusionProof: [String]

        enum CodingKeys: String, CodingKey {
            case index
            case occurredAt = "occurred_at"
            case category, type, subject, actor, producer, verified, provenance
            case correlationID = "correlation_id"
            case summary
            case leafHash = "leaf_hash"
            case entry
            case inclusionProof = "inclusion_proof"
        }
    }

    let model: String
    let tenant: String
    let generatedAt: String
    let treeHead: SignedHeadBody
    let entries: [Entry]

    enum CodingKeys: String, CodingKey {
        case model
        case tenant = "log_id"
        case generatedAt = "generated_at"
        case treeHead = "tree_head"
        case entries
    }
}

/// Escaping for text from events placed in Markdown.
enum Markdown {
    static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "|", with: "\\|")
            .replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
            .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: "`", with: "\\`")
    }

    static func code(_ text: String) -> String {
        text.replacingOccurrences(of: "`", with: "'").replacingOccurrences(of: "\n", with: " ")
    }
}
