import Foundation
import MaestroAuditLog

/// A 32-byte hash from hex; the test vectors are constants, so a bad one is a bug in the test.
func hash(_ hex: String) -> MerkleHash {
    guard let hash = Hex.hash(hex) else { preconditionFailure("not a 32-byte hex hash: \(hex)") }
    return hash
}

/// Bytes from hex of any even length.
func bytes(_ hex: String) -> [UInt8] {
    guard let bytes = Hex.decode(hex) else { preconditionFailure("not hex: \(hex)") }
    return bytes
}

/// `hash` with one bit of byte `byte` flipped.
func flipped(_ hash: MerkleHash, byte: Int = 0, mask: UInt8 = 0x10) -> MerkleHash {
    var copy = hash
    copy[byte] ^= mask
    return copy
}

/// The leaf inputs the Go reference tests generate for larger trees (`genEntries`): the decimal
/// text of each index.
func generatedLeafHashes(_ count: Int) -> [MerkleHash] {
    (0..<count).map { RFC6962.leafHash(Array(String($0).utf8)) }
}

/// RFC 6962 §2.1 / RFC 9162 §2.1, written out from the definitions as directly as possible,
/// independently of the module, over the leaf hashes of `D[n]`.
enum ReferenceMerkle {
    /// The largest power of two strictly less than `n` (`n > 1`).
    static func split(_ n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    /// `MTH(D[n])`.
    static func root(_ leaves: [MerkleHash]) -> MerkleHash {
        switch leaves.count {
        case 0: return RFC6962.emptyRoot
        case 1: return leaves[0]
        default:
            let k = split(leaves.count)
            return RFC6962.nodeHash(root(Array(leaves[..<k])), root(Array(leaves[k...])))
        }
    }

    /// `PATH(m, D[n])`.
    static func path(_ m: Int, _ leaves: [MerkleHash]) -> [MerkleHash] {
        let n = leaves.count
        guard n > 1 else { return [] }
        let k = split(n)
        if m < k {
            return path(m, Array(leaves[..<k])) + [root(Array(leaves[k...]))]
        }
        return path(m - k, Array(leaves[k...])) + [root(Array(leaves[..<k]))]
    }

    /// `PROOF(m, D[n])`.
    static func proof(_ m: Int, _ leaves: [MerkleHash]) -> [MerkleHash] {
        guard m > 0, m < leaves.count else { return [] }
        return subproof(m, leaves, true)
    }

    private static func subproof(_ m: Int, _ leaves: [MerkleHash], _ complete: Bool) -> [MerkleHash] {
        let n = leaves.count
        if m == n { return complete ? [] : [root(leaves)] }
        let k = split(n)
        if m <= k {
            return subproof(m, Array(leaves[..<k]), complete) + [root(Array(leaves[k...]))]
        }
        return subproof(m - k, Array(leaves[k...]), false) + [root(Array(leaves[..<k]))]
    }
}

extension MerkleProofs.Position {
    /// Positions are only made by the module; the tests name them as `(level, index)` pairs.
    var pair: Pair { Pair(level: level, index: index) }
}

/// A `(level, index)` node position as the tests write it.
struct Pair: Hashable, CustomStringConvertible {
    let level: Int
    let index: Int
    init(level: Int, index: Int) {
        self.level = level
        self.index = index
    }
    init(_ level: Int, _ index: Int) {
        self.init(level: level, index: index)
    }
    var description: String { "(\(level),\(index))" }
}

extension Set where Element == MerkleProofs.Position {
    var pairs: Set<Pair> { Set<Pair>(map(\.pair)) }
}
