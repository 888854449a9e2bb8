import Foundation
import Hummingbird
import MaestroDomain
import MaestroEvents
import MaestroService

/// The native API under `/v1` (Services/registry/openapi.yaml).
struct NativeAPI: Sendable {
    let store: RegistryStore
    let cache: AliasCache?
    static let defaultPageSize = 50
    static let maxPageSize = 500

    /// Reads (GET) need `viewer`, changes `editor`; a protected alias needs `admin` (checked
    /// where the alias is known). The alias resolve is a cached read (``ServiceRoutes/cachedReads``).
    func register(on routes: ServiceRoutes) {
        let v1 = routes.readsAndWrites.group("v1")
        v1.post("models", use: createModel)
        v1.get("models", use: listModels)
        v1.get("models/:name", use: getModel)
        v1.patch("models/:name", use: updateModel)
        v1.delete("models/:name", use: deleteModel)
        v1.post("models/:name/rename", use: renameModel)
        v1.put("models/:name/tags/:key", use: setModelTag)
        v1.delete("models/:name/tags/:key", use: deleteModelTag)
        v1.post("models/:name/versions", use: createVersion)
        v1.get("models/:name/versions", use: listModelVersions)
        v1.get("models/:name/versions/:version", use: getVersion)
        v1.patch("models/:name/versions/:version", use: updateVersion)
        v1.delete("models/:name/versions/:version", use: deleteVersion)
        v1.put("models/:name/versions/:version/tags/:key", use: setVersionTag)
        v1.delete("models/:name/versions/:version/tags/:key", use: deleteVersionTag)
        v1.get("models/:name/versions/:version/card", use: getCard)
        v1.put("models/:name/versions/:version/card", use: putCard)
        v1.get("models/:name/versions/:version/card.md", use: getCardMarkdown)
        v1.put("models/:name/aliases/:alias", use: setAlias)
        v1.delete("models/:name/aliases/:alias", use: deleteAlias)
        v1.get("models/:name/aliases/:alias/history", use: aliasHistory)
        v1.get("models/:name/alias-history", use: aliasHistory)
        v1.get("models/:name/promotions", use: promotions)
        v1.get("models/:name/promotions/:id", use: promotion)
        v1.get("versions", use: searchVersions)
        routes.cachedReads.group("v1").get("models/:name/aliases/:alias", use: resolveAlias)
    }

    static func escape(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? segment
    }

    /// `tag=key:value` query parameters (split at the first `:`) as equality filters.
    static func tagFilters(_ query: FormQuery) throws(HTTPProblem) -> [(key: String, match: ModelFilter.Match)] {
        try query.all("tag").map { tag throws(HTTPProblem) in
            guard let colon = tag.firstIndex(of: ":") else {
                throw HTTPProblem.badRequest("tag filters are key:value.", errors: [.init(field: "tag", message: "must be key:value")])
            }
            return (String(tag[..<colon]), .equals(String(tag[tag.index(after: colon)...])))
        }
    }

    /// A LIKE pattern matching names that start with `prefix` literally.
    static func likePrefix(_ prefix: String) -> String {
        prefix.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
    }
}

/// An alias move or history entry; a deletion has a null `version`.
struct AliasMoveHistoryBody: Encodable {
    let move: AliasMove

    enum CodingKeys: String, CodingKey {
        case alias, previousVersion = "previous_version", version, reason, promotionID = "promotion_id", movedBy = "moved_by"
        case approvedBy = "approved_by", movedAt = "moved_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(move.alias, forKey: .alias)
        try container.encode(move.previousVersion, forKey: .previousVersion)
        try container.encode(move.version, forKey: .version)
        try container.encodeIfPresent(move.reason, forKey: .reason)
        try container.encodeIfPresent(move.promotionID?.uuidString.lowercased(), forKey: .promotionID)
        try container.encode(move.movedBy, forKey: .movedBy)
        try container.encodeIfPresent(move.approvedBy, forKey: .approvedBy)
        try container.encode(move.movedAt, forKey: .movedAt)
    }
}
