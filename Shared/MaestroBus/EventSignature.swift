import Crypto
import Foundation
import MaestroEvents
import Synchronization

/// The proof of which service produced an event: a JWS (RFC 7515) with a detached payload,
/// carried in the `signature` extension (`ce_signature`), `<protected header>..<signature>`.
///
/// - The protected header is `{"alg":"EdDSA","kid":"<key id>"}`; the key is the producing
///   service's Ed25519 event key, registered with governance under the service's account.
/// - The detached payload is ``payload(of:)``: every attribute of the event except
///   `signature` and `traceparent`, and the SHA-256 of its data. Changing the type, subject,
///   tenant, actor, data or any other attribute breaks the signature. Trace context is left
///   out: it carries no authority, and tracing infrastructure may rewrite it.
public enum EventSignature {
    public static let algorithm = "EdDSA"

    /// The signed bytes: a JSON object with sorted keys and no whitespace, of the present
    /// attributes by their CloudEvents names (`time` as the `ce_time` header writes it) and
    /// `datasha256`, the lowercase hex SHA-256 of the data.
    public static func payload(of event: CloudEvent) -> [UInt8] {
        var fields: [String: String] = [
            "specversion": CloudEvent.specVersion, "id": event.id, "source": event.source, "type": event.type,
            "datacontenttype": event.dataContentType,
            "datasha256": SHA256.hash(data: event.data).map { String(format: "%02x", $0) }.joined(),
        ]
        fields["time"] = event.time.map(RFC3339.format)
        fields["subject"] = event.subject
        fields["dataschema"] = event.dataSchema
        fields["tenant"] = event.tenant
        fields["authid"] = event.authId
        fields["correlationid"] = event.correlationId
        fields["causationid"] = event.causationId
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a dictionary of strings cannot fail.
        return Array((try? encoder.encode(fields)) ?? Data())
    }

    /// The `signature` value for `event`, signed with `key`.
    public static func sign(_ event: CloudEvent, with key: EventSigningKey) -> String {
        let header = Data(#"{"alg":"EdDSA","kid":"\#(key.keyID)"}"#.utf8).base64URLEncodedString()
        let input = header + "." + Data(payload(of: event)).base64URLEncodedString()
        // Ed25519 signing fails only for a malformed key, which the key type rules out.
        let signature = (try? key.privateKey.signature(for: Data(input.utf8))) ?? Data()
        return header + ".." + signature.base64URLEncodedString()
    }

    /// The key id a signature names, if it is a detached EdDSA JWS at all.
    public static func keyID(of signature: String) -> String? {
        parse(signature)?.kid
    }

    /// Whether `signature` is `key`'s signature over `event`.
    public static func isValid(_ signature: String, of event: CloudEvent, by key: Curve25519.Signing.PublicKey) -> Bool {
        guard let parsed = parse(signature) else { return false }
        let input = parsed.header + "." + Data(payload(of: event)).base64URLEncodedString()
        return key.isValidSignature(parsed.signature, for: Data(input.utf8))
    }

    private struct Header: Decodable {
        let alg: String
        let kid: String
    }

    private static func parse(_ signature: String) -> (header: String, kid: String, signature: Data)? {
        let parts = signature.split(separator: ".", omittingEmptySubsequences: false)
        guard signature.utf8.count <= 1024, parts.count == 3, parts[1].isEmpty,
              let headerBytes = Data(base64URL: String(parts[0])),
              let header = try? JSONDecoder().decode(Header.self, from: headerBytes), header.alg == algorithm, !header.kid.isEmpty,
              let bytes = Data(base64URL: String(parts[2])), bytes.count == 64 else { return nil }
        return (String(parts[0]), header.kid, bytes)
    }
}

/// A service's Ed25519 event key. Its seed lives in a file (`MAESTRO_EVENT_SIGNING_KEY_FILE`),
/// out of the database on purpose: whoever can write a service's outbox should not also be
/// able to sign as that service.
public struct EventSigningKey: Sendable {
    public let privateKey: Curve25519.Signing.PrivateKey

    public init(privateKey: Curve25519.Signing.PrivateKey = .init()) {
        self.privateKey = privateKey
    }

    /// The key's RFC 7638 JWK thumbprint (SHA-256, base64url): stable for the key, so
    /// registering it again is a no-op.
    public var keyID: String { EventPublicKey.thumbprint(x: privateKey.publicKey.rawRepresentation.base64URLEncodedString()) }

    /// The public half as a JWK, for governance's event key set.
    public var publicKey: EventPublicKey {
        EventPublicKey(x: privateKey.publicKey.rawRepresentation.base64URLEncodedString(), kid: keyID, service: nil)
    }

    /// Reads the key from `file`, or creates the file (mode 0600) with a new key when it does
    /// not exist. An unreadable or malformed file is an error, never replaced.
    public static func load(file: String) throws(SigningKeyFileError) -> EventSigningKey {
        EventSigningKey(privateKey: try Ed25519SeedFile.load(file))
    }
}

/// An Ed25519 public key as a JWK (RFC 8037), with the service it speaks for.
public struct EventPublicKey: Codable, Sendable, Hashable {
    public var kty = "OKP"
    public var crv = "Ed25519"
    /// The raw public key, base64url.
    public var x: String
    public var kid: String
    public var alg = EventSignature.algorithm
    public var use = "sig"
    /// The Maestro service whose events this key signs (`maestro_service`); set by governance.
    public var service: String?

    public init(x: String, kid: String, service: String?) {
        self.x = x
        self.kid = kid
        self.service = service
    }

    enum CodingKeys: String, CodingKey {
        case kty, crv, x, kid, alg, use
        case service = "maestro_service"
    }

    /// The Ed25519 key, if `kty`, `crv` and `x` describe one.
    public var key: Curve25519.Signing.PublicKey? {
        guard kty == "OKP", crv == "Ed25519", let raw = Data(base64URL: x), raw.count == 32 else { return nil }
        return try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
    }

    /// RFC 7638 thumbprint of an Ed25519 JWK with this `x`.
    public static func thumbprint(x: String) -> String {
        Data(SHA256.hash(data: Data(#"{"crv":"Ed25519","kty":"OKP","x":"\#(x)"}"#.utf8))).base64URLEncodedString()
    }
}

/// An Ed25519 seed kept in a file, base64 (32 bytes).
public enum Ed25519SeedFile {
    /// Reads the key from `file`, or creates the file (mode 0600) with a new key.
    public static func load(_ file: String) throws(SigningKeyFileError) -> Curve25519.Signing.PrivateKey {
        let url = URL(fileURLWithPath: file)
        // Only a missing file gets a new key: an unreadable one must never be replaced, or the signer would change keys silently.
        if FileManager.default.fileExists(atPath: url.path) {
            guard let text = try? String(contentsOf: url, encoding: .utf8),
                  let seed = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)),
                  let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
                throw SigningKeyFileError(problem: "\(file) does not hold a base64 Ed25519 seed (32 bytes)")
            }
            return key
        }
        let key = Curve25519.Signing.PrivateKey()
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let text = Data((key.rawRepresentation.base64EncodedString() + "\n").utf8)
            guard FileManager.default.createFile(atPath: url.path, contents: text, attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteUnknown)
            }
        } catch {
            throw SigningKeyFileError(problem: "cannot create \(file): \(error)")
        }
        return key
    }
}

/// A signing key file cannot be read or created.
public struct SigningKeyFileError: Error, Sendable, CustomStringConvertible {
    public let problem: String
    public var description: String { problem }

    public init(problem: String) {
        self.problem = problem
    }
}

extension Data {
    /// Unpadded base64url (RFC 4648 §5).
    public func base64URLEncodedString() -> String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes unpadded base64url (RFC 4648 §5); nil for padded or plain base64.
    public init?(base64URL text: String) {
        guard !text.contains("="), !text.contains("+"), !text.contains("/") else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }
}

/// Signs a service's events as its outbox relay publishes them, once governance knows the key.
///
/// Until ``markRegistered()``, ``waitUntilRegistered(orStopped:)`` holds the relay: events
/// wait in the outbox rather than reach consumers that could not verify them yet.
public final class EventSigner: Sendable {
    public let key: EventSigningKey
    private let registered: Synchronization.Atomic<Bool>
    private let doorbell = Doorbell()

    public init(key: EventSigningKey, registered: Bool) {
        self.key = key
        self.registered = .init(registered)
    }

    public var isRegistered: Bool { registered.load(ordering: .acquiring) }

    /// Governance has the key: the relay may publish.
    public func markRegistered() {
        registered.store(true, ordering: .releasing)
        doorbell.ring()
    }

    /// Returns once the key is registered or `stopped()` is true.
    func waitUntilRegistered(orStopped stopped: () -> Bool) async {
        while !isRegistered && !stopped() {
            await doorbell.wait(timeout: .milliseconds(500))
        }
    }

    /// The event with its `signature`.
    public func sign(_ event: CloudEvent) -> CloudEvent {
        var signed = event
        signed.signature = EventSignature.sign(event, with: key)
        return signed
    }
}
