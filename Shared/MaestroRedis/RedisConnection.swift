import CHiredis
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Owns one blocking `redisContext` and frees it on deinit.
///
/// Confined to the pool thread that created it, so it is deliberately not `Sendable`.
/// Once any I/O fails or times out it is ``isBroken`` for good: the reply stream may be out
/// of step with the commands sent, so the pool replaces it instead of reusing it.
final class RedisConnection {
    private let context: UnsafeMutablePointer<redisContext>
    /// The socket timeout in force: the connect timeout during AUTH/SELECT, then the command timeout.
    private var socketTimeout: Duration
    private(set) var isBroken = false

    /// Connects, sets socket timeouts and keep-alive, then authenticates and selects the database.
    init(configuration: RedisConfiguration) throws(RedisError) {
        let target = "\(configuration.host):\(configuration.port)"
        guard let context = redisConnectWithTimeout(configuration.host, Int32(configuration.port),
                                                    makeTimeval(configuration.connectTimeout)) else {
            throw .connection("cannot allocate a connection to \(target)")
        }
        if context.pointee.err != 0 {
            let reason = Self.errorText(context)
            redisFree(context)
            throw .connection("cannot connect to \(target): \(reason)")
        }
        self.context = context
        self.socketTimeout = configuration.connectTimeout
        // The connect timeout also bounds the AUTH and SELECT round trips below.
        redisSetTimeout(context, makeTimeval(configuration.connectTimeout))
        redisEnableKeepAlive(context)

        if let password = configuration.password {
            try setUp(configuration.username.map { ["AUTH", $0, password] } ?? ["AUTH", password], target: target)
        }
        if configuration.database != 0 {
            try setUp(["SELECT", String(configuration.database)], target: target)
        }
        redisSetTimeout(context, makeTimeval(configuration.commandTimeout))
        socketTimeout = configuration.commandTimeout
    }

    /// Runs AUTH or SELECT; an error reply names the command but never its arguments.
    private func setUp(_ arguments: [String], target: String) throws(RedisError) {
        var command = RedisPipeline()
        command.send(arguments)
        if case .error(let message) = try execute(command.buffer)[0] {
            throw .server("\(arguments[0]) failed on \(target): \(message)")
        }
    }

    deinit {
        redisFree(context)
    }

    /// Whether the server closed or reset this idle connection (e.g. Redis restarted), found
    /// without a round trip: an idle connection has nothing to read unless it is at EOF or
    /// the server sent an error before closing it.
    var isClosedByPeer: Bool {
        var descriptor = pollfd(fd: context.pointee.fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) != 0
    }

    /// Writes every command, then reads one reply per command: one round trip for the batch.
    ///
    /// Error replies are returned as ``RedisValue/error(_:)``; a failed read or write throws
    /// and leaves the connection broken.
    func execute(_ commands: RedisCommandBuffer) throws(RedisError) -> [RedisValue] {
        guard !isBroken else { throw .connection("connection is broken") }
        // argv scratch space shared by every command of the batch.
        var argv: [UnsafePointer<CChar>?] = []
        var argvLengths: [Int] = []
        let appended = commands.bytes.withUnsafeBufferPointer { bytes in
            let base = UnsafeRawPointer(bytes.baseAddress)
            var argumentStart = 0
            var argumentIndex = 0
            for commandEnd in commands.commandEnds {
                argv.removeAll(keepingCapacity: true)
                argvLengths.removeAll(keepingCapacity: true)
                while argumentIndex < commandEnd {
                    let end = commands.argumentEnds[argumentIndex]
                    argv.append(base.map { ($0 + argumentStart).assumingMemoryBound(to: CChar.self) })
                    argvLengths.append(end - argumentStart)
                    argumentStart = end
                    argumentIndex += 1
                }
                if redisAppendCommandArgv(context, Int32(argv.count), &argv, argvLengths) != REDIS_OK {
                    return false
                }
            }
            return true
        }
        guard appended else { throw failure() }

        var replies: [RedisValue] = []
        replies.reserveCapacity(commands.commandCount)
        for _ in 0..<commands.commandCount {
            var reply: UnsafeMutableRawPointer?
            guard redisGetReply(context, &reply) == REDIS_OK, let reply else { throw failure() }
            replies.append(RedisValue(reply: reply.assumingMemoryBound(to: redisReply.self)))
            freeReplyObject(reply)
        }
        return replies
    }

    /// Marks the connection broken and describes why the last hiredis call failed. Reads
    /// `errno` first, before anything else can overwrite it: EAGAIN from a blocking socket
    /// means the socket timeout expired.
    private func failure() -> RedisError {
        let code = errno
        isBroken = true
        let reason = Self.errorText(context)
        switch context.pointee.err {
        case REDIS_ERR_IO where code == EAGAIN || code == EWOULDBLOCK:
            return .timeout("no reply within \(socketTimeout)")
        case REDIS_ERR_PROTOCOL:
            return .protocolError(reason)
        default:
            return .connection(reason)
        }
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}

private func makeTimeval(_ duration: Duration) -> timeval {
    let (seconds, attoseconds) = duration.components
    return timeval(tv_sec: .init(seconds), tv_usec: .init(attoseconds / 1_000_000_000_000))
}
