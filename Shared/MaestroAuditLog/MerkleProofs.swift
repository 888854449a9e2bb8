/// Inclusion and consistency proofs of RFC 9162 §2.1.3 and §2.1.4, assembled from the
/// hashes of perfect subtrees.
///
/// Every hash a proof needs is the hash of a perfect subtree or of a tree's right edge, which
/// is itself a fold of perfect subtrees; so a store that keeps every perfect subtree answers a
/// proof with O(log n) lookups. ``requiredNodes(inclusionOf:treeSize:)`` and
/// ``requiredNodes(consistencyFrom:to:)`` name them up front, so they can be read in one query.
public enum MerkleProofs {
    /// The hash of the perfect subtree of height `level` at `index` (level 0: leaf hashes).
    public typealias NodeSource = (_ level: Int, _ index: Int) throws -> MerkleHash

    public struct Position: Hashable, Sendable {
        public let level: Int
        public let index: Int

        public init(level: Int, index: Int) {
            self.level = level
            self.index = index
        }
    }

    /// The audit path of leaf `index` in the tree of the first `treeSize` leaves (`PATH(m, D[n])`).
    public static func inclusion(of index: Int, treeSize: Int, nodes: NodeSource) throws -> [MerkleHash] {
        precondition(index >= 0 && index < treeSize, "leaf index outside the tree")
        var path: [MerkleHash] = []
        try inclusionPath(index, start: 0, count: treeSize, nodes: nodes, into: &path)
        return path
    }

    /// The proof that the tree of `first` leaves is a prefix of the tree of `second` (`PROOF(m, D[n])`).
    /// Empty when `first` is 0 or equal to `second`.
    public static func consistency(from first: Int, to second: Int, nodes: NodeSource) throws -> [MerkleHash] {
        precondition(first >= 0 && first <= second, "consistency needs first <= second")
        guard first > 0, first < second else { return [] }
        var proof: [MerkleHash] = []
        try subproof(first, start: 0, count: second, complete: true, nodes: nodes, into: &proof)
        return proof
    }

    /// The root of the first `treeSize` leaves.
    public static func root(treeSize: Int, nodes: NodeSource) throws -> MerkleHash {
        treeSize == 0 ? RFC6962.emptyRoot : try subtreeHash(start: 0, count: treeSize, nodes: nodes)
    }

    /// The perfect subtrees an inclusion proof reads.
    public static func requiredNodes(inclusionOf index: Int, treeSize: Int) -> Set<Position> {
        recording { nodes in _ = try inclusion(of: index, treeSize: treeSize, nodes: nodes) }
    }

    /// The perfect subtrees a consistency proof reads.
    public static func requiredNodes(consistencyFrom first: Int, to second: Int) -> Set<Position> {
        recording { nodes in _ = try consistency(from: first, to: second, nodes: nodes) }
    }

    /// The perfect subtrees a root reads.
    public static func requiredNodes(rootOf treeSize: Int) -> Set<Position> {
        recording { nodes in _ = try root(treeSize: treeSize, nodes: nodes) }
    }

    // MARK: Verification (RFC 9162 §2.1.3.2 and §2.1.4.2)

    /// Whether `proof` shows that `leafHash` is leaf `index` of the tree of `treeSize` leaves with root `root`.
    public static func verifyInclusion(leafHash: MerkleHash, index: Int, treeSize: Int, proof: [MerkleHash], root: MerkleHash) -> Bool {
        guard index >= 0, index < treeSize, leafHash.count == 32, root.count == 32, proof.allSatisfy({ $0.count == 32 }) else { return false }
        var fn = index
        var sn = treeSize - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                r = RFC6962.nodeHash(p, r)
                if fn & 1 == 0 {
                    repeat {
                        fn >>= 1
                        sn >>= 1
                    } while fn & 1 == 0 && fn != 0
                }
            } else {
                r = RFC6962.nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == root
    }

    /// Whether `proof` shows that the tree of `first` leaves with root `firstRoot` is a prefix of
    /// the tree of `second` leaves with root `secondRoot`.
    public static func verifyConsistency(first: Int, second: Int, firstRoot: MerkleHash, secondRoot: MerkleHash, proof: [MerkleHash]) -> Bool {
        guard first >= 0, first <= second else { return false }
        if first == second { return proof.isEmpty && firstRoot == secondRoot }
        if first == 0 { return proof.isEmpty }
        guard firstRoot.count == 32, secondRoot.count == 32, proof.allSatisfy({ $0.count == 32 }) else { return false }
        var path = proof
        if first.nonzeroBitCount == 1 { path.insert(firstRoot, at: 0) }
        guard let seed = path.first else { return false }
        var fn = first - 1
        var sn = second - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = seed
        var sr = seed
        for c in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                fr = RFC6962.nodeHash(c, fr)
                sr = RFC6962.nodeHash(c, sr)
                if fn & 1 == 0 {
                    repeat {
                        fn >>= 1
                        sn >>= 1
                    } while fn & 1 == 0 && fn != 0
                }
            } else {
                sr = RFC6962.nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return fr == firstRoot && sr == secondRoot && sn == 0
    }

    // MARK: Assembly

    private static func inclusionPath(_ m: Int, start: Int, count n: Int, nodes: NodeSource, into path: inout [MerkleHash]) throws {
        guard n > 1 else { return }
        let k = RFC6962.split(n)
        if m < k {
            try inclusionPath(m, start: start, count: k, nodes: nodes, into: &path)
            path.append(try subtreeHash(start: start + k, count: n - k, nodes: nodes))
        } else {
            try inclusionPath(m - k, start: start + k, count: n - k, nodes: nodes, into: &path)
            path.append(try subtreeHash(start: start, count: k, nodes: nodes))
        }
    }

    private static func subproof(_ m: Int, start: Int, count n: Int, complete: Bool, nodes: NodeSource, into proof: inout [MerkleHash]) throws {
        if m == n {
            if !complete { proof.append(try subtreeHash(start: start, count: n, nodes: nodes)) }
            return
        }
        let k = RFC6962.split(n)
        if m <= k {
            try subproof(m, start: start, count: k, complete: complete, nodes: nodes, into: &proof)
            proof.append(try subtreeHash(start: start + k, count: n - k, nodes: nodes))
        } else {
            try subproof(m - k, start: start + k, count: n - k, complete: false, nodes: nodes, into: &proof)
            proof.append(try subtreeHash(start: start, count: k, nodes: nodes))
        }
    }

    /// `MTH(D[start:start+count])`. In RFC 6962's recursion a range always starts at a multiple
    /// of the largest power of two not above its length, so its perfect part is a stored node.
    private static func subtreeHash(start: Int, count: Int, nodes: NodeSource) throws -> MerkleHash {
        if count.nonzeroBitCount == 1 {
            let level = count.trailingZeroBitCount
            return try nodes(level, start >> level)
        }
        let k = RFC6962.split(count)
        return RFC6962.nodeHash(try subtreeHash(start: start, count: k, nodes: nodes), try subtreeHash(start: start + k, count: count - k, nodes: nodes))
    }

    private static func recording(_ body: (NodeSource) throws -> Void) -> Set<Position> {
        var wanted: Set<Position> = []
        let placeholder = MerkleHash(repeating: 0, count: 32)
        try? body { level, index in
            wanted.insert(Position(level: level, index: index))
            return placeholder
        }
        return wanted
    }
}

/// Every perfect subtree of a tree held in memory: a reference to check stored trees and proofs against.
public struct InMemoryMerkleTree: Sendable {
    /// `levels[l]` holds the complete subtrees of height `l`, in order.
    public private(set) var levels: [[MerkleHash]] = [[]]

    public init() {}

    public init(leafHashes: [MerkleHash]) {
        for leaf in leafHashes { append(leaf) }
    }

    public var size: Int { levels[0].count }

    public mutating func append(_ leaf: MerkleHash) {
        levels[0].append(leaf)
        var level = 0
        while levels[level].count % 2 == 0 {
            let count = levels[level].count
            let parent = RFC6962.nodeHash(levels[level][count - 2], levels[level][count - 1])
            if levels.count == level + 1 { levels.append([]) }
            levels[level + 1].append(parent)
            level += 1
        }
    }

    public func node(level: Int, index: Int) throws -> MerkleHash {
        guard level < levels.count, index < levels[level].count else { throw MissingNode(level: level, index: index) }
        return levels[level][index]
    }

    public func root(treeSize: Int) throws -> MerkleHash { try MerkleProofs.root(treeSize: treeSize, nodes: node) }
    public func inclusion(of index: Int, treeSize: Int) throws -> [MerkleHash] { try MerkleProofs.inclusion(of: index, treeSize: treeSize, nodes: node) }
    public func consistency(from first: Int, to second: Int) throws -> [MerkleHash] { try MerkleProofs.consistency(from: first, to: second, nodes: node) }
}

/// A proof needed a subtree the store does not hold: the tree is smaller than asked, or a node was removed.
public struct MissingNode: Error, Hashable, CustomStringConvertible {
    public let level: Int
    public let index: Int

    public init(level: Int, index: Int) {
        self.level = level
        self.index = index
    }

    public var description: String { "the Merkle node at level \(level), index \(index) is missing" }
}
