/// An error from the Redis layer: what kind of failure it was, a message, and whether
/// retrying the same call can help.
///
/// Compare ``kind`` to tell failures apart (`error.kind == .timeout`). Messages never contain
/// the password or command arguments; a server error carries Redis's own message
/// (`WRONGTYPE Operation against a key …`).
public struct RedisError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of failure. A struct rather than an enum so new kinds are not source-breaking.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Code: String, Sendable {
            case connection, timeout, server, script, protocolError, closed, invalidURL
        }

        private let code: Code
        private init(_ code: Code) { self.code = code }

        /// Connecting failed, or an established connection broke (I/O error, server closed it).
        public static let connection = Kind(.connection)
        /// No reply within the command timeout; the connection was discarded.
        public static let timeout = Kind(.timeout)
        /// Redis answered with an error reply.
        public static let server = Kind(.server)
        /// A Lua script failed while running (error raised by the script or a command it called).
        public static let script = Kind(.script)
        /// The reply could not be parsed, or had a shape the command does not produce.
        public static let protocolError = Kind(.protocolError)
        /// The client was closed.
        public static let closed = Kind(.closed)
        /// The configuration URL is malformed.
        public static let invalidURL = Kind(.invalidURL)

        public var description: String { code.rawValue }
    }

    public let kind: Kind
    public let message: String
    public let file: String
    public let line: UInt

    private init(_ kind: Kind, _ message: String, file: String, line: UInt) {
        self.kind = kind
        self.message = message
        self.file = file
        self.line = line
    }

    /// The same call may succeed later without any change on the caller's side: the server
    /// was unreachable, the connection broke or timed out, or Redis reported a transient
    /// condition (loading its dataset, busy running a script, failing over).
    public var isRetriable: Bool {
        switch kind {
        case .connection, .timeout:
            return true
        case .server:
            return Self.transientServerPrefixes.contains { message.hasPrefix($0) }
        default:
            return false
        }
    }

    private static let transientServerPrefixes = ["LOADING", "BUSY ", "TRYAGAIN", "MASTERDOWN", "CLUSTERDOWN"]

    public var description: String { "Redis \(kind) error: \(message)" }

    /// Errors are equal when kind and message match; where they were raised does not matter.
    public static func == (lhs: RedisError, rhs: RedisError) -> Bool {
        lhs.kind == rhs.kind && lhs.message == rhs.message
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        hasher.combine(message)
    }

    /// Redis answered `-NOSCRIPT`: the server's script cache lacks the SHA (flushed or restarted).
    var isNoScript: Bool { kind == .server && message.hasPrefix("NOSCRIPT") }
}

extension RedisError {
    public static func connection(_ message: String, file: String = #fileID, line: UInt = #line) -> RedisError {
        RedisError(.connection, message, file: file, line: line)
    }

    public static func timeout(_ message: String, file: String = #fileID, line: UInt = #line) -> RedisError {
        RedisError(.timeout, message, file: file, line: line)
    }

    /// An error reply from Redis; `message` is Redis's text, e.g. `WRONGTYPE Operation against a key …`.
    public static func server(_ message: String, file: String = #fileID, line: UInt = #line) -> RedisError {
        RedisError(.server, message, file: file, line: line)
    }

    public static func script(_ message: String, file: String = #fileID, line: UInt = #line) -> RedisError {
        RedisError(.script, message, file: file, line: line)
    }

    public static func protocolError(_ message: String, file: String = #fileID, line: UInt = #line) -> RedisError {
        RedisError(.protocolError, message, file: file, line: line)
    }

    public static func closed(file: String = #fileID, line: UInt = #line) -> RedisError {
        RedisError(.closed, "the client has been closed", file: file, line: line)
    }

    /// `reason` must not quote the URL: it may contain a password.
    public static func invalidURL(_ reason: String, file: String = #fileID, line: UInt = #line) -> RedisError {
        RedisError(.invalidURL, "invalid Redis URL: \(reason)", file: file, line: line)
    }
}
