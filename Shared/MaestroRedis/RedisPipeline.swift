/// Commands encoded back to back in one buffer: every argument's bytes, where each
/// argument ends, and where each command ends.
///
/// One flat allocation instead of an array per argument keeps large pipelines cheap to
/// build and to hand to hiredis as argv.
struct RedisCommandBuffer: Sendable {
    private(set) var bytes: [UInt8] = []
    /// End offset in `bytes` of each argument.
    private(set) var argumentEnds: [Int] = []
    /// End index in `argumentEnds` of each command.
    private(set) var commandEnds: [Int] = []

    var commandCount: Int { commandEnds.count }

    /// The first command's name, upper-cased (`GET`), for spans.
    var firstCommandName: String? {
        argumentEnds.first.map { String(decoding: bytes[0..<$0], as: UTF8.self).uppercased() }
    }

    mutating func append(_ argument: String) {
        bytes.append(contentsOf: argument.utf8)
        argumentEnds.append(bytes.count)
    }

    mutating func append(_ argument: [UInt8]) {
        bytes.append(contentsOf: argument)
        argumentEnds.append(bytes.count)
    }

    mutating func append(_ argument: Int64) {
        append(String(argument))
    }

    /// Closes the command whose arguments were appended since the previous call.
    mutating func endCommand() {
        commandEnds.append(argumentEnds.count)
    }

    /// Appends every command of `other` after this buffer's.
    mutating func append(contentsOf other: RedisCommandBuffer) {
        let (byteOffset, argumentOffset) = (bytes.count, argumentEnds.count)
        bytes.append(contentsOf: other.bytes)
        argumentEnds.append(contentsOf: other.argumentEnds.map { $0 + byteOffset })
        commandEnds.append(contentsOf: other.commandEnds.map { $0 + argumentOffset })
    }
}

/// Commands sent together on one connection: all are written, then all replies are read,
/// so the batch costs one round trip.
///
/// The batch is not a transaction: other clients' commands may run between its commands.
/// A command that Redis rejects yields ``RedisValue/error(_:)`` at its position and the
/// others still run.
public struct RedisPipeline: Sendable {
    var buffer = RedisCommandBuffer()
    /// The commands queued by ``run(_:keys:arguments:)``, which ``RedisClient/execute(_:)``
    /// runs again from source if the server no longer has the script.
    var scriptCalls: [RedisScript.Call] = []

    public init() {}

    /// Queues every command of `other` after those queued so far; their replies follow in
    /// the same order.
    public mutating func append(contentsOf other: RedisPipeline) {
        let offset = count
        buffer.append(contentsOf: other.buffer)
        scriptCalls.append(contentsOf: other.scriptCalls.map { $0.shifted(by: offset) })
    }

    /// Commands queued so far; replies come back in this order.
    public var count: Int { buffer.commandCount }

    /// Queues any command, arguments sent as raw bytes.
    public mutating func send(_ arguments: [[UInt8]]) {
        for argument in arguments { buffer.append(argument) }
        buffer.endCommand()
    }

    /// Queues any command given as text arguments.
    public mutating func send(_ arguments: [String]) {
        for argument in arguments { buffer.append(argument) }
        buffer.endCommand()
    }

    public mutating func get(_ key: String) {
        command("GET", key)
    }

    /// `SET key value [PX ttl]`.
    public mutating func set(_ key: String, _ value: [UInt8], ttl: Duration? = nil) {
        buffer.append("SET")
        buffer.append(key)
        buffer.append(value)
        if let ttl {
            buffer.append("PX")
            buffer.append(milliseconds(ttl))
        }
        buffer.endCommand()
    }

    public mutating func set(_ key: String, _ value: String, ttl: Duration? = nil) {
        set(key, Array(value.utf8), ttl: ttl)
    }

    public mutating func del(_ keys: [String]) {
        command("DEL", keys)
    }

    public mutating func mget(_ keys: [String]) {
        command("MGET", keys)
    }

    public mutating func hset(_ key: String, fields: [String: [UInt8]]) {
        buffer.append("HSET")
        buffer.append(key)
        for (field, value) in fields {
            buffer.append(field)
            buffer.append(value)
        }
        buffer.endCommand()
    }

    public mutating func hset(_ key: String, fields: [String: String]) {
        hset(key, fields: fields.mapValues { Array($0.utf8) })
    }

    public mutating func hgetall(_ key: String) {
        command("HGETALL", key)
    }

    public mutating func hmget(_ key: String, fields: [String]) {
        buffer.append("HMGET")
        buffer.append(key)
        for field in fields { buffer.append(field) }
        buffer.endCommand()
    }

    public mutating func incrby(_ key: String, _ delta: Int64) {
        buffer.append("INCRBY")
        buffer.append(key)
        buffer.append(delta)
        buffer.endCommand()
    }

    /// `PEXPIRE key ttl`: millisecond precision.
    public mutating func expire(_ key: String, after ttl: Duration) {
        buffer.append("PEXPIRE")
        buffer.append(key)
        buffer.append(milliseconds(ttl))
        buffer.endCommand()
    }

    /// `EVALSHA sha numkeys keys… args…`; does not load the script if the server lacks it.
    public mutating func evalsha(_ sha: String, keys: [String] = [], arguments: [[UInt8]] = []) {
        script("EVALSHA", sha, keys: keys, arguments: arguments)
    }

    /// `EVAL`/`EVALSHA` share one shape: script, key count, keys, arguments.
    mutating func script(_ command: String, _ script: String, keys: [String], arguments: [[UInt8]]) {
        buffer.append(command)
        buffer.append(script)
        buffer.append(Int64(keys.count))
        for key in keys { buffer.append(key) }
        for argument in arguments { buffer.append(argument) }
        buffer.endCommand()
    }

    private mutating func command(_ name: String, _ key: String) {
        buffer.append(name)
        buffer.append(key)
        buffer.endCommand()
    }

    private mutating func command(_ name: String, _ keys: [String]) {
        buffer.append(name)
        for key in keys { buffer.append(key) }
        buffer.endCommand()
    }

    /// Rounded up to 1 ms, so a positive TTL never becomes 0 (which Redis rejects or treats as expired).
    private func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let millis = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return attoseconds % 1_000_000_000_000_000 > 0 ? millis + 1 : millis
    }
}
