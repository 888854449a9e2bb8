import Foundation
import MaestroAuditLog
import Testing

@Suite("CompactRange")
struct CompactRangeTests {
    typealias V = RFC6962Vectors

    @Test("the right edge at sizes 0...8 is testonly.CompactTrees() and folds to the published roots")
    func publishedCompactTrees() {
        var range = CompactRange()
        #expect(range.hashes == V.compactTrees[0])
        #expect(range.root == V.roots[0])
        for (i, leaf) in V.leafHashes.enumerated() {
            range.append(leaf)
            #expect(range.size == i + 1)
            #expect(range.hashes == V.compactTrees[i + 1], "size \(i + 1)")
            #expect(range.root == V.roots[i + 1], "size \(i + 1)")
        }
    }

    @Test("append on the vector tree returns the completed interior nodes, by level, with their positions")
    func publishedCompletedNodes() {
        let nh = V.nodeHashes
        var range = CompactRange()
        var completed: [[(Int, Int, MerkleHash)]] = []
        for leaf in V.leafHashes {
            completed.append(range.append(leaf).map { ($0.level, $0.index, $0.hash) })
        }
        let expected: [[(Int, Int, MerkleHash)]] = [
            [],
            [(1, 0, nh[1][0])],
            [],
            [(1, 1, nh[1][1]), (2, 0, nh[2][0])],
            [],
            [(1, 2, nh[1][2])],
            [],
            [(1, 3, nh[1][3]), (2, 1, nh[2][1]), (3, 0, nh[3][0])],
        ]
        #expect(completed.count == expected.count)
        for (got, want) in zip(completed, expected) {
            #expect(got.map(\.0) == want.map(\.0))
            #expect(got.map(\.1) == want.map(\.1))
            #expect(got.map(\.2) == want.map(\.2))
        }
    }

    @Test("at every size 1...64 the root equals InMemoryMerkleTree's and the edge is the tree's perfect subtrees")
    func agreesWithInMemoryTree() throws {
        let leaves = generatedLeafHashes(64)
        var range = CompactRange()
        var tree = InMemoryMerkleTree()
        for (i, leaf) in leaves.enumerated() {
            range.append(leaf)
            tree.append(leaf)
            let size = i + 1
            #expect(range.size == size)
            #expect(tree.size == size)
            #expect(range.root == (try tree.root(treeSize: size)), "size \(size)")
            #expect(range.root == ReferenceMerkle.root(Array(leaves.prefix(size))), "size \(size)")
            #expect(range.hashes.count == size.nonzeroBitCount)
            // Largest subtree first: one per set bit, from the high bit down.
            var start = 0
            var edge: [MerkleHash] = []
            for level in stride(from: Int.bitWidth - 1, through: 0, by: -1) where size & (1 << level) != 0 {
                edge.append(try tree.node(level: level, index: start >> level))
                start += 1 << level
            }
            #expect(range.hashes == edge, "size \(size)")
        }
    }

    @Test("the nodes append returns are exactly InMemoryMerkleTree's interior perfect nodes, each once")
    func appendReturnsPerfectNodes() throws {
        let leaves = generatedLeafHashes(64)
        var range = CompactRange()
        var tree = InMemoryMerkleTree()
        var seen: Set<Pair> = []
        for (i, leaf) in leaves.enumerated() {
            let before = tree.levels.map(\.count)
            let nodes = range.append(leaf)
            tree.append(leaf)
            // The nodes InMemoryMerkleTree added above the leaf level with this leaf.
            var added: [Pair] = []
            for level in 1..<tree.levels.count {
                let old = level < before.count ? before[level] : 0
                for index in old..<tree.levels[level].count { added.append(Pair(level, index)) }
            }
            #expect(nodes.map { Pair($0.level, $0.index) } == added, "leaf \(i)")
            #expect(nodes.count == (i + 1).trailingZeroBitCount, "leaf \(i)")
            for node in nodes {
                #expect(node.hash == (try tree.node(level: node.level, index: node.index)), "leaf \(i): (\(node.level),\(node.index))")
                #expect(node.level >= 1)
                #expect(seen.insert(Pair(node.level, node.index)).inserted, "(\(node.level),\(node.index)) returned twice")
            }
            // Ascending levels, each the parent of the previous.
            for (lower, upper) in zip(nodes, nodes.dropFirst()) {
                #expect(upper.level == lower.level + 1)
                #expect(upper.index == lower.index / 2)
            }
        }
        // All of the tree's interior nodes were returned.
        var interior: Set<Pair> = []
        for level in 1..<tree.levels.count {
            for index in tree.levels[level].indices { interior.insert(Pair(level, index)) }
        }
        #expect(seen == interior)
        #expect(interior.count == 63)
    }

    @Test("resuming from stored (size, hashes) continues the same tree")
    func resume() throws {
        let leaves = generatedLeafHashes(40)
        for cut in 0...leaves.count {
            var original = CompactRange()
            for leaf in leaves.prefix(cut) { original.append(leaf) }
            let resumed = try #require(CompactRange(size: original.size, hashes: original.hashes))
            #expect(resumed == original)
            var a = original, b = resumed
            for leaf in leaves.dropFirst(cut) {
                let fromA = a.append(leaf), fromB = b.append(leaf)
                #expect(fromA == fromB)
            }
            #expect(a == b)
            #expect(b.root == ReferenceMerkle.root(leaves))
        }
    }

    @Test("stored state that cannot be a right edge is refused")
    func resumeRejectsBadState() {
        let h = RFC6962.leafHash([1])
        #expect(CompactRange(size: 0, hashes: []) == CompactRange())
        #expect(CompactRange(size: -1, hashes: []) == nil)
        #expect(CompactRange(size: 0, hashes: [h]) == nil)
        #expect(CompactRange(size: 1, hashes: []) == nil)
        #expect(CompactRange(size: 3, hashes: [h]) == nil)
        #expect(CompactRange(size: 3, hashes: [h, h, h]) == nil)
        #expect(CompactRange(size: 4, hashes: [h, h]) == nil)
        #expect(CompactRange(size: 3, hashes: [h, Array(h.prefix(31))]) == nil)
        #expect(CompactRange(size: 1, hashes: [h + [0]]) == nil)
        #expect(CompactRange(size: 3, hashes: [h, h]) != nil)
        #expect(CompactRange(size: 4, hashes: [h]) != nil)
    }

    @Test("Equatable compares size and edge")
    func equatable() {
        var a = CompactRange(), b = CompactRange()
        #expect(a == b)
        a.append(RFC6962.leafHash([1]))
        #expect(a != b)
        b.append(RFC6962.leafHash([2]))
        #expect(a != b)
        var c = CompactRange()
        c.append(RFC6962.leafHash([1]))
        #expect(a == c)
    }
}
