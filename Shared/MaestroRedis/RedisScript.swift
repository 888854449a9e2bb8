import Synchronization

/// A Lua script run by its SHA1 (`EVALSHA`), so its source crosses the network once per
/// process rather than with every call.
///
/// The first call sends the source (`EVAL`), then learns the SHA with `SCRIPT LOAD`. If the
/// server has since lost its script cache (restart, failover, `SCRIPT FLUSH`), the call falls
/// back to `EVAL` with the source, which runs it and caches it again; callers never see
/// `NOSCRIPT`. A script can share a pipeline with other commands
/// (``RedisPipeline/run(_:keys:arguments:)``), so a check and a read cost one round trip.
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

    /// One queued run of a script, at `index` in its pipeline.
    struct Call: Sendable {
        let index: Int
        let script: RedisScript
        let keys: [String]
        let arguments: [[UInt8]]

        func shifted(by offset: Int) -> Call {
            Call(index: index + offset, script: script, keys: keys, arguments: arguments)
        }
    }
}

extension RedisPipeline {
    /// `EVAL source numkeys keys… args…`.
    public mutating func eval(_ source: String, keys: [String] = [], arguments: [[UInt8]] = []) {
        script("EVAL", source, keys: keys, arguments: arguments)
    }

    /// Queues a run of `script`: by SHA once it is known, else by source. Its reply is the
    /// script's, or ``RedisValue/error(_:)`` if the script fails.
    public mutating func run(_ script: RedisScript, keys: [String] = [], arguments: [[UInt8]] = []) {
        scriptCalls.append(RedisScript.Call(index: count, script: script, keys: keys, arguments: arguments))
        if let sha = script.loadedSHA {
            evalsha(sha, keys: keys, arguments: arguments)
        } else {
            eval(script.source, keys: keys, arguments: arguments)
        }
    }

    public mutating func run(_ script: RedisScript, keys: [String] = [], arguments: [String]) {
        run(script, keys: keys, arguments: arguments.map { Array($0.utf8) })
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

    /// Runs `script` (see ``RedisScript``). A script that fails throws ``RedisError/Kind/script``.
    public func evalsha(_ script: RedisScript, keys: [String] = [], arguments: [[UInt8]] = []) async throws(RedisError) -> RedisValue {
        var pipeline = RedisPipeline()
        pipeline.run(script, keys: keys, arguments: arguments)
        return try await scriptReply(execute(pipeline)[0])
    }

    public func evalsha(_ script: RedisScript, keys: [String] = [], arguments: [String]) async throws(RedisError) -> RedisValue {
        try await evalsha(script, keys: keys, arguments: arguments.map { Array($0.utf8) })
    }

    /// Completes the script runs of a batch: a script the server lost (`NOSCRIPT`) runs again
    /// from source, and a script first sent by source gets its SHA for the next calls.
    func completeScripts(of pipeline: RedisPipeline, replies: inout [RedisValue]) async throws(RedisError) {
        for call in pipeline.scriptCalls {
            if case .error(let message) = replies[call.index], message.hasPrefix("NOSCRIPT") {
                var retry = RedisPipeline()
                retry.eval(call.script.source, keys: call.keys, arguments: call.arguments)
                replies[call.index] = try await execute(retry)[0]
            }
            // The script has run: failing to learn its SHA only means sending the source again.
            if call.script.loadedSHA == nil, let sha = try? await scriptLoad(call.script.source) {
                call.script.loadedSHA = sha
            }
        }
    }

    func scriptReply(_ reply: RedisValue) throws(RedisError) -> RedisValue {
        guard case .error(let message) = reply else { return reply }
        throw message.hasPrefix("NOSCRIPT") ? .server(message) : .script(message)
    }
}
