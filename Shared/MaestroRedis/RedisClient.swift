import Foundation
import Logging
import MaestroTracing
import Metrics
import ServiceLifecycle
import Tracing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pool of Redis connections, shared freely across tasks.
///
/// - Each connection is driven by its own OS thread, so blocking hiredis I/O never occupies
///   Swift's cooperative pool; callers just `await`.
/// - When every connection is busy, calls wait in one queue and are served in arrival order.
/// - A connection that fails (I/O error, closed by the server, timeout) is discarded and the
///   next call on its thread reconnects. While Redis is down, each call fails with a
///   retriable ``RedisError`` as soon as its connect is refused (at worst after the connect
///   timeout); once Redis is back, the same client works again.
/// - A call, once queued, runs until it completes or hits the command timeout; cancelling
///   the calling task does not interrupt it.
///
/// Each call is a client span named by its command (`GET`, or `PIPELINE` for a batch), and
/// counts in `maestro_redis_calls_in_flight` (queued or running) until its reply; the pool
/// holds `maestro_redis_pool_connections` connections.
///
/// As a `Service`, ``run()`` returns after graceful shutdown, once the pool is closed.
public final class RedisClient: Service, Sendable {
    public let configuration: RedisConfiguration
    private let queue: RedisJobQueue
    private let callsInFlight = Meter(label: "maestro_redis_calls_in_flight")
    private let spanAttributes: SpanAttributes

    public init(configuration: RedisConfiguration, logger: Logger) {
        let size = max(1, configuration.poolSize)
        let queue = RedisJobQueue(threads: size)
        for index in 0..<size {
            let thread = Thread {
                blockSIGPIPE()
                let slot = RedisConnectionSlot(configuration: configuration, logger: logger)
                while let job = queue.next() {
                    job.continuation.resume(returning: slot.execute(job.commands))
                }
                slot.close()
                queue.threadExited()
            }
            thread.name = "redis-\(index)"
            thread.start()
        }
        self.configuration = configuration
        self.queue = queue
        var attributes = SpanAttributes()
        attributes[SpanAttributeName.databaseSystem] = "redis"
        attributes[SpanAttributeName.serverAddress] = configuration.host
        attributes[SpanAttributeName.serverPort] = configuration.port
        self.spanAttributes = attributes
        Gauge(label: "maestro_redis_pool_connections").record(size)
    }

    deinit {
        queue.close()
    }

    /// Runs until graceful shutdown, then closes the pool.
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    /// Refuses new calls (they throw ``RedisError/Kind/closed``), lets queued ones finish,
    /// and returns once every connection is closed.
    public func close() async {
        await queue.closeAndWait()
    }

    /// Runs one command given as raw arguments, e.g. `[Array("PING".utf8)]`.
    /// An error reply throws ``RedisError/Kind/server``.
    public func send(_ arguments: [[UInt8]]) async throws(RedisError) -> RedisValue {
        var pipeline = RedisPipeline()
        pipeline.send(arguments)
        return try await single(pipeline)
    }

    /// Runs one command given as text arguments, e.g. `["CLIENT", "ID"]`.
    public func send(_ arguments: [String]) async throws(RedisError) -> RedisValue {
        var pipeline = RedisPipeline()
        pipeline.send(arguments)
        return try await single(pipeline)
    }

    /// Runs the commands as one pipelined batch on one connection; see ``RedisPipeline``.
    public func send(batch: [[[UInt8]]]) async throws(RedisError) -> [RedisValue] {
        var pipeline = RedisPipeline()
        for arguments in batch { pipeline.send(arguments) }
        return try await execute(pipeline)
    }

    /// Builds a batch and runs it on one connection in one round trip: one reply per
    /// command, in order, error replies as ``RedisValue/error(_:)``.
    ///
    /// `build` runs in the caller's isolation (e.g. on the main actor), so it may use the
    /// caller's state.
    public func pipeline(isolation: isolated (any Actor)? = #isolation,
                         _ build: (inout RedisPipeline) -> Void) async throws(RedisError) -> [RedisValue] {
        var pipeline = RedisPipeline()
        build(&pipeline)
        return try await execute(pipeline)
    }

    /// Runs a batch built beforehand; see ``pipeline(_:)``.
    public func execute(_ pipeline: RedisPipeline) async throws(RedisError) -> [RedisValue] {
        guard pipeline.count > 0 else { return [] }
        var replies = try await submit(pipeline)
        if !pipeline.scriptCalls.isEmpty { try await completeScripts(of: pipeline, replies: &replies) }
        return replies
    }

    /// One round trip for the batch, as one client span.
    private func submit(_ pipeline: RedisPipeline) async throws(RedisError) -> [RedisValue] {
        let result = await withSpanWhenRecording(pipeline.count == 1 ? pipeline.buffer.firstCommandName ?? "COMMAND" : "PIPELINE", ofKind: .client) { span in
            if let span {
                var attributes = spanAttributes
                attributes[SpanAttributeName.databaseOperation] = pipeline.buffer.firstCommandName
                if pipeline.count > 1 { attributes[SpanAttributeName.databaseBatchSize] = pipeline.count }
                span.attributes.merge(attributes)
            }
            callsInFlight.increment()
            defer { callsInFlight.decrement() }
            let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<[RedisValue], RedisError>, Never>) in
                if !queue.submit(RedisJobQueue.Job(commands: pipeline.buffer, continuation: continuation)) {
                    continuation.resume(returning: .failure(.closed()))
                }
            }
            if case .failure(let error) = result { span?.recordError(error) }
            return result
        }
        return try result.get()
    }

    /// Runs a one-command pipeline; an error reply throws.
    func single(_ pipeline: RedisPipeline) async throws(RedisError) -> RedisValue {
        try await execute(pipeline)[0].throwingServerError()
    }
}

/// hiredis writes with `write(2)`, which raises SIGPIPE when the server has already closed
/// the connection, and SIGPIPE's default action ends the process. Blocked on the pool
/// threads, the signal stays pending there and the write fails with EPIPE instead, which
/// becomes a retriable ``RedisError``.
private func blockSIGPIPE() {
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGPIPE)
    pthread_sigmask(SIG_BLOCK, &signals, nil)
}
