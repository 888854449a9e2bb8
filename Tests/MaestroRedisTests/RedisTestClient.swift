import Logging
import MaestroRedis
import MaestroTestSupport

/// Clients for the integration suites, always closed when the test body ends.
enum RedisTestClient {
    static let logger: Logger = {
        var logger = Logger(label: "maestro.redis.test")
        logger.logLevel = .critical
        return logger
    }()

    /// The server `make test` started, with a small pool and short timeouts so a fault
    /// shows up as a failure rather than a hang.
    static func configuration(poolSize: Int = 4, commandTimeout: Duration = .seconds(5)) throws -> RedisConfiguration {
        try RedisConfiguration(url: RedisTestSupport.configuredURL(), poolSize: poolSize,
                               connectTimeout: .seconds(2), commandTimeout: commandTimeout)
    }

    static func with<T>(_ configuration: RedisConfiguration, _ body: (RedisClient) async throws -> T) async throws -> T {
        let client = RedisClient(configuration: configuration, logger: logger)
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
}
