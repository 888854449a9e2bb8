import Crypto

/// A SHA-256 hash of a Merkle tree node, 32 bytes.
public typealias MerkleHash = [UInt8]

/// The hashing of RFC 6962 §2.1 / RFC 9162 §2.1: leaves and interior nodes get different
/// one-byte prefixes, so a leaf can never be passed off as an interior node (second preimage).
public enum RFC6962 {
    /// `SHA-256(0x00 ‖ entry)`.
    public static func leafHash(_ entry: some Sequence<UInt8>) -> MerkleHash {
        var hasher = SHA256()
        hasher.update(data: [0x00])
        hasher.update(data: Array(entry))
        return Array(hasher.finalize())
    }

    /// `SHA-256(0x01 ‖ left ‖ right)`.
    public static func nodeHash(_ left: MerkleHash, _ right: MerkleHash) -> MerkleHash {
        var hasher = SHA256()
        hasher.update(data: [0x01])
        hasher.update(data: left)
        hasher.update(data: right)
        return Array(hasher.finalize())
    }

    /// The root of the empty tree: `SHA-256()` of no bytes.
    public static let emptyRoot: MerkleHash = Array(SHA256.hash(data: [UInt8]()))

    /// The largest power of two strictly less than `n` (for `n > 1`): where RFC 6962 splits a tree.
    static func split(_ n: Int) -> Int {
        precondition(n > 1)
        return 1 << (Int.bitWidth - 1 - (n - 1).leadingZeroBitCount)
    }
}

/// Lowercase hex, the text form of hashes in the API and in exports.
public enum Hex {
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Accepts upper or lower case; `nil` for anything that is not an even run of hex digits.
    public static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    /// A 32-byte hash in hex, or `nil`.
    public static func hash(_ text: String) -> MerkleHash? {
        guard let bytes = decode(text), bytes.count == 32 else { return nil }
        return bytes
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
