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

    /// The read of one resolved alias, to run in one round trip with the request's other
    /// Redis work; ``answer(from:)`` reads its reply.
    func lookup(tenant: String, model: String, alias: String) -> RedisPipeline {
        var read = RedisPipeline()
        read.hmget(Self.key(tenant: tenant, model: model), fields: [alias])
        return read
    }

    /// The cached answer in the reply of ``lookup(tenant:model:alias:)``; `nil` on a miss or
    /// when Redis failed (`replies` is `nil`).
    func answer(from replies: [RedisValue]?) -> [UInt8]? {
        guard let reply = replies?.first else { return nil }
        guard case .array(let fields) = reply, let field = fields.first else {
            logger.warning("alias cache read failed", metadata: ["reply": "\(reply)"])
            return nil
        }
        return field.bytes
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
