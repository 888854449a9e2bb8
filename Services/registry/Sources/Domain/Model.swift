import Foundation
import MaestroEvents

public typealias ModelVersionStatus = RegistryEvent.ModelVersionStatus
public typealias ModelVersionStage = RegistryEvent.ModelVersionStage
public typealias ModelSignature = RegistryEvent.ModelSignature
public typealias DatasetVersionRef = RegistryEvent.DatasetVersionRef
public typealias ModelCard = RegistryEvent.ModelCard
public typealias ModelCardSection = RegistryEvent.ModelCardSection

/// A registered model as both APIs show it. `revision` is its entity tag.
public struct RegisteredModel: Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var description: String?
    public var owner: String?
    public var tags: [String: String]
    public var aliases: [String: Int]
    public var protectedAliases: [String]
    public var revision: Int64
    public var createdBy: String
    public var createdAt: Date
    public var updatedBy: String
    public var updatedAt: Date
}

/// One version of a registered model.
public struct ModelVersion: Sendable, Equatable {
    public var modelName: String
    public var version: Int
    public var source: String
    public var runID: String?
    public var runLink: String?
    public var description: String?
    public var status: ModelVersionStatus
    public var statusMessage: String?
    public var stage: ModelVersionStage
    public var signature: ModelSignature?
    public var metrics: [String: Double]
    public var params: [String: String]
    public var tags: [String: String]
    public var datasetVersions: [DatasetVersionRef]
    public var featureViews: [String]
    public var openLineageRunID: String?
    public var parentVersion: Int?
    public var aliases: [String]
    public var revision: Int64
    public var createdBy: String
    public var createdAt: Date
    public var updatedBy: String
    public var updatedAt: Date
}

/// What a new version is registered with.
public struct NewModelVersion: Sendable {
    public var source: String
    public var runID: String?
    public var runLink: String?
    public var description: String?
    public var status: ModelVersionStatus = .ready
    public var signature: ModelSignature?
    public var metrics: [String: Double] = [:]
    public var params: [String: String] = [:]
    public var tags: [String: String] = [:]
    public var datasetVersions: [DatasetVersionRef] = []
    public var featureViews: [String] = []
    public var openLineageRunID: String?
    public var parentVersion: Int?

    public init(source: String) {
        self.source = source
    }
}

/// A change to a version's mutable fields; `nil` leaves a field as it is.
public struct ModelVersionChange: Sendable {
    public var description: String?
    public var status: ModelVersionStatus?
    public var statusMessage: String?
    public var metrics: [String: Double]?

    public init(description: String? = nil, status: ModelVersionStatus? = nil, statusMessage: String? = nil, metrics: [String: Double]? = nil) {
        self.description = description
        self.status = status
        self.statusMessage = statusMessage
        self.metrics = metrics
    }
}

/// One entry of an alias's history: a move (`version` set) or a deletion (`version` nil).
public struct AliasMove: Sendable, Equatable {
    public var alias: String
    public var previousVersion: Int?
    public var version: Int?
    public var reason: String?
    public var promotionID: UUID?
    public var movedBy: String
    public var movedAt: Date
}

/// A request to point a protected alias at a version, decided by governance.
public struct Promotion: Sendable, Equatable {
    public enum State: String, Sendable, Codable {
        case pending = "PENDING"
        case completed = "COMPLETED"
        case rejected = "REJECTED"
    }

    public var id: UUID
    public var modelName: String
    public var version: Int
    public var alias: String
    public var state: State
    public var reason: String?
    public var requestedBy: String
    public var requestedAt: Date
    public var approvalID: String?
    public var decision: String?
    public var decidedAt: Date?
}

/// The outcome of asking to set an alias: moved at once, or waiting for governance.
public enum AliasRequestOutcome: Sendable, Equatable {
    case moved(AliasMove)
    case pending(Promotion)
}

/// Who is acting, in which tenant: every store call takes one.
public struct Caller: Sendable {
    public let tenant: String
    public let subject: String

    public init(tenant: String, subject: String) {
        self.tenant = tenant
        self.subject = subject
    }
}
