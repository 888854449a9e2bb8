import Synchronization

/// A Lua script run by its SHA1 (`EVALSHA`), so its source crosses the network once per
/// process rather than with every call.
///
/// The SHA comes from `SCRIPT LOAD` on first use. If the server has since lost its script
/// cache (restart, failover, `SCRIPT FLUSH`), the call falls back to `EVAL` with the source,
/// which runs it and caches it again; callers never see `NOSCRIPT`.
public final class RedisScript: Sendable {
    public let source: String
    private let sha = Mutex<String?>(nil)

    public init(_ source: String) {
        self.source = source
    }

    var loadedSHA: String? {
        get { sha.withLock { $0 } }
        set { sha.withLock { $0 = newValue } }
    }
}

extension RedisPipeline {
    /// `EVAL source numkeys keys… args…`.
    public mutating func eval(_ source: String, keys: [String] = [], arguments: [[UInt8]] = []) {
        script("EVAL", source, keys: keys, arguments: arguments)
    }
}

extension RedisClient {
    /// `SCRIPT LOAD`: caches the script on the server and returns its SHA1.
    public func scriptLoad(_ source: String) async throws(RedisError) -> String {
        let reply = try await send(["SCRIPT", "LOAD", source])
        guard case .bulk = reply, let sha = reply.string else { throw reply.unexpected("SCRIPT LOAD") }
        return sha
    }

    /// `EVALSHA` of a script already loaded. A script that fails throws
    /// ``RedisError/Kind/script``; an unknown SHA throws ``RedisError/Kind/server`` (`NOSCRIPT …`).
    public func evalsha(_ sha: String, keys: [String] = [], arguments: [[UInt8]] = []) async throws(RedisError) -> RedisValue {
        var pipeline = RedisPipeline()
        pipeline.evalsha(sha, keys: keys, arguments: arguments)
        return try await scriptReply(execute(pipeline)[0])
    }

    /// Runs `script` by SHA, loading it first if needed and falling back to `EVAL` on
    /// `NOSCRIPT`. A script that fails throws ``RedisError/Kind/script``.
    public func evalsha(_ script: RedisScript, keys: [String] = [], arguments: [[UInt8]] = []) async throws(RedisError) -> RedisValue {
        let sha: String
        if let loaded = script.loadedSHA {
            sha = loaded
        } else {
            sha = try await scriptLoad(script.source)
            script.loadedSHA = sha
        }
        do {
            return try await evalsha(sha, keys: keys, arguments: arguments)
        } catch where error.isNoScript {
            var pipeline = RedisPipeline()
            pipeline.eval(script.source, keys: keys, arguments: arguments)
            return try await scriptReply(execute(pipeline)[0])
        }
    }

    public func evalsha(_ script: RedisScript, keys: [String] = [], arguments: [String]) async throws(RedisError) -> RedisValue {
        try await evalsha(script, keys: keys, arguments: arguments.map { Array($0.utf8) })
    }

    private func scriptReply(_ reply: RedisValue) throws(RedisError) -> RedisValue {
        guard case .error(let message) = reply else { return reply }
        throw message.hasPrefix("NOSCRIPT") ? .server(message) : .script(message)
    }
}
