import Foundation
import MaestroAuditLog

/// An audit log built in memory the way the service builds it: canonical entries that name
/// their index, log and the root before them, a tree over their bytes, signed checkpoints, and
/// the export lines of a full or a filtered export.
struct ExportFixture {
    static let logID = "tenant-acme"
    static let start = Date(timeIntervalSince1970: 1_790_000_000.125)

    let key: AuditSigningKey
    let logID: String
    let entries: [String]
    let leaves: [MerkleHash]
    let tree: InMemoryMerkleTree
    let head: Checkpoint
    let checkpoints: [Checkpoint]

    /// `count` entries, checkpoints signed at `checkpointSizes`, the head at `count`.
    init(count: Int = 10, checkpointSizes: [Int] = [3, 4, 8], key: AuditSigningKey = ExportFixture.defaultKey, logID: String = ExportFixture.logID) throws {
        self.key = key
        self.logID = logID
        var entries: [String] = []
        var tree = InMemoryMerkleTree()
        for index in 0..<count {
            let entry = try Self.canonicalEntry(index: index, logID: logID, previousRoot: tree.root(treeSize: index), action: "model.update", subject: "models/fraud-\(index)")
            entries.append(entry)
            tree.append(RFC6962.leafHash(entry.utf8))
        }
        self.entries = entries
        self.leaves = entries.map { RFC6962.leafHash($0.utf8) }
        self.tree = tree
        checkpoints = try checkpointSizes.map { size in
            try Checkpoint.sign(logID: logID, treeSize: size, rootHash: tree.root(treeSize: size), time: Self.start.addingTimeInterval(Double(size)), key: key)
        }
        head = try Checkpoint.sign(logID: logID, treeSize: count, rootHash: tree.root(treeSize: count), time: Self.start.addingTimeInterval(3600), key: key)
    }

    static let defaultKey: AuditSigningKey = {
        guard let key = AuditSigningKey(base64: Data((0..<32).map(UInt8.init)).base64EncodedString()) else { preconditionFailure("a 32-byte seed is a key") }
        return key
    }()

    /// The canonical JSON of an entry: sorted keys, no insignificant whitespace.
    static func canonicalEntry(index: Int, logID: String, previousRoot: MerkleHash, action: String, subject: String) throws -> String {
        let object: [String: Any] = [
            "index": index,
            "log_id": logID,
            "prev_root": Hex.encode(previousRoot),
            "action": action,
            "subject": subject,
            "actor": "user:ana",
            "at": AuditTime.format(start.addingTimeInterval(Double(index))),
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    /// The same entry with one field changed, re-serialised canonically.
    static func edited(_ entry: String, _ change: (inout [String: Any]) -> Void) throws -> String {
        var object = try requireObject(entry)
        change(&object)
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    var consistencyPairs: [(Int, Int)] {
        let sizes = checkpoints.map(\.treeSize) + [head.treeSize]
        return zip(sizes, sizes.dropFirst()).map { ($0, $1) }
    }

    func consistencyLines() throws -> [AuditExportLine] {
        try consistencyPairs.map { first, second in
            .consistency(first: first, second: second, proof: try tree.consistency(from: first, to: second))
        }
    }

    func entryLine(_ index: Int) -> AuditExportLine {
        .entry(index: index, leafHash: leaves[index], entry: entries[index], proof: nil)
    }

    /// The lines of a full export: head, checkpoints, consistency proofs, every entry.
    func fullExport() throws -> [AuditExportLine] {
        [.head(head, filtered: false)] + checkpoints.map(AuditExportLine.checkpoint) + (try consistencyLines()) + entries.indices.map(entryLine)
            + [.end(entries: entries.count)]
    }

    /// The index in `fullExport()` of the line of entry `index`.
    func lineOfEntry(_ index: Int) -> Int {
        1 + checkpoints.count + consistencyPairs.count + index
    }

    /// The lines of a filtered export holding `indices`, each with its inclusion proof.
    func filteredExport(_ indices: [Int]) throws -> [AuditExportLine] {
        [.head(head, filtered: true)] + (try indices.map { index in
            .entry(index: index, leafHash: leaves[index], entry: entries[index], proof: try tree.inclusion(of: index, treeSize: head.treeSize))
        }) + [.end(entries: indices.count)]
    }
}

/// A JSON object from text (a fixture helper, not a test expectation).
func requireObject(_ text: String) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
        throw AuditExportError("not a JSON object: \(text)")
    }
    return object
}

/// The outcome of feeding `lines` to an `ExportVerifier`, then finishing.
func verify(_ lines: [String], keys: [AuditPublicKey]) -> Result<ExportVerifier.Report, ExportVerifier.Failure> {
    var verifier = ExportVerifier(publicKeys: keys)
    do throws(ExportVerifier.Failure) {
        for line in lines { try verifier.consume(line) }
        return .success(try verifier.finish())
    } catch {
        return .failure(error)
    }
}

func verify(_ lines: [AuditExportLine], keys: [AuditPublicKey]) -> Result<ExportVerifier.Report, ExportVerifier.Failure> {
    verify(lines.map { $0.encoded() }, keys: keys)
}

extension Result {
    var failure: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
    var success: Success? {
        if case .success(let success) = self { return success }
        return nil
    }
}
