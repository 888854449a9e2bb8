import Crypto
import Foundation

/// A signed tree head: a log's size and root hash at a time, signed with the audit service's
/// Ed25519 key.
///
/// The signed bytes follow the C2SP `tlog-checkpoint` note body, one item per line:
///
///     maestro.audit/<log id>
///     <tree size>
///     <root hash, base64>
///     time <RFC 3339 UTC, milliseconds>
///
/// so the signature covers which log, how many entries, which root and when, and nothing
/// else; anyone with the public key checks it offline.
public struct Checkpoint: Sendable, Hashable, Codable {
    public var logID: String
    public var treeSize: Int
    public var rootHash: MerkleHash
    public var time: Date
    public var keyID: String
    /// Ed25519 signature of ``body``.
    public var signature: [UInt8]

    public init(logID: String, treeSize: Int, rootHash: MerkleHash, time: Date, keyID: String, signature: [UInt8]) {
        self.logID = logID
        self.treeSize = treeSize
        self.rootHash = rootHash
        self.time = time
        self.keyID = keyID
        self.signature = signature
    }

    /// Signs the head `(logID, treeSize, rootHash, time)`; the time is rounded to the millisecond first.
    public static func sign(logID: String, treeSize: Int, rootHash: MerkleHash, time: Date, key: AuditSigningKey) throws -> Checkpoint {
        let time = Date(timeIntervalSince1970: (time.timeIntervalSince1970 * 1000).rounded() / 1000)
        let body = Checkpoint.body(logID: logID, treeSize: treeSize, rootHash: rootHash, time: time)
        let signature = Array(try key.privateKey.signature(for: body))
        return Checkpoint(logID: logID, treeSize: treeSize, rootHash: rootHash, time: time, keyID: key.keyID, signature: signature)
    }

    /// The signed text.
    public var body: [UInt8] { Checkpoint.body(logID: logID, treeSize: treeSize, rootHash: rootHash, time: time) }

    public func isSigned(by key: AuditPublicKey) -> Bool {
        key.keyID == keyID && key.key.isValidSignature(signature, for: body)
    }

    static func body(logID: String, treeSize: Int, rootHash: MerkleHash, time: Date) -> [UInt8] {
        Array("maestro.audit/\(logID)\n\(treeSize)\n\(Data(rootHash).base64EncodedString())\ntime \(AuditTime.format(time))\n".utf8)
    }

    enum CodingKeys: String, CodingKey {
        case logID = "log_id"
        case treeSize = "tree_size"
        case rootHash = "root_hash"
        case time = "signed_at"
        case keyID = "key_id"
        case signature
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        logID = try container.decode(String.self, forKey: .logID)
        treeSize = try container.decode(Int.self, forKey: .treeSize)
        guard let root = Hex.hash(try container.decode(String.self, forKey: .rootHash)) else {
            throw DecodingError.dataCorruptedError(forKey: .rootHash, in: container, debugDescription: "not a 32-byte hex hash")
        }
        rootHash = root
        guard let time = AuditTime.parse(try container.decode(String.self, forKey: .time)) else {
            throw DecodingError.dataCorruptedError(forKey: .time, in: container, debugDescription: "not an RFC 3339 time")
        }
        self.time = time
        keyID = try container.decode(String.self, forKey: .keyID)
        guard let signature = Data(base64Encoded: try container.decode(String.self, forKey: .signature)) else {
            throw DecodingError.dataCorruptedError(forKey: .signature, in: container, debugDescription: "not base64")
        }
        self.signature = Array(signature)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(logID, forKey: .logID)
        try container.encode(treeSize, forKey: .treeSize)
        try container.encode(Hex.encode(rootHash), forKey: .rootHash)
        try container.encode(AuditTime.format(time), forKey: .time)
        try container.encode(keyID, forKey: .keyID)
        try container.encode(Data(signature).base64EncodedString(), forKey: .signature)
    }
}

/// The audit service's Ed25519 signing key.
public struct AuditSigningKey: Sendable {
    public let privateKey: Curve25519.Signing.PrivateKey

    public init(privateKey: Curve25519.Signing.PrivateKey = .init()) {
        self.privateKey = privateKey
    }

    /// Reads the 32-byte seed, base64 (the key file's content).
    public init?(base64 text: String) {
        guard let seed = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)),
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else { return nil }
        self.privateKey = key
    }

    public var base64: String { privateKey.rawRepresentation.base64EncodedString() }
    public var publicKey: AuditPublicKey { AuditPublicKey(privateKey.publicKey) }
    public var keyID: String { publicKey.keyID }
}

/// A public key that checks checkpoint signatures.
public struct AuditPublicKey: Sendable {
    public let key: Curve25519.Signing.PublicKey

    public init(_ key: Curve25519.Signing.PublicKey) {
        self.key = key
    }

    /// Reads the 32-byte public key, base64 (the form `GET /v1/audit/public-keys` serves).
    public init?(base64 text: String) {
        guard let raw = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)),
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return nil }
        self.key = key
    }

    public var base64: String { key.rawRepresentation.base64EncodedString() }
    /// The first 8 bytes of SHA-256 of the raw key, hex: names the key in checkpoints.
    public var keyID: String { Hex.encode(SHA256.hash(data: key.rawRepresentation).prefix(8)) }
}

/// RFC 3339 UTC with milliseconds, the one time format of entries and checkpoints.
///
/// Formatting rounds to the nearest millisecond from whole milliseconds, never through a
/// fractional `Double`, so a time read back from storage (microseconds) prints exactly as signed.
public enum AuditTime {
    public static func format(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = millis.quotientAndRemainder(dividingBy: 1000)
        let (whole, fraction) = seconds.remainder < 0 ? (seconds.quotient - 1, seconds.remainder + 1000) : seconds
        let text = Date(timeIntervalSince1970: Double(whole)).formatted(Date.ISO8601FormatStyle())
        let padded = String(fraction + 1000).dropFirst()
        return text.dropLast() + "." + padded + "Z"
    }

    public static func parse(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
        return try? Date.ISO8601FormatStyle().parse(text)
    }
}
