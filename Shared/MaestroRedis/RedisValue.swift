import CHiredis

/// One reply from Redis (RESP2).
public enum RedisValue: Sendable, Hashable {
    /// A simple string such as `OK` or `PONG`.
    case status(String)
    /// An error reply, e.g. `WRONGTYPE Operation against a key holding the wrong kind of value`.
    /// Single commands throw it as ``RedisError/Kind/server``; it appears as a value only inside
    /// batches and arrays, so one failing command does not hide the others' results.
    case error(String)
    case integer(Int64)
    /// A bulk string: arbitrary bytes.
    case bulk([UInt8])
    case array([RedisValue])
    /// A nil bulk string or nil array (missing key, missing field).
    case null

    /// The bytes of a bulk string or status; `nil` for anything else.
    public var bytes: [UInt8]? {
        switch self {
        case .bulk(let bytes): bytes
        case .status(let text): Array(text.utf8)
        default: nil
        }
    }

    /// A bulk string or status as UTF-8 text (invalid sequences repaired); `nil` for anything else.
    public var string: String? {
        switch self {
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let text): text
        default: nil
        }
    }

    /// An integer reply, or a bulk string holding a decimal integer.
    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .bulk(let bytes): Int64(String(decoding: bytes, as: UTF8.self))
        default: nil
        }
    }

    public var array: [RedisValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    public var isNull: Bool { self == .null }
}

extension RedisValue {
    /// Copies a hiredis reply tree; the caller still frees `reply` with `freeReplyObject`.
    init(reply: UnsafePointer<redisReply>) {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING:
            self = .bulk(r.len == 0 ? [] : Array(UnsafeRawBufferPointer(start: r.str, count: r.len)))
        case REDIS_REPLY_STATUS:
            self = .status(Self.text(r))
        case REDIS_REPLY_ERROR:
            self = .error(Self.text(r))
        case REDIS_REPLY_INTEGER:
            self = .integer(Int64(r.integer))
        case REDIS_REPLY_ARRAY:
            var values: [RedisValue] = []
            values.reserveCapacity(r.elements)
            for index in 0..<r.elements {
                values.append(r.element[index].map { RedisValue(reply: $0) } ?? .null)
            }
            self = .array(values)
        default:
            self = .null
        }
    }

    private static func text(_ reply: redisReply) -> String {
        guard reply.len > 0, let str = reply.str else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: str, count: reply.len), as: UTF8.self)
    }

    /// Throws an error reply as ``RedisError/Kind/server``; returns any other value.
    func throwingServerError() throws(RedisError) -> RedisValue {
        if case .error(let message) = self { throw .server(message) }
        return self
    }

    /// For replies whose shape a command guarantees: anything else is a protocol error naming the command.
    func unexpected(_ command: String) -> RedisError {
        if case .error(let message) = self { return .server(message) }
        return .protocolError("unexpected reply to \(command): \(kindName)")
    }

    private var kindName: String {
        switch self {
        case .status: "status"
        case .error: "error"
        case .integer: "integer"
        case .bulk: "bulk string"
        case .array: "array"
        case .null: "null"
        }
    }
}
