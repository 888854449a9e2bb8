import Foundation
import MaestroAuditLog
import Testing

@Suite("ExportVerifier")
struct ExportVerifierTests {
    static let count = 10

    static func fixture() throws -> ExportFixture { try ExportFixture(count: count) }

    static var keys: [AuditPublicKey] { [ExportFixture.defaultKey.publicKey] }

    static func lines(_ fixture: ExportFixture) throws -> [String] {
        try fixture.fullExport().map { $0.encoded() }
    }

    /// A well-formed entry for position `index`, chained to the real root before it, that was never appended.
    static func forgedLine(_ fixture: ExportFixture, at index: Int) throws -> String {
        let entry = try ExportFixture.canonicalEntry(index: index, logID: fixture.logID, previousRoot: fixture.tree.root(treeSize: index),
                                                     action: "model.delete", subject: "models/forged")
        return AuditExportLine.entry(index: index, leafHash: RFC6962.leafHash(entry.utf8), entry: entry, proof: nil).encoded()
    }

    /// Expects a failure, at entry `index` (or about no entry when `nil`).
    static func expectFailure(_ result: Result<ExportVerifier.Report, ExportVerifier.Failure>, at index: Int?, _ what: String,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        guard let failure = result.failure else {
            Issue.record("\(what): the export verified", sourceLocation: sourceLocation)
            return
        }
        #expect(failure.firstBadIndex == index, "\(what): \(failure)", sourceLocation: sourceLocation)
    }

    // MARK: A clean export

    @Test("a clean full export verifies, with the right counts")
    func cleanExport() throws {
        let fixture = try Self.fixture()
        let report = try Self.verify(Self.lines(fixture)).get()
        #expect(report.logID == ExportFixture.logID)
        #expect(report.treeSize == Self.count)
        #expect(report.rootHash == (try fixture.tree.root(treeSize: Self.count)))
        #expect(report.entries == Self.count)
        #expect(report.checkpoints == 3)
        #expect(report.consistencyProofs == 3)
        #expect(report.inclusionProofs == 0)
        #expect(report.filtered == false)
    }

    @Test("the export read as NDJSON text: a trailing newline, blank and CRLF-free lines")
    func cleanExportAsText() throws {
        let fixture = try Self.fixture()
        let text = try Self.lines(fixture).joined(separator: "\n") + "\n"
        var verifier = ExportVerifier(publicKeys: Self.keys)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            try verifier.consume(line)
        }
        try verifier.consume("   ")
        let report = try verifier.finish()
        #expect(report.entries == Self.count)
    }

    @Test("an export of an empty log verifies")
    func emptyLog() throws {
        let fixture = try ExportFixture(count: 0, checkpointSizes: [])
        #expect(fixture.head.rootHash == RFC6962.emptyRoot)
        let report = try Self.verify(Self.lines(fixture)).get()
        #expect(report.entries == 0)
        #expect(report.treeSize == 0)
    }

    @Test("an export without checkpoints, or with a checkpoint at the head's size, verifies")
    func checkpointVariants() throws {
        let none = try ExportFixture(count: 5, checkpointSizes: [])
        #expect(try Self.verify(Self.lines(none)).get().consistencyProofs == 0)
        let atHead = try ExportFixture(count: 5, checkpointSizes: [1, 5])
        let report = try Self.verify(Self.lines(atHead)).get()
        #expect(report.checkpoints == 2)
        #expect(report.consistencyProofs == 2)
    }

    @Test("a verifier given several keys (a rotation) finds the right one")
    func keyRotation() throws {
        let fixture = try Self.fixture()
        let keys = [AuditSigningKey().publicKey, ExportFixture.defaultKey.publicKey, AuditSigningKey().publicKey]
        #expect(Self.verify(try Self.lines(fixture), keys: keys).success?.entries == Self.count)
    }

    // MARK: Entries tampered with

    @Test("editing an entry's content (its stored leaf hash left alone) fails at that entry", arguments: 0..<count)
    func editedContent(position: Int) throws {
        let fixture = try Self.fixture()
        var lines = try Self.lines(fixture)
        let entry = try ExportFixture.edited(fixture.entries[position]) { $0["subject"] = "models/other" }
        lines[fixture.lineOfEntry(position)] = AuditExportLine.entry(index: position, leafHash: fixture.leaves[position], entry: entry, proof: nil).encoded()
        Self.expectFailure(Self.verify(lines), at: position, "entry \(position) edited")
    }

    @Test("editing an entry's content and rewriting its stored leaf hash fails at that entry", arguments: 0..<count)
    func editedContentAndLeaf(position: Int) throws {
        let fixture = try Self.fixture()
        var lines = try Self.lines(fixture)
        let entry = try ExportFixture.edited(fixture.entries[position]) { $0["actor"] = "user:mallory" }
        lines[fixture.lineOfEntry(position)] = AuditExportLine.entry(index: position, leafHash: RFC6962.leafHash(entry.utf8), entry: entry, proof: nil).encoded()
        Self.expectFailure(Self.verify(lines), at: position, "entry \(position) edited, leaf rewritten")
    }

    @Test("a single changed byte of an entry's JSON text fails at that entry")
    func changedByte() throws {
        let fixture = try Self.fixture()
        var lines = try Self.lines(fixture)
        let position = 6
        // Same fields, other bytes: a space the canonical form does not have.
        let entry = fixture.entries[position].replacingOccurrences(of: "\"action\":", with: "\"action\": ")
        #expect(entry != fixture.entries[position])
        lines[fixture.lineOfEntry(position)] = AuditExportLine.entry(index: position, leafHash: fixture.leaves[position], entry: entry, proof: nil).encoded()
        Self.expectFailure(Self.verify(lines), at: position, "entry \(position) re-spaced")
    }

    @Test("deleting an entry line fails at the deleted position", arguments: 0..<count)
    func deletedEntry(position: Int) throws {
        let fixture = try Self.fixture()
        var lines = try Self.lines(fixture)
        lines.remove(at: fixture.lineOfEntry(position))
        Self.expectFailure(Self.verify(lines), at: position, "entry \(position) deleted")
    }

    @Test("inserting a well-formed entry that was never appended fails at the inserted position", arguments: 0...count)
    func insertedEntry(position: Int) throws {
        let fixture = try Self.fixture()
        var lines = try Self.lines(fixture)
        lines.insert(try Self.forgedLine(fixture, at: position), at: fixture.lineOfEntry(position))
        Self.expectFailure(Self.verify(lines), at: position, "entry inserted at \(position)")
    }

    @Test("swapping two entries fails at the lower position")
    func swappedEntries() throws {
        let fixture = try Self.fixture()
        let clean = try Self.lines(fixture)
        for a in 0..<Self.count {
            for b in (a + 1)..<Self.count {
                var lines = clean
                lines.swapAt(fixture.lineOfEntry(a), fixture.lineOfEntry(b))
                Self.expectFailure(Self.verify(lines), at: a, "entries \(a) and \(b) swapped")
            }
        }
    }

    @Test("a replayed copy of an earlier entry fails, no later than where it was inserted")
    func replayedEntry() throws {
        // A streaming verifier cannot tell a copy of entry j inserted at p from forged entries
        // j..<p inserted before the originals; it names j, the lowest position that may be bad.
        let fixture = try Self.fixture()
        let clean = try Self.lines(fixture)
        for (copied, position) in [(4, 5), (1, 4), (0, 9), (9, 10)] {
            var lines = clean
            // Past the last entry means before the end line.
            let at = position < Self.count ? fixture.lineOfEntry(position) : lines.count - 1
            lines.insert(clean[fixture.lineOfEntry(copied)], at: at)
            let failure = try #require(Self.verify(lines).failure, "entry \(copied) replayed at \(position)")
            let index = try #require(failure.firstBadIndex)
            #expect(index >= copied && index <= position, "entry \(copied) replayed at \(position): \(failure)")
        }
    }

    @Test("moving an entry later fails at its original position")
    func movedEntry() throws {
        let fixture = try Self.fixture()
        var lines = try Self.lines(fixture)
        let line = lines.remove(at: fixture.lineOfEntry(2))
        lines.insert(line, at: fixture.lineOfEntry(7))
        Self.expectFailure(Self.verify(lines), at: 2, "entry 2 moved after entry 7")
    }

    @Test("truncating the tail fails at the first missing entry")
    func truncatedTail() throws {
        let fixture = try Self.fixture()
        let clean = try Self.lines(fixture)
        // The end line goes with the tail, as a cut stream loses it.
        for dropped in 1...Self.count {
            Self.expectFailure(Self.verify(Array(clean.dropLast(dropped + 1))), at: Self.count - dropped, "last \(dropped) entries dropped")
        }
    }

    @Test("an entry re-labelled with another log fails at that entry")
    func entryOfAnotherLog() throws {
        let fixture = try Self.fixture()
        var lines = try Self.lines(fixture)
        let entry = try ExportFixture.edited(fixture.entries[4]) { $0["log_id"] = "tenant-other" }
        lines[fixture.lineOfEntry(4)] = AuditExportLine.entry(index: 4, leafHash: RFC6962.leafHash(entry.utf8), entry: entry, proof: nil).encoded()
        Self.expectFailure(Self.verify(lines), at: 4, "entry 4 of another log")
    }

    @Test("an entry whose content is not a canonical entry fails at that entry")
    func notCanonical() throws {
        let fixture = try Self.fixture()
        for (name, entry) in [("not JSON", "hello"), ("no prev_root", #"{"index":5,"log_id":"tenant-acme"}"#),
                              ("short prev_root", #"{"index":5,"log_id":"tenant-acme","prev_root":"00"}"#)] {
            var lines = try Self.lines(fixture)
            lines[fixture.lineOfEntry(5)] = AuditExportLine.entry(index: 5, leafHash: RFC6962.leafHash(entry.utf8), entry: entry, proof: nil).encoded()
            Self.expectFailure(Self.verify(lines), at: 5, name)
        }
    }

    @Test("rewriting history from an entry on, every later entry re-chained, fails at the first signed head it breaks")
    func rewrittenHistory() throws {
        // The hash chain cannot tell which entry changed when all later ones were rewritten to
        // match; the signed heads can: the first checkpoint covering the change fails, naming
        // the last entry it covers (the documented behaviour).
        let fixture = try Self.fixture()
        var lines = try Self.lines(fixture)
        var tree = InMemoryMerkleTree(leafHashes: Array(fixture.leaves.prefix(5)))
        for index in 5..<Self.count {
            let previous = Hex.encode(try tree.root(treeSize: index))
            var entry = try ExportFixture.edited(fixture.entries[index]) { $0["prev_root"] = previous }
            if index == 5 { entry = try ExportFixture.edited(entry) { $0["subject"] = "models/rewritten" } }
            let leaf = RFC6962.leafHash(entry.utf8)
            tree.append(leaf)
            lines[fixture.lineOfEntry(index)] = AuditExportLine.entry(index: index, leafHash: leaf, entry: entry, proof: nil).encoded()
        }
        // The checkpoint at 8 is the first signed head covering entry 5.
        Self.expectFailure(Self.verify(lines), at: 7, "history rewritten from entry 5")
        // Without checkpoints only the head is left: its last entry is named.
        let bare = try ExportFixture(count: Self.count, checkpointSizes: [])
        var bareLines = try Self.lines(bare)
        let offset = bare.lineOfEntry(0)
        for index in 5..<Self.count { bareLines[offset + index] = lines[fixture.lineOfEntry(index)] }
        Self.expectFailure(Self.verify(bareLines), at: Self.count - 1, "history rewritten from entry 5, no checkpoints")
    }

    // MARK: Signed heads and proofs tampered with

    @Test("an altered checkpoint signature fails")
    func alteredCheckpointSignature() throws {
        let fixture = try Self.fixture()
        for (i, checkpoint) in fixture.checkpoints.enumerated() {
            var lines = try Self.lines(fixture)
            var altered = checkpoint
            altered.signature[10] ^= 0x40
            lines[1 + i] = AuditExportLine.checkpoint(altered).encoded()
            Self.expectFailure(Self.verify(lines), at: nil, "checkpoint \(checkpoint.treeSize) signature")
        }
    }

    @Test("an altered head signature, or a head whose size or root was changed, fails")
    func alteredHead() throws {
        let fixture = try Self.fixture()
        var signature = fixture.head
        signature.signature[0] ^= 0x01
        var size = fixture.head
        size.treeSize = Self.count - 1
        var root = fixture.head
        root.rootHash = try fixture.tree.root(treeSize: Self.count - 1)
        for (name, head) in [("signature", signature), ("size", size), ("root", root)] {
            var lines = try Self.lines(fixture)
            lines[0] = AuditExportLine.head(head, filtered: false).encoded()
            Self.expectFailure(Self.verify(lines), at: nil, "head \(name)")
        }
    }

    @Test("a checkpoint whose root or size was changed (signature kept) fails")
    func alteredCheckpointFields() throws {
        let fixture = try Self.fixture()
        var root = fixture.checkpoints[1]
        root.rootHash = flipped(root.rootHash)
        var size = fixture.checkpoints[1]
        size.treeSize = 5
        for (name, checkpoint) in [("root", root), ("size", size)] {
            var lines = try Self.lines(fixture)
            lines[2] = AuditExportLine.checkpoint(checkpoint).encoded()
            Self.expectFailure(Self.verify(lines), at: nil, "checkpoint \(name)")
        }
    }

    @Test("the wrong public key, or none, fails")
    func wrongKey() throws {
        let fixture = try Self.fixture()
        let lines = try Self.lines(fixture)
        Self.expectFailure(Self.verify(lines, keys: [AuditSigningKey().publicKey]), at: nil, "another key")
        Self.expectFailure(Self.verify(lines, keys: []), at: nil, "no key")
        // An export signed by another key, checked with the expected one.
        let other = try ExportFixture(count: Self.count, key: AuditSigningKey())
        Self.expectFailure(Self.verify(try Self.lines(other)), at: nil, "signed by another key")
    }

    @Test("a checkpoint re-signed by another key under the expected key's ID fails")
    func impostorKey() throws {
        let fixture = try Self.fixture()
        var lines = try Self.lines(fixture)
        var impostor = try Checkpoint.sign(logID: fixture.logID, treeSize: 4, rootHash: fixture.tree.root(treeSize: 4), time: ExportFixture.start, key: AuditSigningKey())
        impostor.keyID = ExportFixture.defaultKey.keyID
        lines[2] = AuditExportLine.checkpoint(impostor).encoded()
        Self.expectFailure(Self.verify(lines), at: nil, "impostor")
    }

    @Test("a bad consistency proof fails")
    func badConsistencyProof() throws {
        let fixture = try Self.fixture()
        let clean = try Self.lines(fixture)
        let consistencyLine = 1 + fixture.checkpoints.count
        for (i, (first, second)) in fixture.consistencyPairs.enumerated() {
            let proof = try fixture.tree.consistency(from: first, to: second)
            var variants: [(String, AuditExportLine)] = [
                ("truncated", .consistency(first: first, second: second, proof: Array(proof.dropLast()))),
                ("extended", .consistency(first: first, second: second, proof: proof + [proof[0]])),
                ("empty", .consistency(first: first, second: second, proof: [])),
                ("sizes swapped", .consistency(first: second, second: first, proof: proof)),
            ]
            if proof.count > 1 {
                variants.append(("reversed", .consistency(first: first, second: second, proof: proof.reversed())))
            }
            for j in proof.indices {
                var wrong = proof
                wrong[j] = flipped(wrong[j], byte: 7, mask: 0x02)
                variants.append(("proof[\(j)] flipped", .consistency(first: first, second: second, proof: wrong)))
            }
            for (name, line) in variants {
                var lines = clean
                lines[consistencyLine + i] = line.encoded()
                Self.expectFailure(Self.verify(lines), at: nil, "consistency \(first) -> \(second): \(name)")
            }
        }
    }

    @Test("a consistency proof between sizes that are not signed heads of the export fails")
    func consistencyOfUnsignedSizes() throws {
        let fixture = try Self.fixture()
        var lines = try Self.lines(fixture)
        lines.insert(AuditExportLine.consistency(first: 5, second: 10, proof: try fixture.tree.consistency(from: 5, to: 10)).encoded(), at: 1 + fixture.checkpoints.count)
        Self.expectFailure(Self.verify(lines), at: nil, "consistency 5 -> 10")
    }

    @Test("a second signed head of the same size with another root is a fork")
    func fork() throws {
        let fixture = try Self.fixture()
        var lines = try Self.lines(fixture)
        let forked = try Checkpoint.sign(logID: fixture.logID, treeSize: 4, rootHash: RFC6962.leafHash(Array("fork".utf8)),
                                         time: ExportFixture.start, key: ExportFixture.defaultKey)
        lines.insert(AuditExportLine.checkpoint(forked).encoded(), at: 3)
        Self.expectFailure(Self.verify(lines), at: nil, "forked checkpoint at 4")
        // Also against the head's own size.
        var atHead = try Self.lines(fixture)
        let forkedHead = try Checkpoint.sign(logID: fixture.logID, treeSize: Self.count, rootHash: RFC6962.leafHash(Array("fork".utf8)),
                                             time: ExportFixture.start, key: ExportFixture.defaultKey)
        atHead.insert(AuditExportLine.checkpoint(forkedHead).encoded(), at: 1)
        Self.expectFailure(Self.verify(atHead), at: nil, "forked checkpoint at the head's size")
    }

    @Test("a validly signed checkpoint the entries do not reproduce fails at the last entry it covers")
    func checkpointNotReproduced() throws {
        let fixture = try Self.fixture()
        var lines = try Self.lines(fixture)
        // A checkpoint at 6 signed over the root of some other 6 entries; no proof mentions it.
        let foreign = try Checkpoint.sign(logID: fixture.logID, treeSize: 6, rootHash: flipped(fixture.tree.root(treeSize: 6)),
                                          time: ExportFixture.start, key: ExportFixture.defaultKey)
        lines.insert(AuditExportLine.checkpoint(foreign).encoded(), at: 1)
        Self.expectFailure(Self.verify(lines), at: 5, "checkpoint at 6 not reproduced")
    }

    @Test("a checkpoint of another log, or beyond the head, fails")
    func foreignCheckpoints() throws {
        let fixture = try Self.fixture()
        let otherLog = try Checkpoint.sign(logID: "tenant-other", treeSize: 4, rootHash: fixture.tree.root(treeSize: 4), time: ExportFixture.start, key: ExportFixture.defaultKey)
        let beyond = try Checkpoint.sign(logID: fixture.logID, treeSize: 11, rootHash: RFC6962.leafHash([1]), time: ExportFixture.start, key: ExportFixture.defaultKey)
        for (name, checkpoint) in [("another log", otherLog), ("beyond the head", beyond)] {
            var lines = try Self.lines(fixture)
            lines.insert(AuditExportLine.checkpoint(checkpoint).encoded(), at: 1)
            Self.expectFailure(Self.verify(lines), at: nil, name)
        }
    }

    // MARK: Structure

    @Test("lines out of order, a missing or second head, or a garbage line fail")
    func structure() throws {
        let fixture = try Self.fixture()
        let clean = try Self.lines(fixture)
        var noHead = clean
        noHead.removeFirst()
        Self.expectFailure(Self.verify(noHead), at: nil, "no head")
        Self.expectFailure(Self.verify([String]()), at: nil, "nothing")
        var secondHead = clean
        secondHead.insert(clean[0], at: 2)
        Self.expectFailure(Self.verify(secondHead), at: nil, "second head")
        var headLast = clean
        headLast.append(clean[0])
        Self.expectFailure(Self.verify(headLast), at: nil, "head after the entries")
        var checkpointAfterEntries = clean
        checkpointAfterEntries.append(clean[1])
        Self.expectFailure(Self.verify(checkpointAfterEntries), at: nil, "checkpoint after the entries")
        var checkpointAfterProofs = clean
        checkpointAfterProofs.insert(clean[1], at: fixture.lineOfEntry(0))
        Self.expectFailure(Self.verify(checkpointAfterProofs), at: nil, "checkpoint after a proof")
        var proofAfterEntries = clean
        proofAfterEntries.append(clean[1 + fixture.checkpoints.count])
        Self.expectFailure(Self.verify(proofAfterEntries), at: nil, "consistency proof after the entries")
        for garbage in ["not json", "{}", #"{"kind":"mystery"}"#, #"{"kind":"entry","index":0}"#, "[1,2]"] {
            var lines = clean
            lines.insert(garbage, at: 1)
            Self.expectFailure(Self.verify(lines), at: nil, garbage)
        }
    }

    // MARK: Filtered exports

    @Test("a filtered export of some entries with inclusion proofs verifies")
    func filteredExport() throws {
        let fixture = try Self.fixture()
        let report = try Self.verify(fixture.filteredExport([0, 3, 4, 9])).get()
        #expect(report.filtered)
        #expect(report.entries == 4)
        #expect(report.inclusionProofs == 4)
        #expect(report.checkpoints == 0)
        #expect(report.treeSize == Self.count)
        // Every single entry on its own, and none.
        for index in 0..<Self.count {
            #expect(Self.verify(try fixture.filteredExport([index])).success?.entries == 1)
        }
        #expect(Self.verify(try fixture.filteredExport([])).success?.entries == 0)
    }

    @Test("a filtered export with an altered entry fails at that entry", arguments: [0, 3, 9])
    func filteredAltered(index: Int) throws {
        let fixture = try Self.fixture()
        var lines = try fixture.filteredExport([0, 3, 9])
        let position = [0, 3, 9].firstIndex(of: index)! + 1
        let entry = try ExportFixture.edited(fixture.entries[index]) { $0["subject"] = "models/other" }
        let proof = try fixture.tree.inclusion(of: index, treeSize: Self.count)
        lines[position] = .entry(index: index, leafHash: RFC6962.leafHash(entry.utf8), entry: entry, proof: proof)
        Self.expectFailure(Self.verify(lines), at: index, "filtered entry \(index) altered")
    }

    @Test("a filtered export entry without a proof, with another entry's proof, or at another index fails")
    func filteredBadProofs() throws {
        let fixture = try Self.fixture()
        let proof3 = try fixture.tree.inclusion(of: 3, treeSize: Self.count)
        let proof4 = try fixture.tree.inclusion(of: 4, treeSize: Self.count)
        let cases: [(String, AuditExportLine, Int)] = [
            ("no proof", .entry(index: 3, leafHash: fixture.leaves[3], entry: fixture.entries[3], proof: nil), 3),
            ("empty proof", .entry(index: 3, leafHash: fixture.leaves[3], entry: fixture.entries[3], proof: []), 3),
            ("proof of entry 4", .entry(index: 3, leafHash: fixture.leaves[3], entry: fixture.entries[3], proof: proof4), 3),
            ("truncated proof", .entry(index: 3, leafHash: fixture.leaves[3], entry: fixture.entries[3], proof: Array(proof3.dropLast())), 3),
            ("flipped proof", .entry(index: 3, leafHash: fixture.leaves[3], entry: fixture.entries[3], proof: [flipped(proof3[0])] + proof3.dropFirst()), 3),
            ("claims index 4", .entry(index: 4, leafHash: fixture.leaves[3], entry: fixture.entries[3], proof: proof3), 4),
            ("entry 4 under index 3", .entry(index: 3, leafHash: fixture.leaves[4], entry: fixture.entries[4], proof: proof4), 3),
        ]
        for (name, line, index) in cases {
            let lines = [AuditExportLine.head(fixture.head, filtered: true), line]
            Self.expectFailure(Self.verify(lines), at: index, name)
        }
        // A filtered head checked with the wrong key.
        Self.expectFailure(Self.verify(try fixture.filteredExport([3]), keys: [AuditSigningKey().publicKey]), at: nil, "filtered, wrong key")
    }

    @Test("a full export's entries cannot be passed off as a filtered export without proofs")
    func fullEntriesUnderFilteredHead() throws {
        let fixture = try Self.fixture()
        var lines = try fixture.fullExport()
        lines[0] = .head(fixture.head, filtered: true)
        lines.remove(at: fixture.lineOfEntry(2))
        Self.expectFailure(Self.verify(lines), at: 0, "filtered head, entries without proofs")
    }

    // MARK: Helpers

    static func verify(_ lines: [String], keys: [AuditPublicKey] = keys) -> Result<ExportVerifier.Report, ExportVerifier.Failure> {
        MaestroAuditLogTests.verify(lines, keys: keys)
    }

    static func verify(_ lines: [AuditExportLine], keys: [AuditPublicKey] = keys) -> Result<ExportVerifier.Report, ExportVerifier.Failure> {
        MaestroAuditLogTests.verify(lines, keys: keys)
    }
}

@Suite("AuditExportLine")
struct AuditExportLineTests {
    @Test("each kind of line parses back to the same line")
    func roundTrip() throws {
        let fixture = try ExportFixture(count: 5, checkpointSizes: [2])
        var lines = try fixture.fullExport() + fixture.filteredExport([1, 4])
        lines.append(.consistency(first: 0, second: 0, proof: []))
        for line in lines {
            let text = line.encoded()
            #expect(!text.contains("\n"))
            #expect(try AuditExportLine.parse(text).encoded() == text)
        }
    }

    @Test("the encoded fields are the documented ones")
    func fields() throws {
        let fixture = try ExportFixture(count: 5, checkpointSizes: [2])
        let head = try requireObject(AuditExportLine.head(fixture.head, filtered: false).encoded())
        #expect(head["kind"] as? String == "head")
        #expect(head["format"] as? String == "maestro-audit-export/1")
        #expect(head["filtered"] as? Bool == false)
        #expect(head["tree_size"] as? Int == 5)
        #expect(head["root_hash"] as? String == Hex.encode(fixture.head.rootHash))
        #expect(Set(head.keys) == ["kind", "format", "filtered", "log_id", "tree_size", "root_hash", "signed_at", "key_id", "signature"])
        let checkpoint = try requireObject(AuditExportLine.checkpoint(fixture.checkpoints[0]).encoded())
        #expect(checkpoint["kind"] as? String == "checkpoint")
        #expect(checkpoint["tree_size"] as? Int == 2)
        let proof = try fixture.tree.consistency(from: 2, to: 5)
        let consistency = try requireObject(AuditExportLine.consistency(first: 2, second: 5, proof: proof).encoded())
        #expect(consistency["kind"] as? String == "consistency")
        #expect(consistency["proof"] as? [String] == proof.map(Hex.encode))
        let entry = try requireObject(fixture.entryLine(3).encoded())
        #expect(entry["kind"] as? String == "entry")
        #expect(entry["index"] as? Int == 3)
        #expect(entry["leaf_hash"] as? String == Hex.encode(fixture.leaves[3]))
        #expect(entry["entry"] as? String == fixture.entries[3])
        #expect(entry["proof"] == nil)
        // The canonical entry carries the link the verifier checks.
        #expect(AuditEntryLink(canonical: fixture.entries[3]) == AuditEntryLink(index: 3, logID: ExportFixture.logID, previousRoot: try fixture.tree.root(treeSize: 3)))
        #expect(AuditEntryLink(canonical: fixture.entries[0])?.previousRoot == RFC6962.emptyRoot)
    }

    @Test("malformed lines are refused with a reason")
    func malformed() {
        let bad = [
            "",
            "null",
            "{\"kind\":1}",
            "{\"kind\":\"head\",\"format\":\"other/1\"}",
            "{\"kind\":\"checkpoint\",\"log_id\":\"x\"}",
            "{\"kind\":\"consistency\",\"first\":1,\"second\":2,\"proof\":[\"00\"]}",
            "{\"kind\":\"consistency\",\"first\":1,\"second\":2}",
            "{\"kind\":\"entry\",\"index\":0,\"leaf_hash\":\"00\",\"entry\":\"{}\"}",
            "{\"kind\":\"entry\",\"index\":0,\"leaf_hash\":\"\(Hex.encode(RFC6962.emptyRoot))\",\"entry\":\"{}\",\"proof\":[\"zz\"]}",
            "{\"kind\":\"entry\",\"index\":0,\"leaf_hash\":\"\(Hex.encode(RFC6962.emptyRoot))\",\"entry\":\"{}\",\"proof\":\"abc\"}",
            "{\"kind\":\"other\"}",
        ]
        for line in bad {
            #expect(throws: AuditExportError.self, "\(line)") { try AuditExportLine.parse(line) }
        }
    }
}

@Suite("ExportVerifier: the end line")
struct ExportEndLineTests {
    @Test("a filtered export cut short, or with entries dropped, fails on its end line")
    func filteredExportMustEnd() throws {
        let fixture = try ExportVerifierTests.fixture()
        let lines = try fixture.filteredExport([1, 4, 6]).map { $0.encoded() }
        #expect(ExportVerifierTests.verify(lines).success?.entries == 3)
        // The stream stopped before its last entry and its end line: every entry left still proves, but the export is incomplete.
        #expect(ExportVerifierTests.verify(Array(lines.dropLast(2))).failure?.reason.contains("cut short") == true)
        var dropped = lines
        dropped.remove(at: 2)
        #expect(ExportVerifierTests.verify(dropped).failure?.reason.contains("end line counts 3") == true)
        #expect(ExportVerifierTests.verify(lines + [lines[1]]).failure?.reason.contains("after the end line") == true)
    }

    @Test("a full export must end with its end line, counting its entries: without it the export was cut")
    func fullExportEndCounts() throws {
        let fixture = try ExportVerifierTests.fixture()
        let lines = try fixture.fullExport().map { $0.encoded() }
        #expect(ExportVerifierTests.verify(lines).success != nil)
        #expect(ExportVerifierTests.verify(Array(lines.dropLast())).failure?.reason.contains("cut short") == true)
        #expect(ExportVerifierTests.verify(Array(lines.dropLast()) + [AuditExportLine.end(entries: 3).encoded()]).failure?.reason.contains("end line counts 3") == true)
    }
}

@Suite("ExportVerifier: checkpoints the auditor kept")
struct KeptCheckpointTests {
    static func verify(_ lines: [String], kept: [Checkpoint], allowFiltered: Bool = true) -> Result<ExportVerifier.Report, ExportVerifier.Failure> {
        var verifier = ExportVerifier(publicKeys: [ExportFixture.defaultKey.publicKey], trustedCheckpoints: kept, allowFiltered: allowFiltered)
        do throws(ExportVerifier.Failure) {
            for line in lines { try verifier.consume(line) }
            return .success(try verifier.finish())
        } catch {
            return .failure(error)
        }
    }

    @Test("a kept head the log extends passes; one beyond the export means the log was cut back; a different root means it was rewritten")
    func keptHeads() throws {
        let fixture = try ExportVerifierTests.fixture()
        let lines = try fixture.fullExport().map { $0.encoded() }
        let key = ExportFixture.defaultKey
        let kept = try Checkpoint.sign(logID: fixture.logID, treeSize: 6, rootHash: fixture.tree.root(treeSize: 6), time: ExportFixture.start, key: key)
        #expect(Self.verify(lines, kept: [kept]).success?.trustedCheckpoints == 1)

        // A head of 12 entries was published earlier; this export stops at 10: cut back.
        var longer = InMemoryMerkleTree(leafHashes: fixture.leaves)
        longer.append(RFC6962.leafHash(Array("x".utf8)))
        longer.append(RFC6962.leafHash(Array("y".utf8)))
        let beyond = try Checkpoint.sign(logID: fixture.logID, treeSize: 12, rootHash: longer.root(treeSize: 12), time: ExportFixture.start, key: key)
        #expect(Self.verify(lines, kept: [beyond]).failure?.reason.contains("cut back") == true)

        // A head kept at size 6 with another root: the first six entries were rewritten and re-signed since.
        let other = try Checkpoint.sign(logID: fixture.logID, treeSize: 6, rootHash: RFC6962.leafHash(Array("other".utf8)), time: ExportFixture.start, key: key)
        #expect(Self.verify(lines, kept: [other]).failure?.firstBadIndex == 5)

        // A kept head must itself carry the key's signature.
        var forged = kept
        forged.treeSize = 7
        #expect(Self.verify(lines, kept: [forged]).failure != nil)
    }

    @Test("an export of selected entries passes only when the caller accepts one")
    func filteredNeedsConsent() throws {
        let fixture = try ExportVerifierTests.fixture()
        let lines = try fixture.filteredExport([2, 5]).map { $0.encoded() }
        #expect(Self.verify(lines, kept: []).success?.entries == 2)
        #expect(Self.verify(lines, kept: [], allowFiltered: false).failure?.reason.contains("selected entries") == true)
    }
}
