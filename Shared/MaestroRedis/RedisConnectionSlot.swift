import Logging

/// The connection of one pool thread: opened on first use, replaced after it breaks.
///
/// Confined to its thread, like the connection it holds.
final class RedisConnectionSlot {
    private let configuration: RedisConfiguration
    private let logger: Logger
    private var connection: RedisConnection?

    init(configuration: RedisConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs a batch on this thread's connection, connecting first if there is none.
    ///
    /// A connection that fails is dropped at once, so the next batch starts from a fresh
    /// connect: while Redis is down each batch fails as fast as the connect is refused, and
    /// once Redis is back the next batch simply succeeds.
    func execute(_ commands: RedisCommandBuffer) -> Result<[RedisValue], RedisError> {
        do throws(RedisError) {
            let connection = try current()
            do throws(RedisError) {
                return .success(try connection.execute(commands))
            } catch {
                if connection.isBroken {
                    self.connection = nil
                    logger.warning("Redis connection dropped", metadata: ["redis": "\(configuration)", "error": "\(error)"])
                }
                throw error
            }
        } catch {
            return .failure(error)
        }
    }

    func close() {
        connection = nil
    }

    private func current() throws(RedisError) -> RedisConnection {
        if let connection {
            // Catches the common case of a restarted server before a command is lost to it.
            guard connection.isClosedByPeer else { return connection }
            logger.info("Redis closed an idle connection; reconnecting", metadata: ["redis": "\(configuration)"])
            self.connection = nil
        }
        let fresh = try RedisConnection(configuration: configuration)
        connection = fresh
        return fresh
    }
}
