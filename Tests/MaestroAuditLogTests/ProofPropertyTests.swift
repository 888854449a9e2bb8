import Foundation
import MaestroAuditLog
import Testing

/// Every inclusion and consistency proof of every tree of 1...64 leaves, checked against the
/// RFC 6962 definitions, the verifiers, and the stored nodes the proof claims to need.
@Suite("Merkle proofs, every size 1...64")
struct ProofPropertyTests {
    static let maxSize = 64
    static let leaves = generatedLeafHashes(maxSize)
    static let tree = InMemoryMerkleTree(leafHashes: leaves)
    static let roots: [MerkleHash] = (0...maxSize).map { ReferenceMerkle.root(Array(leaves.prefix($0))) }

    /// A node source over the full tree that records what it is asked for.
    final class RecordingSource {
        let tree: InMemoryMerkleTree
        var read: Set<Pair> = []
        init(_ tree: InMemoryMerkleTree) { self.tree = tree }
        func node(_ level: Int, _ index: Int) throws -> MerkleHash {
            read.insert(Pair(level, index))
            return try tree.node(level: level, index: index)
        }
    }

    /// A node source holding only `positions`: any other read throws.
    static func restricted(to positions: Set<MerkleProofs.Position>) throws -> MerkleProofs.NodeSource {
        var stored: [Pair: MerkleHash] = [:]
        for position in positions {
            stored[position.pair] = try tree.node(level: position.level, index: position.index)
        }
        return { [stored] level, index in
            guard let hash = stored[Pair(level, index)] else { throw MissingNode(level: level, index: index) }
            return hash
        }
    }

    @Test("roots: every earlier size of the stored tree is MTH of its prefix")
    func roots() throws {
        for size in 0...Self.maxSize {
            #expect(try Self.tree.root(treeSize: size) == Self.roots[size], "size \(size)")
            #expect(try InMemoryMerkleTree(leafHashes: Array(Self.leaves.prefix(size))).root(treeSize: size) == Self.roots[size], "size \(size)")
        }
    }

    @Test("inclusion: the generated path is PATH(m, D[n]) and verifies; a wrong leaf, index, size or path does not")
    func inclusion() throws {
        for size in 1...Self.maxSize {
            let prefix = Array(Self.leaves.prefix(size))
            let root = Self.roots[size]
            for index in 0..<size {
                let proof = try Self.tree.inclusion(of: index, treeSize: size)
                #expect(proof == ReferenceMerkle.path(index, prefix), "leaf \(index) of \(size)")
                let leaf = Self.leaves[index]
                #expect(MerkleProofs.verifyInclusion(leafHash: leaf, index: index, treeSize: size, proof: proof, root: root), "leaf \(index) of \(size)")

                // Any other leaf at this position.
                let other = Self.leaves[(index + 1) % Self.maxSize]
                #expect(!MerkleProofs.verifyInclusion(leafHash: other, index: index, treeSize: size, proof: proof, root: root), "leaf \(index) of \(size): other leaf")
                // Any other index of the same tree.
                for wrong in 0..<size where wrong != index {
                    if MerkleProofs.verifyInclusion(leafHash: leaf, index: wrong, treeSize: size, proof: proof, root: root) {
                        Issue.record("leaf \(index) of \(size) verified at index \(wrong)")
                    }
                }
                // A tree of another height (the probes of verify_test.go: a path's length is fixed
                // by the size, but sizes of the same height share it, so only these are wrong).
                #expect(!MerkleProofs.verifyInclusion(leafHash: leaf, index: index, treeSize: size * 2, proof: proof, root: root), "leaf \(index) of \(size): size * 2")
                #expect(!MerkleProofs.verifyInclusion(leafHash: leaf, index: index, treeSize: size / 2, proof: proof, root: root), "leaf \(index) of \(size): size / 2")
                #expect(!MerkleProofs.verifyInclusion(leafHash: leaf, index: index, treeSize: size, proof: proof, root: flipped(root, byte: 31, mask: 1)))
                // A flipped bit anywhere in the path, a shorter or a longer path.
                for i in proof.indices {
                    var wrong = proof
                    wrong[i] = flipped(wrong[i], byte: i % 32, mask: 0x80)
                    #expect(!MerkleProofs.verifyInclusion(leafHash: leaf, index: index, treeSize: size, proof: wrong, root: root), "leaf \(index) of \(size): proof[\(i)] flipped")
                }
                if !proof.isEmpty {
                    #expect(!MerkleProofs.verifyInclusion(leafHash: leaf, index: index, treeSize: size, proof: Array(proof.dropLast()), root: root))
                    #expect(!MerkleProofs.verifyInclusion(leafHash: leaf, index: index, treeSize: size, proof: Array(proof.dropFirst()), root: root))
                }
                #expect(!MerkleProofs.verifyInclusion(leafHash: leaf, index: index, treeSize: size, proof: proof + [root], root: root))
                #expect(!MerkleProofs.verifyInclusion(leafHash: leaf, index: index, treeSize: size, proof: [leaf] + proof, root: root))
            }
        }
    }

    @Test("consistency: for every 0 <= m <= n the proof is PROOF(m, D[n]) and verifies; altered ones do not")
    func consistency() throws {
        for second in 1...Self.maxSize {
            let prefix = Array(Self.leaves.prefix(second))
            let secondRoot = Self.roots[second]
            for first in 0...second {
                let firstRoot = Self.roots[first]
                let proof = try Self.tree.consistency(from: first, to: second)
                #expect(proof == ReferenceMerkle.proof(first, prefix), "\(first) -> \(second)")
                #expect(MerkleProofs.verifyConsistency(first: first, second: second, firstRoot: firstRoot, secondRoot: secondRoot, proof: proof), "\(first) -> \(second)")
                if first == 0 || first == second {
                    #expect(proof.isEmpty)
                    continue
                }
                #expect(!proof.isEmpty)
                #expect(!MerkleProofs.verifyConsistency(first: first, second: second, firstRoot: firstRoot, secondRoot: secondRoot, proof: []))
                #expect(!MerkleProofs.verifyConsistency(first: first, second: second, firstRoot: flipped(firstRoot), secondRoot: secondRoot, proof: proof), "\(first) -> \(second): first root")
                #expect(!MerkleProofs.verifyConsistency(first: first, second: second, firstRoot: firstRoot, secondRoot: flipped(secondRoot), proof: proof), "\(first) -> \(second): second root")
                #expect(!MerkleProofs.verifyConsistency(first: first, second: second, firstRoot: secondRoot, secondRoot: firstRoot, proof: proof), "\(first) -> \(second): swapped roots")
                #expect(!MerkleProofs.verifyConsistency(first: second, second: first, firstRoot: secondRoot, secondRoot: firstRoot, proof: proof), "\(first) -> \(second): swapped sizes")
                for i in proof.indices {
                    var wrong = proof
                    wrong[i] = flipped(wrong[i], byte: i % 32, mask: 0x04)
                    #expect(!MerkleProofs.verifyConsistency(first: first, second: second, firstRoot: firstRoot, secondRoot: secondRoot, proof: wrong), "\(first) -> \(second): proof[\(i)] flipped")
                }
                #expect(!MerkleProofs.verifyConsistency(first: first, second: second, firstRoot: firstRoot, secondRoot: secondRoot, proof: Array(proof.dropLast())), "\(first) -> \(second): truncated")
                #expect(!MerkleProofs.verifyConsistency(first: first, second: second, firstRoot: firstRoot, secondRoot: secondRoot, proof: proof + [secondRoot]), "\(first) -> \(second): extended")
                #expect(!MerkleProofs.verifyConsistency(first: first, second: second, firstRoot: firstRoot, secondRoot: secondRoot, proof: [proof[0]] + proof), "\(first) -> \(second): repeated head")
                // The second root of another log with the same prefix: a fork after `first` leaves.
                var forked = Array(prefix)
                forked[second - 1] = RFC6962.leafHash(Array("forked".utf8))
                #expect(!MerkleProofs.verifyConsistency(first: first, second: second, firstRoot: firstRoot, secondRoot: ReferenceMerkle.root(forked), proof: proof), "\(first) -> \(second): forked")
                // A rewritten first tree.
                var rewritten = Array(prefix.prefix(first))
                rewritten[0] = RFC6962.leafHash(Array("rewritten".utf8))
                #expect(!MerkleProofs.verifyConsistency(first: first, second: second, firstRoot: ReferenceMerkle.root(rewritten), secondRoot: secondRoot, proof: proof), "\(first) -> \(second): rewritten")
            }
        }
    }

    @Test("requiredNodes(inclusionOf:) names exactly the stored nodes the proof reads")
    func inclusionRequiredNodes() throws {
        for size in 1...Self.maxSize {
            for index in 0..<size {
                let required = MerkleProofs.requiredNodes(inclusionOf: index, treeSize: size)
                let source = RecordingSource(Self.tree)
                let full = try MerkleProofs.inclusion(of: index, treeSize: size, nodes: source.node)
                #expect(required.pairs == source.read, "leaf \(index) of \(size)")
                // Only the required nodes suffice, and give the same proof.
                let sparse = try MerkleProofs.inclusion(of: index, treeSize: size, nodes: Self.restricted(to: required))
                #expect(sparse == full, "leaf \(index) of \(size)")
                // Each of them is needed.
                for missing in required {
                    var fewer = required
                    fewer.remove(missing)
                    #expect(throws: MissingNode(level: missing.level, index: missing.index)) {
                        try MerkleProofs.inclusion(of: index, treeSize: size, nodes: Self.restricted(to: fewer))
                    }
                }
                // Every node read is a complete subtree inside the first `size` leaves.
                for node in required {
                    #expect((node.index + 1) << node.level <= size, "leaf \(index) of \(size): \(node.pair)")
                }
            }
        }
    }

    @Test("requiredNodes(consistencyFrom:to:) names exactly the stored nodes the proof reads")
    func consistencyRequiredNodes() throws {
        for second in 1...Self.maxSize {
            for first in 0...second {
                let required = MerkleProofs.requiredNodes(consistencyFrom: first, to: second)
                let source = RecordingSource(Self.tree)
                let full = try MerkleProofs.consistency(from: first, to: second, nodes: source.node)
                #expect(required.pairs == source.read, "\(first) -> \(second)")
                let sparse = try MerkleProofs.consistency(from: first, to: second, nodes: Self.restricted(to: required))
                #expect(sparse == full, "\(first) -> \(second)")
                for missing in required {
                    var fewer = required
                    fewer.remove(missing)
                    #expect(throws: MissingNode(level: missing.level, index: missing.index)) {
                        try MerkleProofs.consistency(from: first, to: second, nodes: Self.restricted(to: fewer))
                    }
                }
                for node in required {
                    #expect((node.index + 1) << node.level <= second, "\(first) -> \(second): \(node.pair)")
                }
            }
        }
    }

    @Test("requiredNodes(rootOf:) is the right edge: one complete subtree per set bit of the size")
    func rootRequiredNodes() throws {
        for size in 0...Self.maxSize {
            let required = MerkleProofs.requiredNodes(rootOf: size)
            let source = RecordingSource(Self.tree)
            let root = try MerkleProofs.root(treeSize: size, nodes: source.node)
            #expect(root == Self.roots[size])
            #expect(required.pairs == source.read, "size \(size)")
            #expect(try MerkleProofs.root(treeSize: size, nodes: Self.restricted(to: required)) == root)
            // The subtrees of the binary decomposition of `size`, largest first.
            var expected: Set<Pair> = []
            var start = 0
            for level in stride(from: Int.bitWidth - 1, through: 0, by: -1) where size & (1 << level) != 0 {
                expected.insert(Pair(level, start >> level))
                start += 1 << level
            }
            #expect(required.pairs == expected, "size \(size)")
        }
    }

    @Test("a proof past the stored tree throws MissingNode instead of inventing hashes")
    func proofBeyondTheTree() {
        let tree = InMemoryMerkleTree(leafHashes: Array(Self.leaves.prefix(5)))
        #expect(throws: MissingNode.self) { try tree.inclusion(of: 0, treeSize: 6) }
        #expect(throws: MissingNode.self) { try tree.consistency(from: 3, to: 8) }
        #expect(throws: MissingNode.self) { try tree.root(treeSize: 6) }
        #expect(MissingNode(level: 2, index: 3).description == "the Merkle node at level 2, index 3 is missing")
    }
}
