import Foundation
import MaestroDomain
import MaestroEvents

typealias ModelVersionStatus = RegistryEvent.ModelVersionStatus
typealias ModelVersionStage = RegistryEvent.ModelVersionStage
typealias ModelSignature = RegistryEvent.ModelSignature
typealias DatasetVersionRef = RegistryEvent.DatasetVersionRef
typealias ModelCard = RegistryEvent.ModelCard
typealias ModelCardSection = RegistryEvent.ModelCardSection

/// A registered model as both APIs show it. `revision` is its entity tag.
struct RegisteredModel: Sendable, Equatable {
    var id: UUID
    var name: String
    var description: String?
    var owner: String?
    var tags: [String: String]
    var aliases: [String: Int]
    var protectedAliases: [String]
    /// Stages a version enters only through governance (by default Production).
    var protectedStages: [ModelVersionStage] = [.production]
    var revision: Int64
    var createdBy: String
    var createdAt: Date
    var updatedBy: String
    var updatedAt: Date

    /// Whether `alias` is protected: compared as names (``Names/same(_:_:)``), so a look-alike
    /// (`Champion`, `ｃｈａｍｐｉｏｎ`) of a protected alias is protected too.
    func isProtected(_ alias: String) -> Bool {
        protectedAliases.contains { Names.same($0, alias) }
    }

    /// Whether moving a version into (or out of) `stage` is governed.
    func isProtected(stage: ModelVersionStage) -> Bool {
        protectedStages.contains(stage)
    }

    /// The alias a governed stage moves with: the stage's name in lowercase (`Production` →
    /// `production`). A promotion into the stage is a promotion of this alias.
    static func alias(of stage: ModelVersionStage) -> String {
        stage.rawValue.lowercased()
    }

    /// The protected alias `alias` is a look-alike of, in its own spelling; otherwise `alias`.
    /// Requests for `Champion` are requests for `champion`, so no look-alike alias ever exists
    /// beside a protected one.
    func canonicalAlias(_ alias: String) -> String {
        protectedAliases.first { Names.same($0, alias) } ?? alias
    }
}

/// One version of a registered model.
struct ModelVersion: Sendable, Equatable {
    var modelName: String
    var version: Int
    var source: String
    var runID: String?
    var runLink: String?
    var description: String?
    var status: ModelVersionStatus
    var statusMessage: String?
    var stage: ModelVersionStage
    var signature: ModelSignature?
    var metrics: [String: Double]
    var params: [String: String]
    var tags: [String: String]
    var datasetVersions: [DatasetVersionRef]
    var featureViews: [String]
    var openLineageRunID: String?
    var parentVersion: Int?
    var aliases: [String]
    var revision: Int64
    var createdBy: String
    var createdAt: Date
    var updatedBy: String
    var updatedAt: Date
}

/// What a new version is registered with.
struct NewModelVersion: Sendable {
    var source: String
    var runID: String?
    var runLink: String?
    var description: String?
    var status: ModelVersionStatus = .ready
    var signature: ModelSignature?
    var metrics: [String: Double] = [:]
    var params: [String: String] = [:]
    var tags: [String: String] = [:]
    var datasetVersions: [DatasetVersionRef] = []
    var featureViews: [String] = []
    var openLineageRunID: String?
    var parentVersion: Int?

    init(source: String) {
        self.source = source
    }
}

/// A change to a version's mutable fields; `nil` leaves a field as it is.
struct ModelVersionChange: Sendable {
    var description: String?
    var status: ModelVersionStatus?
    var statusMessage: String?
    var metrics: [String: Double]?
    /// The model signature (input/output schema) replacing the version's.
    var signature: ModelSignature?

    init(description: String? = nil, status: ModelVersionStatus? = nil, statusMessage: String? = nil, metrics: [String: Double]? = nil,
         signature: ModelSignature? = nil) {
        self.description = description
        self.status = status
        self.statusMessage = statusMessage
        self.metrics = metrics
        self.signature = signature
    }
}

/// One entry of an alias's history: a move (`version` set) or a deletion (`version` nil).
struct AliasMove: Sendable, Equatable {
    var alias: String
    var previousVersion: Int?
    var version: Int?
    var reason: String?
    var promotionID: UUID?
    /// Who asked for the move (for a promotion, its requester).
    var movedBy: String
    /// For a promotion, the principals whose approvals granted it.
    var approvedBy: [String]? = nil
    var movedAt: Date
}

/// A request to point a protected alias at a version, decided by governance. A promotion into
/// a protected stage moves the stage's alias and, on the grant, the version into the stage.
struct Promotion: Sendable, Equatable {
    /// Governance's vocabulary: a promotion waits, then completes (the alias moved) or closes
    /// as its approval request did.
    enum State: String, Sendable, Codable {
        case pending = "PENDING"
        case completed = "COMPLETED"
        case rejected = "REJECTED"
        case expired = "EXPIRED"
        case cancelled = "CANCELLED"
    }

    var id: UUID
    var modelName: String
    var version: Int
    var alias: String
    /// The protected stage the version enters on the grant; nil for an alias promotion.
    var stage: ModelVersionStage? = nil
    /// Whether the stage's other versions go to Archived on the grant.
    var archiveExisting = false
    var state: State
    var reason: String?
    var requestedBy: String
    var requestedAt: Date
    var approvalID: String?
    /// Governance's outcome: `APPROVED`, `REJECTED`, `EXPIRED` or `CANCELLED`.
    var decision: String?
    /// The reviewer's comment, who cancelled and why, or the registry's reason for closing it.
    var decisionReason: String? = nil
    var decidedAt: Date?
}

/// The outcome of asking to set an alias: moved at once, or waiting for governance.
enum AliasRequestOutcome: Sendable, Equatable {
    case moved(AliasMove)
    case pending(Promotion)
}

/// The outcome of asking to move a version to a stage: moved at once, or waiting for governance.
enum StageRequestOutcome: Sendable, Equatable {
    case moved(ModelVersion)
    case pending(Promotion)
}
