import Foundation
import Hummingbird
import MaestroDomain

/// A strong entity tag, from a row's version number or a digest of its representation.
public struct ETag: Sendable, Hashable, CustomStringConvertible {
    /// The tag without quotes.
    public let opaque: String

    /// - Parameter opaque: a version string or a hex/base64url digest; no quotes or spaces.
    public init(opaque: String) {
        precondition(!opaque.isEmpty && opaque.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x22 },
                     "an entity tag is visible ASCII without quotes")
        self.opaque = opaque
    }

    public init(version: Int64) {
        self.init(opaque: "v\(version)")
    }

    /// The header form, e.g. `"v7"`.
    public var description: String { "\"\(opaque)\"" }
}

extension Request {
    /// Checks `If-Match` against the resource's current tag. A missing header passes
    /// (updates without a precondition are allowed); `*` passes; otherwise one listed
    /// tag must match by strong comparison, or the update is refused with 412.
    public func checkIfMatch(_ current: ETag) throws(HTTPProblem) {
        guard let header = headers[.ifMatch] else { return }
        let candidates = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if candidates.contains("*") || candidates.contains(current.description) { return }
        throw .preconditionFailed()
    }
}

extension Response {
    /// Sets the `ETag` header.
    public mutating func setETag(_ tag: ETag) {
        headers[.eTag] = tag.description
    }
}
