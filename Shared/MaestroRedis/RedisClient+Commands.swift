/// Typed forms of the commands Maestro uses. Each is one round trip; an error reply throws
/// ``RedisError/Kind/server`` with Redis's message, and a reply of the wrong shape throws
/// ``RedisError/Kind/protocolError``.
extension RedisClient {
    /// Checks that the server answers; for readiness probes.
    public func ping() async throws(RedisError) {
        let reply = try await send(["PING"])
        guard reply == .status("PONG") else { throw reply.unexpected("PING") }
    }

    /// The value at `key`, or `nil` if there is none.
    public func get(_ key: String) async throws(RedisError) -> [UInt8]? {
        try await command("GET") { $0.get(key) }.optionalBytes("GET")
    }

    /// The value at `key` as UTF-8 text, or `nil` if there is none.
    public func getString(_ key: String) async throws(RedisError) -> String? {
        try await get(key).map { String(decoding: $0, as: UTF8.self) }
    }

    /// `SET key value [PX ttl]`: the key expires after `ttl` (millisecond precision) if given.
    public func set(_ key: String, _ value: [UInt8], ttl: Duration? = nil) async throws(RedisError) {
        let reply = try await command("SET") { $0.set(key, value, ttl: ttl) }
        guard reply == .status("OK") else { throw reply.unexpected("SET") }
    }

    public func set(_ key: String, _ value: String, ttl: Duration? = nil) async throws(RedisError) {
        try await set(key, Array(value.utf8), ttl: ttl)
    }

    /// Deletes keys; returns how many existed.
    @discardableResult
    public func del(_ keys: [String]) async throws(RedisError) -> Int {
        guard !keys.isEmpty else { return 0 }
        return try await command("DEL") { $0.del(keys) }.int("DEL")
    }

    @discardableResult
    public func del(_ key: String) async throws(RedisError) -> Int {
        try await del([key])
    }

    /// The values at `keys`, in order; `nil` where a key is missing.
    public func mget(_ keys: [String]) async throws(RedisError) -> [[UInt8]?] {
        guard !keys.isEmpty else { return [] }
        return try await command("MGET") { $0.mget(keys) }.optionalBytesArray("MGET", count: keys.count)
    }

    /// Sets hash fields; returns how many fields were new.
    @discardableResult
    public func hset(_ key: String, fields: [String: [UInt8]]) async throws(RedisError) -> Int {
        guard !fields.isEmpty else { return 0 }
        return try await command("HSET") { $0.hset(key, fields: fields) }.int("HSET")
    }

    @discardableResult
    public func hset(_ key: String, fields: [String: String]) async throws(RedisError) -> Int {
        try await hset(key, fields: fields.mapValues { Array($0.utf8) })
    }

    /// Every field of the hash (field names as UTF-8 text); empty if the key does not exist.
    public func hgetall(_ key: String) async throws(RedisError) -> [String: [UInt8]] {
        let reply = try await command("HGETALL") { $0.hgetall(key) }
        guard let items = reply.array, items.count % 2 == 0 else { throw reply.unexpected("HGETALL") }
        var fields: [String: [UInt8]] = [:]
        fields.reserveCapacity(items.count / 2)
        for index in stride(from: 0, to: items.count, by: 2) {
            guard let name = items[index].string, let value = items[index + 1].bytes else { throw reply.unexpected("HGETALL") }
            fields[name] = value
        }
        return fields
    }

    /// The values of `fields`, in order; `nil` where a field (or the whole hash) is missing.
    public func hmget(_ key: String, fields: [String]) async throws(RedisError) -> [[UInt8]?] {
        guard !fields.isEmpty else { return [] }
        return try await command("HMGET") { $0.hmget(key, fields: fields) }.optionalBytesArray("HMGET", count: fields.count)
    }

    /// Adds `delta` atomically (a missing key counts as 0); returns the new value.
    @discardableResult
    public func incrby(_ key: String, _ delta: Int64) async throws(RedisError) -> Int64 {
        let reply = try await command("INCRBY") { $0.incrby(key, delta) }
        guard case .integer(let value) = reply else { throw reply.unexpected("INCRBY") }
        return value
    }

    /// Sets a TTL in milliseconds (`PEXPIRE`); `false` if the key does not exist.
    @discardableResult
    public func expire(_ key: String, after ttl: Duration) async throws(RedisError) -> Bool {
        try await command("PEXPIRE") { $0.expire(key, after: ttl) }.int("PEXPIRE") == 1
    }

    private func command(_ name: String, _ build: (inout RedisPipeline) -> Void) async throws(RedisError) -> RedisValue {
        var pipeline = RedisPipeline()
        build(&pipeline)
        return try await single(pipeline)
    }
}

extension RedisValue {
    func optionalBytes(_ command: String) throws(RedisError) -> [UInt8]? {
        switch self {
        case .bulk(let bytes): return bytes
        case .null: return nil
        default: throw unexpected(command)
        }
    }

    func optionalBytesArray(_ command: String, count: Int) throws(RedisError) -> [[UInt8]?] {
        guard case .array(let items) = self, items.count == count else { throw unexpected(command) }
        var values: [[UInt8]?] = []
        values.reserveCapacity(count)
        for item in items { values.append(try item.optionalBytes(command)) }
        return values
    }

    func int(_ command: String) throws(RedisError) -> Int {
        guard case .integer(let value) = self else { throw unexpected(command) }
        return Int(value)
    }
}
