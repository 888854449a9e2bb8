import Foundation
import MaestroAuditLog
import Testing

/// The published RFC 6962 test vectors (the 8-leaf tree of the original CT test suite), copied
/// verbatim from:
///
/// - github.com/transparency-dev/merkle, `testonly/constants.go`: `LeafInputs`, `NodeHashes`,
///   `RootHashes`, `CompactTrees`, `EmptyRootHash`;
/// - github.com/transparency-dev/merkle, `proof/verify_test.go`: `inclusionProofs`,
///   `consistencyProofs`, `sha256SomeHash`, and the corruption probes of
///   `corruptInclusionProof` / `corruptConsistencyProof`;
/// - github.com/transparency-dev/merkle, `proof/proof_test.go`: the node IDs of
///   `TestInclusion` / `TestConsistency` (which stored subtrees a proof reads).
///
/// The same inclusion/consistency vectors and roots appear in
/// github.com/google/certificate-transparency-go, `merkletree/merkle_verifier_test.go`.
enum RFC6962Vectors {
    /// `testonly.LeafInputs()`.
    static let leafInputs: [[UInt8]] = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ].map(bytes)

    /// `testonly.NodeHashes()`: every complete subtree, `[level][index]`.
    static let nodeHashes: [[MerkleHash]] = [
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
            "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
        ].map(hash),
        [
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        ].map(hash),
        [
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ].map(hash),
        [
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ].map(hash),
    ]

    /// `testonly.EmptyRootHash()`: SHA-256 of nothing.
    static let emptyRoot = hash("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")

    /// `testonly.RootHashes()`, by tree size 0...8.
    static let roots: [MerkleHash] = [emptyRoot] + [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ].map(hash)

    /// `testonly.CompactTrees()`: the right edge (largest subtree first) at each size 0...8.
    static var compactTrees: [[MerkleHash]] {
        let nh = nodeHashes
        return [
            [],
            [nh[0][0]],
            [nh[1][0]],
            [nh[1][0], nh[0][2]],
            [nh[2][0]],
            [nh[2][0], nh[0][4]],
            [nh[2][0], nh[1][2]],
            [nh[2][0], nh[1][2], nh[0][6]],
            [nh[3][0]],
        ]
    }

    /// `sha256SomeHash` of verify_test.go.
    static let someHash = hash("abacaba000000000000000000000000000000000000000000060061e00123456")

    struct Inclusion: Sendable, CustomStringConvertible {
        let index: Int
        let treeSize: Int
        let path: [MerkleHash]
        var description: String { "leaf \(index) of \(treeSize)" }
    }

    /// `inclusionProofs` of verify_test.go, whose `leaf` is 1-based (the test verifies
    /// `leaf-1`); here `index` is the 0-based leaf index. The `{0, 0, nil}` entry there is an
    /// invalid placeholder the Go test skips, and is left out.
    static let inclusionProofs: [Inclusion] = [
        Inclusion(index: 0, treeSize: 1, path: []),
        Inclusion(index: 0, treeSize: 8, path: [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ].map(hash)),
        Inclusion(index: 5, treeSize: 8, path: [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ].map(hash)),
        Inclusion(index: 2, treeSize: 3, path: [
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        ].map(hash)),
        Inclusion(index: 1, treeSize: 5, path: [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ].map(hash)),
    ]

    struct Consistency: Sendable, CustomStringConvertible {
        let first: Int
        let second: Int
        let proof: [MerkleHash]
        var description: String { "\(first) -> \(second)" }
    }

    /// `consistencyProofs` of verify_test.go.
    static let consistencyProofs: [Consistency] = [
        Consistency(first: 1, second: 1, proof: []),
        Consistency(first: 1, second: 8, proof: [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ].map(hash)),
        Consistency(first: 6, second: 8, proof: [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ].map(hash)),
        Consistency(first: 2, second: 5, proof: [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ].map(hash)),
        Consistency(first: 6, second: 7, proof: [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ].map(hash)),
    ]

    struct NodeIDs: Sendable, CustomStringConvertible {
        let a: Int
        let b: Int
        let nodes: Set<Pair>
        var description: String { "\(a), \(b)" }
    }

    /// `TestInclusion` of proof_test.go: `(size, index)` and the stored subtrees the proof
    /// reads (`compact.NewNodeID(level, index)`; the "rehash" entries are read too).
    static let inclusionNodes: [NodeIDs] = [
        NodeIDs(a: 1, b: 0, nodes: []),
        NodeIDs(a: 2, b: 0, nodes: [Pair(0, 1)]),
        NodeIDs(a: 2, b: 1, nodes: [Pair(0, 0)]),
        NodeIDs(a: 3, b: 1, nodes: [Pair(0, 0), Pair(0, 2)]),
        NodeIDs(a: 7, b: 0, nodes: [Pair(0, 1), Pair(1, 1), Pair(0, 6), Pair(1, 2)]),
        NodeIDs(a: 7, b: 1, nodes: [Pair(0, 0), Pair(1, 1), Pair(0, 6), Pair(1, 2)]),
        NodeIDs(a: 7, b: 2, nodes: [Pair(0, 3), Pair(1, 0), Pair(0, 6), Pair(1, 2)]),
        NodeIDs(a: 7, b: 3, nodes: [Pair(0, 2), Pair(1, 0), Pair(0, 6), Pair(1, 2)]),
        NodeIDs(a: 7, b: 4, nodes: [Pair(0, 5), Pair(0, 6), Pair(2, 0)]),
        NodeIDs(a: 7, b: 5, nodes: [Pair(0, 4), Pair(0, 6), Pair(2, 0)]),
        NodeIDs(a: 7, b: 6, nodes: [Pair(1, 2), Pair(2, 0)]),
        NodeIDs(a: 4, b: 2, nodes: [Pair(0, 3), Pair(1, 0)]),
        NodeIDs(a: 5, b: 3, nodes: [Pair(0, 2), Pair(1, 0), Pair(0, 4)]),
        NodeIDs(a: 6, b: 3, nodes: [Pair(0, 2), Pair(1, 0), Pair(1, 2)]),
        NodeIDs(a: 6, b: 4, nodes: [Pair(0, 5), Pair(2, 0)]),
        NodeIDs(a: 15, b: 10, nodes: [Pair(0, 11), Pair(1, 4), Pair(0, 14), Pair(1, 6), Pair(3, 0)]),
        NodeIDs(a: 31, b: 24, nodes: [Pair(0, 25), Pair(1, 13), Pair(0, 30), Pair(1, 14), Pair(3, 2), Pair(4, 0)]),
        NodeIDs(a: 95, b: 81, nodes: [Pair(0, 80), Pair(1, 41), Pair(2, 21), Pair(0, 94), Pair(1, 46), Pair(2, 22), Pair(4, 4), Pair(6, 0)]),
    ]

    /// `TestConsistency` of proof_test.go: `(size1, size2)` and the stored subtrees the proof reads.
    static let consistencyNodes: [NodeIDs] = [
        NodeIDs(a: 1, b: 2, nodes: [Pair(0, 1)]),
        NodeIDs(a: 1, b: 4, nodes: [Pair(0, 1), Pair(1, 1)]),
        NodeIDs(a: 1, b: 6, nodes: [Pair(0, 1), Pair(1, 1), Pair(1, 2)]),
        NodeIDs(a: 2, b: 3, nodes: [Pair(0, 2)]),
        NodeIDs(a: 2, b: 8, nodes: [Pair(1, 1), Pair(2, 1)]),
        NodeIDs(a: 3, b: 7, nodes: [Pair(0, 2), Pair(0, 3), Pair(1, 0), Pair(0, 6), Pair(1, 2)]),
        NodeIDs(a: 4, b: 7, nodes: [Pair(0, 6), Pair(1, 2)]),
        NodeIDs(a: 5, b: 7, nodes: [Pair(0, 4), Pair(0, 5), Pair(0, 6), Pair(2, 0)]),
        NodeIDs(a: 6, b: 7, nodes: [Pair(1, 2), Pair(0, 6), Pair(2, 0)]),
        NodeIDs(a: 7, b: 8, nodes: [Pair(0, 6), Pair(0, 7), Pair(1, 2), Pair(2, 0)]),
        NodeIDs(a: 1, b: 1, nodes: []),
        NodeIDs(a: 2, b: 2, nodes: []),
        NodeIDs(a: 3, b: 3, nodes: []),
        NodeIDs(a: 4, b: 4, nodes: []),
        NodeIDs(a: 5, b: 5, nodes: []),
        NodeIDs(a: 7, b: 7, nodes: []),
        NodeIDs(a: 8, b: 8, nodes: []),
        NodeIDs(a: 2, b: 4, nodes: [Pair(1, 1)]),
        NodeIDs(a: 3, b: 5, nodes: [Pair(0, 2), Pair(0, 3), Pair(1, 0), Pair(0, 4)]),
        NodeIDs(a: 3, b: 6, nodes: [Pair(0, 2), Pair(0, 3), Pair(1, 0), Pair(1, 2)]),
        NodeIDs(a: 4, b: 6, nodes: [Pair(1, 2)]),
        NodeIDs(a: 1, b: 7, nodes: [Pair(0, 1), Pair(1, 1), Pair(0, 6), Pair(1, 2)]),
        NodeIDs(a: 10, b: 15, nodes: [Pair(1, 4), Pair(1, 5), Pair(0, 14), Pair(1, 6), Pair(3, 0)]),
        NodeIDs(a: 24, b: 31, nodes: [Pair(3, 2), Pair(0, 30), Pair(1, 14), Pair(2, 6), Pair(4, 0)]),
        NodeIDs(a: 81, b: 95, nodes: [Pair(0, 80), Pair(0, 81), Pair(1, 41), Pair(2, 21), Pair(0, 94), Pair(1, 46), Pair(2, 22), Pair(4, 4), Pair(6, 0)]),
    ]

    static var leafHashes: [MerkleHash] { leafInputs.map { RFC6962.leafHash($0) } }
    static var tree: InMemoryMerkleTree { InMemoryMerkleTree(leafHashes: leafHashes) }
}

@Suite("RFC 6962 test vectors (transparency-dev/merkle)")
struct MerkleVectorTests {
    typealias V = RFC6962Vectors

    // MARK: Hashing and roots

    @Test("the empty root is SHA-256 of nothing")
    func emptyRoot() throws {
        #expect(RFC6962.emptyRoot == V.emptyRoot)
        #expect(CompactRange().root == V.emptyRoot)
        #expect(try InMemoryMerkleTree().root(treeSize: 0) == V.emptyRoot)
        #expect(try MerkleProofs.root(treeSize: 0) { _, _ in throw MissingNode(level: 0, index: 0) } == V.emptyRoot)
    }

    @Test("leafHash of the 8 inputs gives the published leaf hashes")
    func leafHashes() {
        #expect(V.leafInputs.map { RFC6962.leafHash($0) } == V.nodeHashes[0])
        // The empty input is a real leaf, SHA-256(0x00), not the empty root.
        #expect(RFC6962.leafHash([]) != RFC6962.emptyRoot)
    }

    @Test("nodeHash builds the published interior nodes")
    func interiorNodes() {
        let nh = V.nodeHashes
        for level in 1..<nh.count {
            for index in nh[level].indices {
                #expect(RFC6962.nodeHash(nh[level - 1][2 * index], nh[level - 1][2 * index + 1]) == nh[level][index], "node (\(level),\(index))")
            }
        }
    }

    @Test("InMemoryMerkleTree holds exactly the published complete subtrees")
    func inMemoryNodes() throws {
        let tree = V.tree
        #expect(tree.size == 8)
        #expect(tree.levels == V.nodeHashes)
        for (level, hashes) in V.nodeHashes.enumerated() {
            for (index, expected) in hashes.enumerated() {
                #expect(try tree.node(level: level, index: index) == expected)
            }
        }
        #expect(throws: MissingNode(level: 0, index: 8)) { try tree.node(level: 0, index: 8) }
        #expect(throws: MissingNode(level: 4, index: 0)) { try tree.node(level: 4, index: 0) }
        #expect(throws: MissingNode(level: 2, index: 2)) { try tree.node(level: 2, index: 2) }
    }

    @Test("roots of sizes 0...8: InMemoryMerkleTree, CompactRange and the RFC definition agree with the vectors", arguments: 0...8)
    func roots(size: Int) throws {
        let expected = V.roots[size]
        let leaves = Array(V.leafHashes.prefix(size))
        // A tree of exactly `size` leaves.
        #expect(try InMemoryMerkleTree(leafHashes: leaves).root(treeSize: size) == expected)
        // An earlier size of the full tree.
        #expect(try V.tree.root(treeSize: size) == expected)
        // The right edge.
        var range = CompactRange()
        for leaf in leaves { range.append(leaf) }
        #expect(range.root == expected)
        #expect(range.size == size)
        // And the test's own reading of RFC 6962 §2.1.
        #expect(ReferenceMerkle.root(leaves) == expected)
    }

    // MARK: Inclusion

    @Test("MerkleProofs.inclusion produces the published audit paths", arguments: V.inclusionProofs)
    func inclusionProofs(vector: V.Inclusion) throws {
        let tree = V.tree
        #expect(try tree.inclusion(of: vector.index, treeSize: vector.treeSize) == vector.path)
        #expect(try MerkleProofs.inclusion(of: vector.index, treeSize: vector.treeSize, nodes: tree.node) == vector.path)
        // From a tree that holds only the first treeSize leaves, too.
        let small = InMemoryMerkleTree(leafHashes: Array(V.leafHashes.prefix(vector.treeSize)))
        #expect(try small.inclusion(of: vector.index, treeSize: vector.treeSize) == vector.path)
    }

    @Test("verifyInclusion accepts the published paths and rejects every corruption of verify_test.go", arguments: V.inclusionProofs)
    func verifyInclusion(vector: V.Inclusion) {
        let leaf = RFC6962.leafHash(V.leafInputs[vector.index])
        let root = V.roots[vector.treeSize]
        let (index, size, proof) = (vector.index, vector.treeSize, vector.path)
        #expect(MerkleProofs.verifyInclusion(leafHash: leaf, index: index, treeSize: size, proof: proof, root: root))

        // corruptInclusionProof(leafIndex, treeSize, proof, root, leafHash).
        var probes: [(String, MerkleHash, Int, Int, [MerkleHash], MerkleHash)] = [
            ("leafIndex - 1", leaf, index - 1, size, proof, root),
            ("leafIndex + 1", leaf, index + 1, size, proof, root),
            ("leafIndex ^ 2", leaf, index ^ 2, size, proof, root),
            ("treeSize * 2", leaf, index, size * 2, proof, root),
            ("treeSize / 2", leaf, index, size / 2, proof, root),
            ("wrong leaf", Array("WrongLeaf".utf8), index, size, proof, root),
            ("empty root", leaf, index, size, proof, V.emptyRoot),
            ("random root", leaf, index, size, proof, V.someHash),
            ("trailing garbage", leaf, index, size, proof + [[]], root),
            ("trailing root", leaf, index, size, proof + [root], root),
            ("preceding garbage", leaf, index, size, [[]] + proof, root),
            ("preceding root", leaf, index, size, [root] + proof, root),
        ]
        for i in proof.indices {
            var wrong = proof
            wrong[i] = flipped(wrong[i], mask: 8)
            probes.append(("modified proof[\(i)] bit 3", leaf, index, size, wrong, root))
            var replaced = proof
            replaced[i] = V.emptyRoot
            probes.append(("proof[\(i)] replaced by the empty root", leaf, index, size, replaced, root))
        }
        if !proof.isEmpty {
            probes.append(("removed component", leaf, index, size, Array(proof.dropLast()), root))
        }
        if proof.count > 1 {
            probes.append(("inserted component", leaf, index, size, [proof[0], V.someHash] + proof.dropFirst(), root))
        }
        if proof.count > 1 {
            probes.append(("reversed path", leaf, index, size, proof.reversed(), root))
        }
        for (name, leaf, index, size, proof, root) in probes {
            #expect(!MerkleProofs.verifyInclusion(leafHash: leaf, index: index, treeSize: size, proof: proof, root: root), "\(vector): \(name)")
        }
    }

    @Test("verifyInclusion rejects impossible positions (TestVerifyInclusion / TestVerifyInclusionSingleEntry)")
    func verifyInclusionDegenerate() {
        for (index, size) in [(0, 0), (0, 1), (1, 0), (2, 1)] {
            #expect(!MerkleProofs.verifyInclusion(leafHash: V.someHash, index: index, treeSize: size, proof: [], root: []))
            #expect(!MerkleProofs.verifyInclusion(leafHash: [], index: index, treeSize: size, proof: [], root: V.emptyRoot))
            #expect(!MerkleProofs.verifyInclusion(leafHash: V.someHash, index: index, treeSize: size, proof: [], root: V.emptyRoot))
        }
        #expect(!MerkleProofs.verifyInclusion(leafHash: V.someHash, index: -1, treeSize: 4, proof: [], root: V.someHash))
        // A one-leaf tree: the root is the leaf hash and the path is empty.
        let leaf = RFC6962.leafHash(Array("data".utf8))
        #expect(MerkleProofs.verifyInclusion(leafHash: leaf, index: 0, treeSize: 1, proof: [], root: leaf))
        #expect(!MerkleProofs.verifyInclusion(leafHash: leaf, index: 0, treeSize: 1, proof: [], root: []))
        #expect(!MerkleProofs.verifyInclusion(leafHash: [], index: 0, treeSize: 1, proof: [], root: leaf))
        #expect(!MerkleProofs.verifyInclusion(leafHash: leaf, index: 0, treeSize: 1, proof: [leaf], root: leaf))
    }

    @Test("every leaf of every published tree size verifies against the published root")
    func inclusionAllVectorLeaves() throws {
        let tree = V.tree
        for size in 1...8 {
            for index in 0..<size {
                let proof = try tree.inclusion(of: index, treeSize: size)
                #expect(proof == ReferenceMerkle.path(index, Array(V.leafHashes.prefix(size))))
                #expect(MerkleProofs.verifyInclusion(leafHash: V.leafHashes[index], index: index, treeSize: size, proof: proof, root: V.roots[size]), "leaf \(index) of \(size)")
            }
        }
    }

    // MARK: Consistency

    @Test("MerkleProofs.consistency produces the published proofs", arguments: V.consistencyProofs)
    func consistencyProofs(vector: V.Consistency) throws {
        let tree = V.tree
        #expect(try tree.consistency(from: vector.first, to: vector.second) == vector.proof)
        #expect(try MerkleProofs.consistency(from: vector.first, to: vector.second, nodes: tree.node) == vector.proof)
        let small = InMemoryMerkleTree(leafHashes: Array(V.leafHashes.prefix(vector.second)))
        #expect(try small.consistency(from: vector.first, to: vector.second) == vector.proof)
    }

    @Test("verifyConsistency accepts the published proofs and rejects every corruption of verify_test.go", arguments: V.consistencyProofs)
    func verifyConsistency(vector: V.Consistency) {
        let (size1, size2, proof) = (vector.first, vector.second, vector.proof)
        let root1 = V.roots[size1], root2 = V.roots[size2]
        #expect(MerkleProofs.verifyConsistency(first: size1, second: size2, firstRoot: root1, secondRoot: root2, proof: proof))
        // verifierConsistencyCheck: only non-trivial proofs are corrupted.
        guard !proof.isEmpty else { return }

        let wrongRoot = Array("WrongRoot".utf8)
        var probes: [(String, Int, Int, MerkleHash, MerkleHash, [MerkleHash])] = [
            ("size1 - 1", size1 - 1, size2, root1, root2, proof),
            ("size1 + 1", size1 + 1, size2, root1, root2, proof),
            ("size1 ^ 2", size1 ^ 2, size2, root1, root2, proof),
            ("size2 * 2", size1, size2 * 2, root1, root2, proof),
            ("size2 / 2", size1, size2 / 2, root1, root2, proof),
            ("wrong root1", size1, size2, wrongRoot, root2, proof),
            ("wrong root2", size1, size2, root1, wrongRoot, proof),
            ("swapped roots", size1, size2, root2, root1, proof),
            ("empty proof", size1, size2, root1, root2, []),
            ("trailing garbage", size1, size2, root1, root2, proof + [[]]),
            ("trailing root1", size1, size2, root1, root2, proof + [root1]),
            ("trailing root2", size1, size2, root1, root2, proof + [root2]),
            ("preceding garbage", size1, size2, root1, root2, [[]] + proof),
            ("preceding root1", size1, size2, root1, root2, [root1] + proof),
            ("preceding root2", size1, size2, root1, root2, [root2] + proof),
            ("preceding proof[0]", size1, size2, root1, root2, [proof[0]] + proof),
            ("truncated proof", size1, size2, root1, root2, Array(proof.dropLast())),
            ("first element dropped", size1, size2, root1, root2, Array(proof.dropFirst())),
        ]
        for i in proof.indices {
            var wrong = proof
            wrong[i] = flipped(wrong[i], mask: 16)
            probes.append(("modified proof[\(i)] bit 4", size1, size2, root1, root2, wrong))
            var lastByte = proof
            lastByte[i] = flipped(lastByte[i], byte: 31, mask: 1)
            probes.append(("modified proof[\(i)] last bit", size1, size2, root1, root2, lastByte))
        }
        if proof.count > 1 {
            probes.append(("reversed proof", size1, size2, root1, root2, proof.reversed()))
        }
        for (name, size1, size2, root1, root2, proof) in probes {
            #expect(!MerkleProofs.verifyConsistency(first: size1, second: size2, firstRoot: root1, secondRoot: root2, proof: proof), "\(vector): \(name)")
        }
    }

    @Test("verifyConsistency on trivial sizes (TestVerifyConsistency)")
    func verifyConsistencyTrivial() {
        let root1 = Array("don't care 1".utf8), root2 = Array("don't care 2".utf8)
        let empty = V.emptyRoot
        let cases: [(Int, Int, MerkleHash, MerkleHash, [MerkleHash], Bool)] = [
            (0, 0, root1, root2, [], false),
            (1, 1, root1, root2, [], false),
            // Sizes that are always consistent.
            (0, 0, root1, root1, [], true),
            (0, 1, root1, root2, [], true),
            (1, 1, root2, root2, [], true),
            // Time travel to the past.
            (1, 0, root1, root2, [], false),
            (2, 1, root1, root2, [], false),
            // Empty proof.
            (1, 2, root1, root2, [], false),
            // Roots don't match.
            (0, 0, empty, root2, [], false),
            (1, 1, empty, root2, [], false),
            // Roots match but the proof is not empty.
            (0, 0, empty, empty, [empty], false),
            (0, 1, empty, empty, [empty], false),
            (1, 1, empty, empty, [empty], false),
            // Negative sizes.
            (-1, 1, root1, root2, [], false),
            (-1, -1, root1, root1, [], false),
        ]
        for (size1, size2, first, second, proof, valid) in cases {
            #expect(MerkleProofs.verifyConsistency(first: size1, second: size2, firstRoot: first, secondRoot: second, proof: proof) == valid,
                    "\(size1) -> \(size2), proof of \(proof.count)")
        }
    }

    @Test("consistency between every pair of published sizes matches RFC 6962 and verifies")
    func consistencyAllVectorSizes() throws {
        let tree = V.tree
        for size2 in 0...8 {
            for size1 in 0...size2 {
                let proof = try tree.consistency(from: size1, to: size2)
                #expect(proof == ReferenceMerkle.proof(size1, Array(V.leafHashes.prefix(size2))), "\(size1) -> \(size2)")
                #expect(MerkleProofs.verifyConsistency(first: size1, second: size2, firstRoot: V.roots[size1], secondRoot: V.roots[size2], proof: proof), "\(size1) -> \(size2)")
            }
        }
    }

    // MARK: Which stored nodes a proof reads

    @Test("requiredNodes(inclusionOf:) names the node IDs of proof_test.go TestInclusion", arguments: V.inclusionNodes)
    func inclusionNodeIDs(vector: V.NodeIDs) {
        #expect(MerkleProofs.requiredNodes(inclusionOf: vector.b, treeSize: vector.a).pairs == vector.nodes)
    }

    @Test("requiredNodes(consistencyFrom:to:) names the node IDs of proof_test.go TestConsistency", arguments: V.consistencyNodes)
    func consistencyNodeIDs(vector: V.NodeIDs) {
        #expect(MerkleProofs.requiredNodes(consistencyFrom: vector.a, to: vector.b).pairs == vector.nodes)
    }

    @Test("requiredNodes(rootOf:) names the right edge of CompactTrees", arguments: 0...8)
    func rootNodeIDs(size: Int) throws {
        let required = MerkleProofs.requiredNodes(rootOf: size)
        let tree = V.tree
        let hashes = try Set(required.map { try tree.node(level: $0.level, index: $0.index) }.map(Hex.encode))
        #expect(hashes == Set(V.compactTrees[size].map(Hex.encode)))
        #expect(required.count == size.nonzeroBitCount)
    }
}
