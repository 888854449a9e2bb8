/// The right edge of a Merkle tree: the roots of the perfect subtrees that make up a tree of
/// `size` leaves, largest (leftmost) first, one per set bit of `size`.
///
/// It is all an append needs: adding a leaf merges equal-sized subtrees, O(log n) hashes, and
/// the root of the tree so far folds them from the right. The log keeps one per tree and stores
/// every perfect subtree it completes, from which any proof is assembled.
public struct CompactRange: Sendable, Equatable {
    public private(set) var size: Int
    public private(set) var hashes: [MerkleHash]

    /// A perfect subtree completed by an append: `level` is its height (leaves are level 0),
    /// `index` its position among subtrees of that height.
    public struct Node: Sendable, Equatable {
        public let level: Int
        public let index: Int
        public let hash: MerkleHash
    }

    public init() {
        size = 0
        hashes = []
    }

    /// Resumes from stored state; `nil` when the hashes cannot be the edge of a tree of `size`.
    public init?(size: Int, hashes: [MerkleHash]) {
        guard size >= 0, hashes.count == size.nonzeroBitCount, hashes.allSatisfy({ $0.count == 32 }) else { return nil }
        self.size = size
        self.hashes = hashes
    }

    /// Where the hashes of the edge of a tree of `size` leaves sit in the full tree, largest
    /// first: one perfect subtree per set bit of `size`.
    public static func positions(forSize size: Int) -> [MerkleProofs.Position] {
        var positions: [MerkleProofs.Position] = []
        var start = 0
        for level in stride(from: Int.bitWidth - 1, through: 0, by: -1) where size & (1 << level) != 0 {
            positions.append(MerkleProofs.Position(level: level, index: start >> level))
            start += 1 << level
        }
        return positions
    }

    /// Appends a leaf hash; returns the interior nodes this completes (the leaf itself is level 0).
    @discardableResult
    public mutating func append(_ leaf: MerkleHash) -> [Node] {
        var completed: [Node] = []
        var index = size
        var level = 0
        hashes.append(leaf)
        while index & 1 == 1 {
            let right = hashes.removeLast()
            let left = hashes.removeLast()
            let parent = RFC6962.nodeHash(left, right)
            hashes.append(parent)
            level += 1
            index >>= 1
            completed.append(Node(level: level, index: index, hash: parent))
        }
        size += 1
        return completed
    }

    /// The Merkle tree hash of the leaves so far (RFC 9162 §2.1.1).
    public var root: MerkleHash {
        guard var root = hashes.last else { return RFC6962.emptyRoot }
        for hash in hashes.dropLast().reversed() {
            root = RFC6962.nodeHash(hash, root)
        }
        return root
    }
}
