import Foundation
import Logging
import MaestroDomain
import MaestroRedis

/// Resolved aliases in Redis: one hash per model (`registry:aliases:<tenant>:<model>`, field =
/// alias, value = the resolved version's JSON response).
///
/// Correctness does not depend on the cache: a write clears the model's hash after it commits,
/// and every registry event of the model clears it again when it is consumed (covering a read
/// that cached an old answer between the commit and the clear), and entries expire anyway.
/// A Redis failure is logged and the answer comes from PostgreSQL.
struct AliasCache: Sendable {
    static let ttl: Duration = .seconds(300)

    let redis: RedisClient
    let logger: Logger

    init(redis: RedisClient, logger: Logger) {
        self.redis = redis
        self.logger = logger
    }

    static func key(tenant: String, model: String) -> String {
        "registry:aliases:\(tenant.utf8.count):\(tenant):\(model)"
    }

    func get(tenant: String, model: String, alias: String) async -> [UInt8]? {
        do {
            return try await redis.hmget(Self.key(tenant: tenant, model: model), fields: [alias]).first ?? nil
        } catch {
            logger.warning("alias cache read failed", metadata: ["error": "\(error)"])
            return nil
        }
    }

    func put(tenant: String, model: String, alias: String, body: [UInt8]) async {
        let key = Self.key(tenant: tenant, model: model)
        do {
            _ = try await redis.hset(key, fields: [alias: body])
            _ = try await redis.expire(key, after: Self.ttl)
        } catch {
            logger.warning("alias cache write failed", metadata: ["error": "\(error)"])
        }
    }

    func invalidate(tenant: String, model: String) async {
        do {
            _ = try await redis.del(Self.key(tenant: tenant, model: model))
        } catch {
            logger.warning("alias cache invalidation failed", metadata: ["error": "\(error)"])
        }
    }
}
