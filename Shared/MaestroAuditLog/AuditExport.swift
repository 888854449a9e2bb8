import Foundation

/// The lines of a verifiable log export (`GET /v1/audit/export?format=ndjson`), one JSON object
/// per line, in this order:
///
/// 1. `head`: the log's tree head at the time of the export, signed then;
/// 2. `checkpoint`: every stored signed checkpoint, by tree size;
/// 3. `consistency`: a proof between each checkpoint and the next, and from the last to the head;
/// 4. `entry`: every entry, by index, with its canonical bytes as a JSON string and the leaf
///    hash stored when it was appended;
/// 5. `end`: the number of entries written, so a stream cut short is detected.
///
/// A filtered export (any query filter) carries `head`, the matching entries, each with its
/// inclusion proof against the head, and `end`.
public enum AuditExportLine: Sendable {
    case head(Checkpoint, filtered: Bool)
    case checkpoint(Checkpoint)
    case consistency(first: Int, second: Int, proof: [MerkleHash])
    case entry(index: Int, leafHash: MerkleHash, entry: String, proof: [MerkleHash]?)
    case end(entries: Int)

    public static let format = "maestro-audit-export/1"

    /// The line's JSON, without the newline.
    public func encoded() -> String {
        var object: [String: Any]
        switch self {
        case .head(let head, let filtered):
            object = Self.fields(of: head)
            object["kind"] = "head"
            object["format"] = Self.format
            object["filtered"] = filtered
        case .checkpoint(let checkpoint):
            object = Self.fields(of: checkpoint)
            object["kind"] = "checkpoint"
        case .consistency(let first, let second, let proof):
            object = ["kind": "consistency", "first": first, "second": second, "proof": proof.map(Hex.encode)]
        case .entry(let index, let leafHash, let entry, let proof):
            object = ["kind": "entry", "index": index, "leaf_hash": Hex.encode(leafHash), "entry": entry]
            if let proof { object["proof"] = proof.map(Hex.encode) }
        case .end(let entries):
            object = ["kind": "end", "entries": entries]
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Parses one line; the error says what is wrong with it.
    public static func parse(_ line: some StringProtocol) throws(AuditExportError) -> AuditExportLine {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any], let kind = object["kind"] as? String else {
            throw AuditExportError("is not a JSON object with a kind")
        }
        switch kind {
        case "head":
            guard (object["format"] as? String) == format else { throw AuditExportError("is not a \(format) head") }
            return .head(try checkpoint(object), filtered: object["filtered"] as? Bool ?? false)
        case "checkpoint":
            return .checkpoint(try checkpoint(object))
        case "consistency":
            guard let first = object["first"] as? Int, let second = object["second"] as? Int, let proof = hashes(object["proof"]) else {
                throw AuditExportError("is not a consistency proof (first, second, proof)")
            }
            return .consistency(first: first, second: second, proof: proof)
        case "entry":
            guard let index = object["index"] as? Int, let leaf = (object["leaf_hash"] as? String).flatMap(Hex.hash), let entry = object["entry"] as? String else {
                throw AuditExportError("is not an entry (index, leaf_hash, entry)")
            }
            let proof = object["proof"].map(hashes) ?? nil
            if object["proof"] != nil && proof == nil { throw AuditExportError("has a proof that is not a list of hex hashes") }
            return .entry(index: index, leafHash: leaf, entry: entry, proof: proof)
        case "end":
            guard let entries = object["entries"] as? Int else { throw AuditExportError("is not an end line (entries)") }
            return .end(entries: entries)
        default:
            throw AuditExportError("has an unknown kind '\(kind)'")
        }
    }

    private static func fields(of checkpoint: Checkpoint) -> [String: Any] {
        ["log_id": checkpoint.logID, "tree_size": checkpoint.treeSize, "root_hash": Hex.encode(checkpoint.rootHash),
         "signed_at": AuditTime.format(checkpoint.time), "key_id": checkpoint.keyID, "signature": Data(checkpoint.signature).base64EncodedString()]
    }

    private static func checkpoint(_ object: [String: Any]) throws(AuditExportError) -> Checkpoint {
        guard let data = try? JSONSerialization.data(withJSONObject: object), let checkpoint = try? JSONDecoder().decode(Checkpoint.self, from: data) else {
            throw AuditExportError("is not a signed tree head (log_id, tree_size, root_hash, signed_at, key_id, signature)")
        }
        return checkpoint
    }

    private static func hashes(_ value: Any?) -> [MerkleHash]? {
        guard let strings = value as? [String] else { return nil }
        var out: [MerkleHash] = []
        for string in strings {
            guard let hash = Hex.hash(string) else { return nil }
            out.append(hash)
        }
        return out
    }
}

public struct AuditExportError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The fields of a canonical entry the verifier checks: its position, its log and the root of
/// the log before it (the hash chain that lets a verifier name the first entry that changed).
public struct AuditEntryLink: Sendable, Equatable {
    public let index: Int
    public let logID: String
    public let previousRoot: MerkleHash

    public init(index: Int, logID: String, previousRoot: MerkleHash) {
        self.index = index
        self.logID = logID
        self.previousRoot = previousRoot
    }

    public init?(canonical entry: String) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(entry.utf8))) as? [String: Any],
              let index = object["index"] as? Int, let logID = object["log_id"] as? String,
              let previous = (object["prev_root"] as? String).flatMap(Hex.hash) else { return nil }
        self.init(index: index, logID: logID, previousRoot: previous)
    }
}
