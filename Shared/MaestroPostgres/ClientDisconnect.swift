import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// Stops a request's database work when its client has gone.
///
/// The HTTP layer binds ``clientGone`` (the client stopping to send, or hanging up) for the
/// request's work. A transaction started while it is bound knows its backend's process id, and
/// if the client goes before the transaction ends, asks PostgreSQL to cancel the backend's
/// running statement (`pg_cancel_backend`, from another pooled connection). The statement fails
/// with `query_canceled`, the transaction rolls back, and the request ends, instead of a query
/// running on for minutes for nobody. A client that stays until the answer changes nothing.
///
/// The cancel is sent only while the transaction runs; one that reaches PostgreSQL just as the
/// transaction ends could cancel the next statement on that connection, so that statement's
/// request would get 503. The window is the cancel's round trip, after a client hung up.
public enum ClientDisconnect {
    @TaskLocal public static var clientGone: EventLoopFuture<Void>?

    /// When a client is bound: the transaction's backend (asked once per connection), watched
    /// until ``Watch/finish()``.
    static func watch(_ connection: PostgresConnection, client: PostgresClient, logger: Logger) async throws -> Watch? {
        guard let gone = clientGone else { return nil }
        guard let backend = try await backendPID(of: connection, logger: logger) else { return nil }
        let watched = Watch()
        gone.whenComplete { _ in
            guard watched.cancel() else { return }
            logger.info("client disconnected; cancelling its statement", metadata: ["backend_pid": "\(backend)"])
            Task {
                do {
                    try await client.query("SELECT pg_cancel_backend(\(backend))", logger: logger)
                } catch {
                    logger.warning("cannot cancel the statement of a client that left", metadata: ["error": "\(String(reflecting: error))"])
                }
            }
        }
        return watched
    }

    /// Backend process ids by connection id. A pooled connection keeps its backend for life,
    /// so each is asked once, not on every transaction; ids are never reused, and the map is
    /// cleared when it outgrows any pool.
    private static let backends = Mutex<[PostgresConnection.ID: Int32]>([:])

    private static func backendPID(of connection: PostgresConnection, logger: Logger) async throws -> Int32? {
        if let known = backends.withLock({ $0[connection.id] }) { return known }
        var backend: Int32?
        for try await pid in try await connection.query("SELECT pg_backend_pid()", logger: logger).decode(Int32.self) { backend = pid }
        if let backend {
            backends.withLock { map in
                if map.count >= 4096 { map.removeAll(keepingCapacity: true) }
                map[connection.id] = backend
            }
        }
        return backend
    }

    final class Watch: Sendable {
        private let running = Mutex(true)

        /// Whether the transaction still runs; from now on it counts as cancelled.
        func cancel() -> Bool {
            running.withLock { running in
                defer { running = false }
                return running
            }
        }

        func finish() {
            running.withLock { $0 = false }
        }
    }
}
