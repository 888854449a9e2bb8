import Foundation
import Hummingbird
import MaestroDomain
import MaestroService

/// The native API's JSON shapes (snake_case, RFC 3339 times).
struct ModelBody: Encodable {
    let name: String
    let description: String?
    let owner: String?
    let tags: [String: String]
    let aliases: [String: Int]
    let protectedAliases: [String]
    let protectedStages: [String]
    let createdBy: String
    let createdAt: Date
    let updatedBy: String
    let updatedAt: Date

    init(_ model: RegisteredModel) {
        name = model.name
        description = model.description
        owner = model.owner
        tags = model.tags
        aliases = model.aliases
        protectedAliases = model.protectedAliases
        protectedStages = model.protectedStages.map(\.rawValue)
        createdBy = model.createdBy
        createdAt = model.createdAt
        updatedBy = model.updatedBy
        updatedAt = model.updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case name, description, owner, tags, aliases
        case protectedAliases = "protected_aliases", protectedStages = "protected_stages"
        case createdBy = "created_by", createdAt = "created_at", updatedBy = "updated_by", updatedAt = "updated_at"
    }
}

struct VersionBody: Encodable {
    let version: ModelVersion

    init(_ version: ModelVersion) {
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case modelName = "model_name", version, source, runID = "run_id", runLink = "run_link", description, status
        case statusMessage = "status_message", stage, signature, metrics, params, tags, datasetVersions = "dataset_versions"
        case featureViews = "feature_views", openLineageRunID = "openlineage_run_id", parentVersion = "parent_version", aliases
        case createdBy = "created_by", createdAt = "created_at", updatedBy = "updated_by", updatedAt = "updated_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version.modelName, forKey: .modelName)
        try container.encode(version.version, forKey: .version)
        try container.encode(version.source, forKey: .source)
        try container.encodeIfPresent(version.runID, forKey: .runID)
        try container.encodeIfPresent(version.runLink, forKey: .runLink)
        try container.encodeIfPresent(version.description, forKey: .description)
        try container.encode(version.status, forKey: .status)
        try container.encodeIfPresent(version.statusMessage, forKey: .statusMessage)
        try container.encode(version.stage, forKey: .stage)
        try container.encodeIfPresent(version.signature, forKey: .signature)
        try container.encode(version.metrics, forKey: .metrics)
        try container.encode(version.params, forKey: .params)
        try container.encode(version.tags, forKey: .tags)
        try container.encode(version.datasetVersions, forKey: .datasetVersions)
        try container.encode(version.featureViews, forKey: .featureViews)
        try container.encodeIfPresent(version.openLineageRunID, forKey: .openLineageRunID)
        try container.encodeIfPresent(version.parentVersion, forKey: .parentVersion)
        try container.encode(version.aliases, forKey: .aliases)
        try container.encode(version.createdBy, forKey: .createdBy)
        try container.encode(version.createdAt, forKey: .createdAt)
        try container.encode(version.updatedBy, forKey: .updatedBy)
        try container.encode(version.updatedAt, forKey: .updatedAt)
    }
}

struct PromotionBody: Encodable {
    let promotion: Promotion

    enum CodingKeys: String, CodingKey {
        case id, modelName = "model_name", version, alias, stage, archiveExisting = "archive_existing", state, reason, requestedBy = "requested_by"
        case requestedAt = "requested_at"
        case approvalID = "approval_id", decision, decisionReason = "decision_reason", decidedAt = "decided_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(promotion.id.uuidString.lowercased(), forKey: .id)
        try container.encode(promotion.modelName, forKey: .modelName)
        try container.encode(promotion.version, forKey: .version)
        try container.encode(promotion.alias, forKey: .alias)
        if let stage = promotion.stage {
            try container.encode(stage, forKey: .stage)
            try container.encode(promotion.archiveExisting, forKey: .archiveExisting)
        }
        try container.encode(promotion.state, forKey: .state)
        try container.encodeIfPresent(promotion.reason, forKey: .reason)
        try container.encode(promotion.requestedBy, forKey: .requestedBy)
        try container.encode(promotion.requestedAt, forKey: .requestedAt)
        try container.encodeIfPresent(promotion.approvalID, forKey: .approvalID)
        try container.encodeIfPresent(promotion.decision, forKey: .decision)
        try container.encodeIfPresent(promotion.decisionReason, forKey: .decisionReason)
        try container.encodeIfPresent(promotion.decidedAt, forKey: .decidedAt)
    }
}

struct CardBody: Encodable {
    let modelName: String
    let version: Int
    let card: ModelCard
    let completeness: Double
    let missingSections: [ModelCardSection]

    enum CodingKeys: String, CodingKey {
        case modelName = "model_name", version, card, completeness, missingSections = "missing_sections"
    }
}

extension ETag {
    init(revision: Int64) {
        self.init(version: revision)
    }
}

extension Request {
    /// The revision an `If-Match` names, when it names exactly one of ours (`"v7"`); `*` or no header is nil.
    /// A tag in any other form can never match, so it is a 412.
    func expectedRevision() throws(HTTPProblem) -> Int64? {
        guard let header = headers[.ifMatch]?.trimmingCharacters(in: .whitespaces), header != "*" else { return nil }
        guard header.hasPrefix("\"v"), header.hasSuffix("\""), let revision = Int64(header.dropFirst(2).dropLast()) else {
            throw .preconditionFailed()
        }
        return revision
    }
}

extension MaestroRequestContext {
    func versionParameter() throws(HTTPProblem) -> Int {
        try integerParameter("version", minimum: 1)
    }
}
