/// Checks a log export offline: every signature, every proof, and the tree recomputed from the
/// entries' bytes. It reads the export line by line and holds only the tree's right edge, so a
/// log of any length verifies in constant memory.
///
/// A full export fails at the first entry that was edited, deleted, inserted or moved,
/// checked in this order:
/// - an entry whose bytes no longer hash to the leaf hash stored when it was appended;
/// - an entry whose `index` is not its position: something before it was removed or added,
///   or it was moved; the first bad entry is the lower of the two, unless the entry it claims
///   to be was already proven by a signed checkpoint (then it is a replay, bad where it is);
/// - an entry whose `prev_root` is not the root of the entries before it: the entry before it
///   changed (this catches an edit even when the stored leaf hash was rewritten too);
/// - a signed checkpoint or the head whose root the entries no longer reproduce: the last
///   entry it covers changed.
public struct ExportVerifier {
    public struct Report: Sendable, Equatable {
        public var logID = ""
        public var treeSize = 0
        public var rootHash: MerkleHash = []
        public var entries = 0
        public var checkpoints = 0
        public var consistencyProofs = 0
        public var inclusionProofs = 0
        /// Checkpoints the auditor kept that the export was checked against.
        public var trustedCheckpoints = 0
        public var filtered = false
    }

    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The first entry found bad, when the failure is about an entry.
        public let firstBadIndex: Int?
        public let reason: String

        public init(firstBadIndex: Int?, reason: String) {
            self.firstBadIndex = firstBadIndex
            self.reason = reason
        }

        public var description: String { firstBadIndex.map { "entry \($0): \(reason)" } ?? reason }
    }

    private let keys: [String: AuditPublicKey]
    private var report = Report()
    private var head: Checkpoint?
    private var checkpointRoots: [Int: MerkleHash] = [:]
    private var tree = CompactRange()
    private var lineNumber = 0
    private var phase = 0
    private var endCount: Int?
    /// Entries below this size reproduced a signed root: they are proven intact.
    private var verifiedSize = 0
    /// A failed consistency proof of a full export, reported only if no entry is found bad:
    /// the proofs are built from the stored tree, so a tampered row breaks them too, and the
    /// entries then say which row it was.
    private var deferredFailure: Failure?

    /// Heads the auditor kept from earlier (published checkpoints, earlier exports' heads): the
    /// export must extend each one. They are what catches a log cut back, or rewritten and
    /// re-signed, after they were taken.
    private let trusted: [Checkpoint]
    /// Whether an export of selected entries may pass; it proves each entry, not that none is missing.
    private let allowFiltered: Bool

    public init(publicKeys: [AuditPublicKey], trustedCheckpoints: [Checkpoint] = [], allowFiltered: Bool = true) {
        var keys: [String: AuditPublicKey] = [:]
        for key in publicKeys { keys[key.keyID] = key }
        self.keys = keys
        self.trusted = trustedCheckpoints
        self.allowFiltered = allowFiltered
    }

    /// Feeds the next line of the export (without its newline); empty lines are ignored.
    public mutating func consume(_ line: some StringProtocol) throws(Failure) {
        lineNumber += 1
        guard !line.allSatisfy(\.isWhitespace) else { return }
        guard endCount == nil else { throw Failure(firstBadIndex: nil, reason: "line \(lineNumber): a line after the end line") }
        let parsed: AuditExportLine
        do { parsed = try AuditExportLine.parse(line) } catch { throw Failure(firstBadIndex: nil, reason: "line \(lineNumber) \(error)") }
        switch parsed {
        case .head(let checkpoint, let filtered):
            guard head == nil, lineNumber == 1 || phase == 0 else { throw Failure(firstBadIndex: nil, reason: "line \(lineNumber): a second head") }
            try checkSignature(checkpoint, what: "the head")
            if filtered && !allowFiltered {
                throw Failure(firstBadIndex: nil, reason: "this is an export of selected entries: it proves each entry, not that none is missing")
            }
            for kept in trusted where kept.logID == checkpoint.logID {
                try checkSignature(kept, what: "the kept checkpoint of size \(kept.treeSize)")
                guard kept.treeSize <= checkpoint.treeSize else {
                    throw Failure(firstBadIndex: checkpoint.treeSize, reason: "missing: a checkpoint you kept covers \(kept.treeSize) entries and the export's head only \(checkpoint.treeSize); the log was cut back")
                }
                if let known = checkpointRoots[kept.treeSize], known != kept.rootHash {
                    throw Failure(firstBadIndex: nil, reason: "two checkpoints you kept, of size \(kept.treeSize), have different roots")
                }
                checkpointRoots[kept.treeSize] = kept.rootHash
                report.trustedCheckpoints += 1
            }
            if let kept = checkpointRoots[checkpoint.treeSize], kept != checkpoint.rootHash {
                throw Failure(firstBadIndex: nil, reason: "the export's head of size \(checkpoint.treeSize) differs from the checkpoint you kept: the log was rewritten")
            }
            head = checkpoint
            report.logID = checkpoint.logID
            report.treeSize = checkpoint.treeSize
            report.rootHash = checkpoint.rootHash
            report.filtered = filtered
            checkpointRoots[checkpoint.treeSize] = checkpoint.rootHash
            phase = 1
        case .checkpoint(let checkpoint):
            let head = try requireHead()
            guard phase <= 1 else { throw Failure(firstBadIndex: nil, reason: "line \(lineNumber): a checkpoint after the proofs or entries") }
            guard checkpoint.logID == head.logID else { throw Failure(firstBadIndex: nil, reason: "the checkpoint at size \(checkpoint.treeSize) belongs to log \(checkpoint.logID), not \(head.logID)") }
            guard checkpoint.treeSize <= head.treeSize else { throw Failure(firstBadIndex: nil, reason: "the checkpoint at size \(checkpoint.treeSize) is beyond the head's \(head.treeSize) entries: entries were removed") }
            try checkSignature(checkpoint, what: "the checkpoint at size \(checkpoint.treeSize)")
            if let known = checkpointRoots[checkpoint.treeSize], known != checkpoint.rootHash {
                throw Failure(firstBadIndex: nil, reason: "two signed heads of size \(checkpoint.treeSize) have different roots: the log was forked")
            }
            checkpointRoots[checkpoint.treeSize] = checkpoint.rootHash
            report.checkpoints += 1
        case .consistency(let first, let second, let proof):
            _ = try requireHead()
            guard phase <= 2 else { throw Failure(firstBadIndex: nil, reason: "line \(lineNumber): a consistency proof after the entries") }
            phase = 2
            guard let firstRoot = checkpointRoots[first], let secondRoot = checkpointRoots[second] else {
                throw Failure(firstBadIndex: nil, reason: "line \(lineNumber): a consistency proof between sizes \(first) and \(second), which are not signed heads of this export")
            }
            guard MerkleProofs.verifyConsistency(first: first, second: second, firstRoot: firstRoot, secondRoot: secondRoot, proof: proof) else {
                let failure = Failure(firstBadIndex: nil, reason: "the signed head of size \(second) is not an extension of the one of size \(first): the consistency proof fails")
                if report.filtered { throw failure }
                if deferredFailure == nil { deferredFailure = failure }
                return
            }
            report.consistencyProofs += 1
        case .end(let entries):
            _ = try requireHead()
            endCount = entries
        case .entry(let index, let storedLeaf, let entry, let proof):
            let head = try requireHead()
            phase = 3
            if report.filtered {
                try checkFilteredEntry(index: index, entry: entry, proof: proof, head: head)
            } else {
                try checkNextEntry(index: index, storedLeaf: storedLeaf, entry: entry, head: head)
            }
        }
    }

    /// Ends the export: every export must end with its end line, counting the entries seen (the
    /// service always writes it; without it the export was cut short or edited), and a full
    /// export must hold exactly the head's entries and reproduce its root.
    public mutating func finish() throws(Failure) -> Report {
        let head = try requireHead()
        // A full export's entries are checked against the head first: a missing or changed
        // entry is named by its index, which says more than a missing end line.
        if !report.filtered {
            guard tree.size == head.treeSize else {
                throw Failure(firstBadIndex: tree.size, reason: "missing: the signed head covers \(head.treeSize) entries and the export holds \(tree.size)")
            }
            guard tree.root == head.rootHash else {
                throw Failure(firstBadIndex: max(0, tree.size - 1), reason: "the entries no longer reproduce the signed head's root")
            }
            if let deferredFailure { throw deferredFailure }
        }
        guard let endCount else {
            throw Failure(firstBadIndex: nil, reason: "the export was cut short: it has no end line after \(report.entries) entries")
        }
        guard endCount == report.entries else {
            throw Failure(firstBadIndex: nil, reason: "the end line counts \(endCount) entries and the export holds \(report.entries): entries were removed or added")
        }
        return report
    }

    private mutating func checkNextEntry(index: Int, storedLeaf: MerkleHash, entry: String, head: Checkpoint) throws(Failure) {
        let position = tree.size
        guard position < head.treeSize else {
            throw Failure(firstBadIndex: position, reason: "inserted: the signed head covers only \(head.treeSize) entries")
        }
        guard let link = AuditEntryLink(canonical: entry) else {
            throw Failure(firstBadIndex: position, reason: "its content is not a canonical entry (index, log_id, prev_root)")
        }
        let leaf = RFC6962.leafHash(entry.utf8)
        guard leaf == storedLeaf else {
            throw Failure(firstBadIndex: position, reason: "its content was changed after it was appended (it no longer hashes to its leaf)")
        }
        guard index == position, link.index == position else {
            let claimed = link.index != position ? link.index : index
            // An entry already proven by a signed checkpoint, found again further on, is a replay: the bad one is here.
            let firstBad = claimed < position && claimed >= verifiedSize ? claimed : position
            let missing = claimed == position + 1 ? "entry \(position) is missing or was moved" : "entries from \(position) on are missing or were moved"
            let reason = claimed > position ? missing : "an entry was inserted, or this one moved here from \(claimed)"
            throw Failure(firstBadIndex: firstBad, reason: "found entry \(claimed) at position \(position): \(reason)")
        }
        guard link.logID == head.logID else {
            throw Failure(firstBadIndex: position, reason: "it belongs to log \(link.logID), not \(head.logID)")
        }
        guard link.previousRoot == tree.root else {
            throw Failure(firstBadIndex: max(0, position - 1), reason: "entry \(position) was appended to a different log: the entry before it was changed")
        }
        tree.append(leaf)
        report.entries += 1
        if let signed = checkpointRoots[tree.size] {
            guard signed == tree.root else {
                throw Failure(firstBadIndex: position, reason: "the entries up to here no longer reproduce the signed head of size \(tree.size)")
            }
            verifiedSize = tree.size
        }
    }

    private mutating func checkFilteredEntry(index: Int, entry: String, proof: [MerkleHash]?, head: Checkpoint) throws(Failure) {
        guard let proof else { throw Failure(firstBadIndex: index, reason: "a filtered export's entry has no inclusion proof") }
        guard let link = AuditEntryLink(canonical: entry), link.index == index, link.logID == head.logID else {
            throw Failure(firstBadIndex: index, reason: "its content does not name this position and log")
        }
        guard MerkleProofs.verifyInclusion(leafHash: RFC6962.leafHash(entry.utf8), index: index, treeSize: head.treeSize, proof: proof, root: head.rootHash) else {
            throw Failure(firstBadIndex: index, reason: "its inclusion proof against the signed head fails: the entry was changed")
        }
        report.entries += 1
        report.inclusionProofs += 1
    }

    private func requireHead() throws(Failure) -> Checkpoint {
        guard let head else { throw Failure(firstBadIndex: nil, reason: "line \(lineNumber): the export does not start with a signed head") }
        return head
    }

    private func checkSignature(_ checkpoint: Checkpoint, what: String) throws(Failure) {
        guard let key = keys[checkpoint.keyID] else {
            throw Failure(firstBadIndex: nil, reason: "\(what) is signed by key \(checkpoint.keyID), which is not one of the public keys given")
        }
        guard checkpoint.isSigned(by: key) else {
            throw Failure(firstBadIndex: nil, reason: "the signature of \(what) does not verify: it was altered")
        }
    }
}
