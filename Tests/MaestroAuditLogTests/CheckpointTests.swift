import Foundation
import MaestroAuditLog
import Testing

/// RFC 8032 §7.1, TEST 1: an Ed25519 secret key (seed) and its public key.
enum RFC8032Test1 {
    static let seedBase64 = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=" // 9d61b19d…1cae7f60
    static let publicKeyBase64 = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" // d75a9801…f707511a
    /// The first 8 bytes of SHA-256 of the raw public key (computed with Python's hashlib).
    static let keyID = "21fe31dfa154a261"
}

@Suite("Checkpoint (signed tree head)")
struct CheckpointTests {
    static let time = Date(timeIntervalSince1970: 1_790_000_000.125) // 2026-09-21T14:13:20.125Z
    static let root = RFC6962Vectors.roots[8]

    static func key() throws -> AuditSigningKey {
        try #require(AuditSigningKey(base64: RFC8032Test1.seedBase64))
    }

    static func signed(logID: String = "acme", treeSize: Int = 42, rootHash: MerkleHash = root, time: Date = time, key: AuditSigningKey) throws -> Checkpoint {
        try Checkpoint.sign(logID: logID, treeSize: treeSize, rootHash: rootHash, time: time, key: key)
    }

    @Test("the signed body is exactly the four documented lines")
    func bodyFormat() throws {
        let checkpoint = try Self.signed(key: Self.key())
        let body = String(decoding: checkpoint.body, as: UTF8.self)
        #expect(body == "maestro.audit/acme\n42\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\ntime 2026-09-21T14:13:20.125Z\n")
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 5)
        #expect(lines.last == "")
        #expect(lines[0] == "maestro.audit/acme")
        #expect(lines[1] == "42")
        #expect(Data(base64Encoded: String(lines[2])).map(Array.init) == Self.root)
        #expect(lines[3] == "time 2026-09-21T14:13:20.125Z")
    }

    @Test("the body of an empty tree and a whole second")
    func bodyOfEmptyTree() throws {
        let checkpoint = try Checkpoint.sign(logID: "t", treeSize: 0, rootHash: RFC6962.emptyRoot,
                                             time: Date(timeIntervalSince1970: 1_700_000_000), key: Self.key())
        // The root of the empty tree is SHA-256(""); 1700000000 is 2023-11-14T22:13:20Z.
        #expect(String(decoding: checkpoint.body, as: UTF8.self) == "maestro.audit/t\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\ntime 2023-11-14T22:13:20.000Z\n")
    }

    @Test("sign then verify; the fields are kept")
    func roundTrip() throws {
        let key = try Self.key()
        let checkpoint = try Self.signed(key: key)
        #expect(checkpoint.isSigned(by: key.publicKey))
        #expect(checkpoint.logID == "acme")
        #expect(checkpoint.treeSize == 42)
        #expect(checkpoint.rootHash == Self.root)
        #expect(checkpoint.time == Self.time)
        #expect(checkpoint.keyID == key.keyID)
        #expect(checkpoint.signature.count == 64)
        // With a fresh random key as well.
        let other = AuditSigningKey()
        #expect(try Self.signed(key: other).isSigned(by: other.publicKey))
    }

    @Test("a signature made elsewhere (Python cryptography, RFC 8032 key) verifies")
    func externalSignature() throws {
        let publicKey = try #require(AuditPublicKey(base64: RFC8032Test1.publicKeyBase64))
        let signature = try #require(Data(base64Encoded: "bueectk5L+ej7l0jS82QppoDoD92CHgpbVkT/NQc/n0WOCvoYIZPSYaMkmzVdEozzVBkOvgvp2PSlLuqUrHDDw=="))
        var checkpoint = Checkpoint(logID: "acme", treeSize: 42, rootHash: Self.root, time: Self.time, keyID: RFC8032Test1.keyID, signature: Array(signature))
        #expect(checkpoint.isSigned(by: publicKey))
        checkpoint.treeSize = 43
        #expect(!checkpoint.isSigned(by: publicKey))
    }

    @Test("changing any signed field, the key ID or the signature breaks the signature")
    func alteredFieldsFail() throws {
        let key = try Self.key()
        let publicKey = key.publicKey
        let checkpoint = try Self.signed(key: key)

        var size = checkpoint
        size.treeSize = 41
        #expect(!size.isSigned(by: publicKey))
        size.treeSize = 420
        #expect(!size.isSigned(by: publicKey))

        var root = checkpoint
        root.rootHash = flipped(Self.root, byte: 31, mask: 1)
        #expect(!root.isSigned(by: publicKey))
        root.rootHash = RFC6962Vectors.roots[7]
        #expect(!root.isSigned(by: publicKey))

        var time = checkpoint
        time.time = Self.time.addingTimeInterval(0.001)
        #expect(!time.isSigned(by: publicKey))
        time.time = Self.time.addingTimeInterval(-86_400)
        #expect(!time.isSigned(by: publicKey))

        var log = checkpoint
        log.logID = "acmf"
        #expect(!log.isSigned(by: publicKey))
        log.logID = "acme\n42"
        #expect(!log.isSigned(by: publicKey))

        var keyID = checkpoint
        keyID.keyID = "0000000000000000"
        #expect(!keyID.isSigned(by: publicKey))

        for byte in [0, 31, 32, 63] {
            var signature = checkpoint
            signature.signature[byte] ^= 0x01
            #expect(!signature.isSigned(by: publicKey), "signature byte \(byte)")
        }
        var short = checkpoint
        short.signature.removeLast()
        #expect(!short.isSigned(by: publicKey))
        var none = checkpoint
        none.signature = []
        #expect(!none.isSigned(by: publicKey))

        // Unchanged, it still verifies.
        #expect(checkpoint.isSigned(by: publicKey))
    }

    @Test("another key does not verify it, even when the key ID is rewritten to name that key")
    func differentKeyFails() throws {
        let key = try Self.key()
        let other = AuditSigningKey()
        let checkpoint = try Self.signed(key: key)
        #expect(other.keyID != key.keyID)
        #expect(!checkpoint.isSigned(by: other.publicKey))
        var renamed = checkpoint
        renamed.keyID = other.keyID
        #expect(!renamed.isSigned(by: other.publicKey))
        // And a checkpoint of the other key does not verify with the first.
        #expect(!(try Self.signed(key: other)).isSigned(by: key.publicKey))
    }

    @Test("JSON: encode then decode gives the same checkpoint, still signed, with the documented fields")
    func json() throws {
        let key = try Self.key()
        let checkpoint = try Self.signed(key: key)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(checkpoint)
        let decoded = try JSONDecoder().decode(Checkpoint.self, from: data)
        #expect(decoded == checkpoint)
        #expect(decoded.isSigned(by: key.publicKey))

        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["log_id", "tree_size", "root_hash", "signed_at", "key_id", "signature"])
        #expect(object["log_id"] as? String == "acme")
        #expect(object["tree_size"] as? Int == 42)
        #expect(object["root_hash"] as? String == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
        #expect(object["signed_at"] as? String == "2026-09-21T14:13:20.125Z")
        #expect(object["key_id"] as? String == RFC8032Test1.keyID)
        #expect((object["signature"] as? String).flatMap { Data(base64Encoded: $0) }.map(Array.init) == checkpoint.signature)
    }

    @Test("JSON decoding refuses a bad root, time or signature")
    func jsonRejectsBadFields() throws {
        let checkpoint = try Self.signed(key: Self.key())
        let good = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(checkpoint)) as? [String: Any])
        func decodes(_ change: (inout [String: Any]) -> Void) -> Bool {
            var object = good
            change(&object)
            guard let data = try? JSONSerialization.data(withJSONObject: object) else { return false }
            return (try? JSONDecoder().decode(Checkpoint.self, from: data)) != nil
        }
        #expect(decodes { _ in })
        #expect(!decodes { $0["root_hash"] = "5dc9" })
        #expect(!decodes { $0["root_hash"] = String(repeating: "zz", count: 32) })
        #expect(!decodes { $0["root_hash"] = (good["root_hash"] as! String) + "00" })
        #expect(!decodes { $0["signed_at"] = "yesterday" })
        #expect(!decodes { $0["signature"] = "not base64!" })
        #expect(!decodes { $0["tree_size"] = "42" })
        #expect(!decodes { $0["log_id"] = nil })
        #expect(!decodes { $0["key_id"] = nil })
        // Upper-case hex and a time without milliseconds are read.
        #expect(decodes { $0["root_hash"] = (good["root_hash"] as! String).uppercased() })
        #expect(decodes { $0["signed_at"] = "2026-09-21T14:13:20Z" })
    }

    @Test("signing keeps the time to a whole millisecond, and the signed time is the one stored")
    func timeKeptToMilliseconds() throws {
        let key = try Self.key()
        for offset in [0.0, 0.0001, 0.0004, 0.0006, 0.0009] {
            let input = Date(timeIntervalSince1970: 1_790_000_000.125 + offset)
            let checkpoint = try Self.signed(time: input, key: key)
            // Within a millisecond of the time given, on a whole millisecond.
            #expect(abs(checkpoint.time.timeIntervalSince(input)) < 0.001, "+\(offset)")
            let millis = checkpoint.time.timeIntervalSince1970 * 1000
            #expect(abs(millis - millis.rounded()) < 1e-3, "+\(offset)")
            #expect(checkpoint.isSigned(by: key.publicKey))
            // The body carries the stored time, so re-signing it is stable.
            let again = try Self.signed(time: checkpoint.time, key: key)
            #expect(again.time == checkpoint.time)
            #expect(again.body == checkpoint.body)
        }
        // Below half a millisecond, the millisecond is the one given.
        let checkpoint = try Self.signed(time: Date(timeIntervalSince1970: 1_790_000_000.1254), key: key)
        #expect(AuditTime.format(checkpoint.time) == "2026-09-21T14:13:20.125Z")
    }

    @Test("every millisecond of a second survives sign, JSON and verify")
    func everyMillisecondRoundTrips() throws {
        let key = try Self.key()
        var mismatches: [String] = []
        for millisecond in 0..<1000 {
            let time = Date(timeIntervalSince1970: 1_790_000_000 + Double(millisecond) / 1000)
            let checkpoint = try Self.signed(time: time, key: key)
            let text = AuditTime.format(checkpoint.time)
            let expected = String(format: "2026-09-21T14:13:20.%03dZ", millisecond)
            if text != expected { mismatches.append("\(millisecond): signed as \(text)") }
            let decoded = try JSONDecoder().decode(Checkpoint.self, from: JSONEncoder().encode(checkpoint))
            if !decoded.isSigned(by: key.publicKey) { mismatches.append("\(millisecond): does not verify after JSON") }
            if AuditTime.format(decoded.time) != text { mismatches.append("\(millisecond): decoded as \(AuditTime.format(decoded.time))") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
    }
}

@Suite("Audit keys")
struct AuditKeyTests {
    @Test("the RFC 8032 seed gives its public key and key ID")
    func rfc8032() throws {
        let key = try #require(AuditSigningKey(base64: RFC8032Test1.seedBase64))
        #expect(key.base64 == RFC8032Test1.seedBase64)
        #expect(key.publicKey.base64 == RFC8032Test1.publicKeyBase64)
        #expect(key.keyID == RFC8032Test1.keyID)
        let publicKey = try #require(AuditPublicKey(base64: RFC8032Test1.publicKeyBase64))
        #expect(publicKey.keyID == RFC8032Test1.keyID)
    }

    @Test("keys round-trip through base64, surrounding whitespace is ignored")
    func base64RoundTrip() throws {
        let key = AuditSigningKey()
        let reread = try #require(AuditSigningKey(base64: "  \(key.base64)\n"))
        #expect(reread.keyID == key.keyID)
        #expect(reread.publicKey.base64 == key.publicKey.base64)
        let publicKey = try #require(AuditPublicKey(base64: key.publicKey.base64 + "\n"))
        #expect(publicKey.keyID == key.keyID)
        #expect(key.keyID.count == 16)
        #expect(Hex.decode(key.keyID)?.count == 8)
        // A checkpoint signed with the reread key verifies with the original's public key.
        let checkpoint = try Checkpoint.sign(logID: "x", treeSize: 1, rootHash: RFC6962Vectors.roots[1], time: Date(), key: reread)
        #expect(checkpoint.isSigned(by: key.publicKey))
    }

    @Test("malformed key text is refused")
    func malformedKeys() {
        #expect(AuditSigningKey(base64: "") == nil)
        #expect(AuditSigningKey(base64: "not base64!") == nil)
        #expect(AuditSigningKey(base64: Data(repeating: 1, count: 31).base64EncodedString()) == nil)
        #expect(AuditSigningKey(base64: Data(repeating: 1, count: 64).base64EncodedString()) == nil)
        #expect(AuditPublicKey(base64: "") == nil)
        #expect(AuditPublicKey(base64: Data(repeating: 1, count: 33).base64EncodedString()) == nil)
    }
}

@Suite("Hex and AuditTime")
struct EncodingTests {
    @Test("hex encodes lower case and decodes either case")
    func hex() {
        #expect(Hex.encode([0x00, 0x0f, 0xa0, 0xff]) == "000fa0ff")
        #expect(Hex.encode([UInt8]()) == "")
        #expect(Hex.decode("000fa0ff") == [0x00, 0x0f, 0xa0, 0xff])
        #expect(Hex.decode("000FA0FF") == [0x00, 0x0f, 0xa0, 0xff])
        #expect(Hex.decode("") == [])
        #expect(Hex.decode("0") == nil)
        #expect(Hex.decode("0g") == nil)
        #expect(Hex.decode("0x00") == nil)
        #expect(Hex.decode(" 00") == nil)
        #expect(Hex.decode("é0") == nil)
        let all = (0...255).map(UInt8.init)
        #expect(Hex.decode(Hex.encode(all)) == all)
    }

    @Test("Hex.hash takes exactly 32 bytes")
    func hexHash() {
        let text = Hex.encode(RFC6962Vectors.emptyRoot)
        #expect(text == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Hex.hash(text) == RFC6962Vectors.emptyRoot)
        #expect(Hex.hash(String(text.dropLast(2))) == nil)
        #expect(Hex.hash(text + "00") == nil)
        #expect(Hex.hash("") == nil)
    }

    @Test("AuditTime writes RFC 3339 UTC with milliseconds and reads with or without them")
    func auditTime() throws {
        #expect(AuditTime.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(AuditTime.format(Date(timeIntervalSince1970: 1_790_000_000.5)) == "2026-09-21T14:13:20.500Z")
        let parsed = try #require(AuditTime.parse("2026-09-21T14:13:20.500Z"))
        #expect(abs(parsed.timeIntervalSince1970 - 1_790_000_000.5) < 1e-6)
        let whole = try #require(AuditTime.parse("2026-09-21T14:13:20Z"))
        #expect(whole.timeIntervalSince1970 == 1_790_000_000)
        #expect(AuditTime.parse("2026-09-21") == nil)
        #expect(AuditTime.parse("") == nil)
    }
}
