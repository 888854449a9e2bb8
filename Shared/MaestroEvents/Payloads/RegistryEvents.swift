import Foundation

/// Events the registry publishes on `maestro.registry.events`, keyed by model name, through its
/// transactional outbox.
public enum RegistryEvent: EventDomain {
    public static let topic = Topic.registryEvents
    public static let source = "/maestro/registry"

    /// An event of this domain: only this domain's service emits it.
    public protocol Payload: DomainEvent where Domain == RegistryEvent {}
}

extension RegistryEvent {
    /// A registered model was created. It is the first event under the model's key.
    public struct ModelCreated: Payload {
        public static let eventType = EventType("io.maestro.registry.model.created.v1", topic: .registryEvents)

        /// Name of the registered model; the Kafka key of the registry's events.
        public var modelName: String
        /// Free-text description.
        public var description: String?
        /// Principal or team that owns the model.
        public var owner: String?
        /// Tags the model was created with.
        public var tags: [String: String]
        /// Principal that created the model.
        public var createdBy: String
        /// When the model was created.
        public var createdAt: Date

        public init(
            modelName: String,
            description: String? = nil,
            owner: String? = nil,
            tags: [String: String],
            createdBy: String,
            createdAt: Date
        ) {
            self.modelName = modelName
            self.description = description
            self.owner = owner
            self.tags = tags
            self.createdBy = createdBy
            self.createdAt = createdAt
        }

        enum CodingKeys: String, CodingKey {
            case modelName = "model_name"
            case description
            case owner
            case tags
            case createdBy = "created_by"
            case createdAt = "created_at"
        }
    }
}

extension RegistryEvent {
    /// A registered model's description, owner or tags changed. Carries the model's state after the
    /// change, so a consumer needs no earlier event to know it.
    public struct ModelUpdated: Payload {
        public static let eventType = EventType("io.maestro.registry.model.updated.v1", topic: .registryEvents)

        /// Name of the registered model; the Kafka key of the registry's events.
        public var modelName: String
        /// Description after the change; absent when it has none.
        public var description: String?
        /// Owner after the change.
        public var owner: String?
        /// All tags of the model after the change.
        public var tags: [String: String]
        /// Principal that made the change.
        public var updatedBy: String
        /// When the change was committed.
        public var updatedAt: Date

        public init(
            modelName: String,
            description: String? = nil,
            owner: String? = nil,
            tags: [String: String],
            updatedBy: String,
            updatedAt: Date
        ) {
            self.modelName = modelName
            self.description = description
            self.owner = owner
            self.tags = tags
            self.updatedBy = updatedBy
            self.updatedAt = updatedAt
        }

        enum CodingKeys: String, CodingKey {
            case modelName = "model_name"
            case description
            case owner
            case tags
            case updatedBy = "updated_by"
            case updatedAt = "updated_at"
        }
    }
}

extension RegistryEvent {
    /// A registered model was renamed; its versions, aliases, tags and history move with it. Later
    /// events of the model carry, and are keyed by, the new name.
    public struct ModelRenamed: Payload {
        public static let eventType = EventType("io.maestro.registry.model.renamed.v1", topic: .registryEvents)

        /// The name before the rename.
        public var previousName: String
        /// The new name of the model.
        public var modelName: String
        /// Principal that renamed the model.
        public var renamedBy: String
        /// When the rename was committed.
        public var renamedAt: Date

        public init(previousName: String, modelName: String, renamedBy: String, renamedAt: Date) {
            self.previousName = previousName
            self.modelName = modelName
            self.renamedBy = renamedBy
            self.renamedAt = renamedAt
        }

        enum CodingKeys: String, CodingKey {
            case previousName = "previous_name"
            case modelName = "model_name"
            case renamedBy = "renamed_by"
            case renamedAt = "renamed_at"
        }
    }
}

extension RegistryEvent {
    /// A registered model was deleted, with its versions and aliases. The registry keeps the record
    /// (soft delete), but the model no longer resolves or appears in searches.
    public struct ModelDeleted: Payload {
        public static let eventType = EventType("io.maestro.registry.model.deleted.v1", topic: .registryEvents)

        /// Name of the registered model; the Kafka key of the registry's events.
        public var modelName: String
        /// Principal that deleted the model.
        public var deletedBy: String
        /// When the deletion was committed.
        public var deletedAt: Date

        public init(modelName: String, deletedBy: String, deletedAt: Date) {
            self.modelName = modelName
            self.deletedBy = deletedBy
            self.deletedAt = deletedAt
        }

        enum CodingKeys: String, CodingKey {
            case modelName = "model_name"
            case deletedBy = "deleted_by"
            case deletedAt = "deleted_at"
        }
    }
}

extension RegistryEvent {
    /// A new version of a registered model was registered, with the facts it was registered with:
    /// source, run, signature, metrics, parameters, tags and lineage.
    public struct ModelVersionCreated: Payload {
        public static let eventType = EventType("io.maestro.registry.model_version.created.v1", topic: .registryEvents)

        /// Name of the registered model; the Kafka key of the registry's events.
        public var modelName: String
        /// Model version number, counted from 1 per model.
        public var version: Int
        /// Artifact URI of the version (schemes s3, gs, abfss, wasbs, hdfs, file, http, https,
        /// models, runs, mlflow-artifacts).
        public var source: String
        /// Id of the training run that produced the version.
        public var runID: String?
        /// Free-text description.
        public var description: String?
        /// Registration status at creation.
        public var status: ModelVersionStatus
        /// The model's signature; absent when the version was registered without one.
        public var signature: ModelSignature?
        /// Metrics recorded with the version, by name.
        public var metrics: [String: Double]
        /// Training parameters recorded with the version, by name.
        public var params: [String: String]
        /// Tags the version was created with.
        public var tags: [String: String]
        /// Dataset versions the version was trained on.
        public var datasetVersions: [DatasetVersionRef]
        /// Feature views the version reads.
        public var featureViews: [String]
        /// OpenLineage run id of the training run, linking the version into the lineage graph.
        public var openLineageRunID: String?
        /// Version of the same model this one was derived from (e.g. fine-tuned from).
        public var parentVersion: Int?
        /// Principal that registered the version.
        public var createdBy: String
        /// When the version was registered.
        public var createdAt: Date

        public init(
            modelName: String,
            version: Int,
            source: String,
            runID: String? = nil,
            description: String? = nil,
            status: ModelVersionStatus,
            signature: ModelSignature? = nil,
            metrics: [String: Double],
            params: [String: String],
            tags: [String: String],
            datasetVersions: [DatasetVersionRef],
            featureViews: [String],
            openLineageRunID: String? = nil,
            parentVersion: Int? = nil,
            createdBy: String,
            createdAt: Date
        ) {
            self.modelName = modelName
            self.version = version
            self.source = source
            self.runID = runID
            self.description = description
            self.status = status
            self.signature = signature
            self.metrics = metrics
            self.params = params
            self.tags = tags
            self.datasetVersions = datasetVersions
            self.featureViews = featureViews
            self.openLineageRunID = openLineageRunID
            self.parentVersion = parentVersion
            self.createdBy = createdBy
            self.createdAt = createdAt
        }

        enum CodingKeys: String, CodingKey {
            case modelName = "model_name"
            case version
            case source
            case runID = "run_id"
            case description
            case status
            case signature
            case metrics
            case params
            case tags
            case datasetVersions = "dataset_versions"
            case featureViews = "feature_views"
            case openLineageRunID = "openlineage_run_id"
            case parentVersion = "parent_version"
            case createdBy = "created_by"
            case createdAt = "created_at"
        }
    }
}

extension RegistryEvent {
    /// A model version's description, metrics, model signature or MLflow stage changed. Carries
    /// the version's state after the change; tags and status have their own events.
    public struct ModelVersionUpdated: Payload {
        public static let eventType = EventType("io.maestro.registry.model_version.updated.v1", topic: .registryEvents)

        /// Name of the registered model; the Kafka key of the registry's events.
        public var modelName: String
        /// Model version number, counted from 1 per model.
        public var version: Int
        /// Description after the change; absent when it has none.
        public var description: String?
        /// MLflow stage after the change.
        public var stage: ModelVersionStage
        /// All metrics of the version after the change, by name.
        public var metrics: [String: Double]
        /// Model signature (input/output schema) after the change; absent when it has none.
        public var signature: ModelSignature?
        /// Principal that made the change.
        public var updatedBy: String
        /// When the change was committed.
        public var updatedAt: Date

        public init(
            modelName: String,
            version: Int,
            description: String? = nil,
            stage: ModelVersionStage,
            metrics: [String: Double],
            signature: ModelSignature? = nil,
            updatedBy: String,
            updatedAt: Date
        ) {
            self.modelName = modelName
            self.version = version
            self.description = description
            self.stage = stage
            self.metrics = metrics
            self.signature = signature
            self.updatedBy = updatedBy
            self.updatedAt = updatedAt
        }

        enum CodingKeys: String, CodingKey {
            case modelName = "model_name"
            case version
            case description
            case stage
            case metrics
            case signature
            case updatedBy = "updated_by"
            case updatedAt = "updated_at"
        }
    }
}

extension RegistryEvent {
    /// A model version's registration status changed, e.g. from `PENDING_REGISTRATION` to `READY`.
    /// Only a `READY` version can be the target of an alias.
    public struct ModelVersionStatusChanged: Payload {
        public static let eventType = EventType("io.maestro.registry.model_version.status_changed.v1", topic: .registryEvents)

        /// Name of the registered model; the Kafka key of the registry's events.
        public var modelName: String
        /// Model version number, counted from 1 per model.
        public var version: Int
        /// Status before the change.
        public var previousStatus: ModelVersionStatus
        /// Status after the change.
        public var status: ModelVersionStatus
        /// Why the status changed, e.g. the registration error.
        public var statusMessage: String?
        /// Principal that changed the status.
        public var changedBy: String
        /// When the change was committed.
        public var changedAt: Date

        public init(
            modelName: String,
            version: Int,
            previousStatus: ModelVersionStatus,
            status: ModelVersionStatus,
            statusMessage: String? = nil,
            changedBy: String,
            changedAt: Date
        ) {
            self.modelName = modelName
            self.version = version
            self.previousStatus = previousStatus
            self.status = status
            self.statusMessage = statusMessage
            self.changedBy = changedBy
            self.changedAt = changedAt
        }

        enum CodingKeys: String, CodingKey {
            case modelName = "model_name"
            case version
            case previousStatus = "previous_status"
            case status
            case statusMessage = "status_message"
            case changedBy = "changed_by"
            case changedAt = "changed_at"
        }
    }
}

extension RegistryEvent {
    /// A model version was deleted. Aliases that pointed to it were deleted first, each with its
    /// own `alias.deleted` event.
    public struct ModelVersionDeleted: Payload {
        public static let eventType = EventType("io.maestro.registry.model_version.deleted.v1", topic: .registryEvents)

        /// Name of the registered model; the Kafka key of the registry's events.
        public var modelName: String
        /// Model version number, counted from 1 per model.
        public var version: Int
        /// Principal that deleted the version.
        public var deletedBy: String
        /// When the deletion was committed.
        public var deletedAt: Date

        public init(modelName: String, version: Int, deletedBy: String, deletedAt: Date) {
            self.modelName = modelName
            self.version = version
            self.deletedBy = deletedBy
            self.deletedAt = deletedAt
        }

        enum CodingKeys: String, CodingKey {
            case modelName = "model_name"
            case version
            case deletedBy = "deleted_by"
            case deletedAt = "deleted_at"
        }
    }
}

extension RegistryEvent {
    /// A tag was set on a registered model, or on one of its versions when `version` is present.
    /// Setting an existing key replaces its value.
    public struct TagSet: Payload {
        public static let eventType = EventType("io.maestro.registry.tag.set.v1", topic: .registryEvents)

        /// Name of the registered model; the Kafka key of the registry's events.
        public var modelName: String
        /// The tagged model version; absent for a tag on the model itself.
        public var version: Int?
        /// Tag key.
        public var key: String
        /// Tag value.
        public var value: String
        /// Principal that set the tag.
        public var setBy: String
        /// When the tag was set.
        public var setAt: Date

        public init(modelName: String, version: Int? = nil, key: String, value: String, setBy: String, setAt: Date) {
            self.modelName = modelName
            self.version = version
            self.key = key
            self.value = value
            self.setBy = setBy
            self.setAt = setAt
        }

        enum CodingKeys: String, CodingKey {
            case modelName = "model_name"
            case version
            case key
            case value
            case setBy = "set_by"
            case setAt = "set_at"
        }
    }
}

extension RegistryEvent {
    /// A tag was removed from a registered model, or from one of its versions when `version` is
    /// present.
    public struct TagDeleted: Payload {
        public static let eventType = EventType("io.maestro.registry.tag.deleted.v1", topic: .registryEvents)

        /// Name of the registered model; the Kafka key of the registry's events.
        public var modelName: String
        /// The model version the tag was removed from; absent for a tag on the model itself.
        public var version: Int?
        /// Tag key.
        public var key: String
        /// Principal that removed the tag.
        public var deletedBy: String
        /// When the tag was removed.
        public var deletedAt: Date

        public init(modelName: String, version: Int? = nil, key: String, deletedBy: String, deletedAt: Date) {
            self.modelName = modelName
            self.version = version
            self.key = key
            self.deletedBy = deletedBy
            self.deletedAt = deletedAt
        }

        enum CodingKeys: String, CodingKey {
            case modelName = "model_name"
            case version
            case key
            case deletedBy = "deleted_by"
            case deletedAt = "deleted_at"
        }
    }
}

extension RegistryEvent {
    /// An alias of a model was set or moved to a version. The sequence of these events per model is
    /// the alias history: what each alias pointed to at any time.
    public struct AliasMoved: Payload {
        public static let eventType = EventType("io.maestro.registry.alias.moved.v1", topic: .registryEvents)

        /// Name of the registered model; the Kafka key of the registry's events.
        public var modelName: String
        /// Alias name, e.g. `champion`.
        public var alias: String
        /// Version the alias pointed to before; absent when the alias is new.
        public var previousVersion: Int?
        /// Version the alias points to now.
        public var version: Int
        /// Why the alias was moved, as given by whoever moved it.
        public var reason: String?
        /// The promotion that moved a protected alias; absent for an alias that moves without
        /// approval.
        public var promotionID: String?
        /// Principal that moved the alias (for a promotion, the principal that requested it).
        public var movedBy: String
        /// For a promotion, the principals whose approvals granted it; absent otherwise.
        public var approvedBy: [String]?
        /// When the move was committed.
        public var movedAt: Date

        public init(
            modelName: String,
            alias: String,
            previousVersion: Int? = nil,
            version: Int,
            reason: String? = nil,
            promotionID: String? = nil,
            movedBy: String,
            approvedBy: [String]? = nil,
            movedAt: Date
        ) {
            self.modelName = modelName
            self.alias = alias
            self.previousVersion = previousVersion
            self.version = version
            self.reason = reason
            self.promotionID = promotionID
            self.movedBy = movedBy
            self.approvedBy = approvedBy
            self.movedAt = movedAt
        }

        enum CodingKeys: String, CodingKey {
            case modelName = "model_name"
            case alias
            case previousVersion = "previous_version"
            case version
            case reason
            case promotionID = "promotion_id"
            case movedBy = "moved_by"
            case approvedBy = "approved_by"
            case movedAt = "moved_at"
        }
    }
}

extension RegistryEvent {
    /// An alias of a model was removed; it resolves to nothing from now on.
    public struct AliasDeleted: Payload {
        public static let eventType = EventType("io.maestro.registry.alias.deleted.v1", topic: .registryEvents)

        /// Name of the registered model; the Kafka key of the registry's events.
        public var modelName: String
        /// Alias name.
        public var alias: String
        /// Version the alias pointed to before it was removed.
        public var previousVersion: Int
        /// Why the alias was removed.
        public var reason: String?
        /// Principal that removed the alias.
        public var deletedBy: String
        /// When the removal was committed.
        public var deletedAt: Date

        public init(
            modelName: String,
            alias: String,
            previousVersion: Int,
            reason: String? = nil,
            deletedBy: String,
            deletedAt: Date
        ) {
            self.modelName = modelName
            self.alias = alias
            self.previousVersion = previousVersion
            self.reason = reason
            self.deletedBy = deletedBy
            self.deletedAt = deletedAt
        }

        enum CodingKeys: String, CodingKey {
            case modelName = "model_name"
            case alias
            case previousVersion = "previous_version"
            case reason
            case deletedBy = "deleted_by"
            case deletedAt = "deleted_at"
        }
    }
}

extension RegistryEvent {
    /// A model version's card was created or changed. Carries the whole card after the change and
    /// its completeness, which governance uses as a fact for approval checks.
    public struct ModelCardUpdated: Payload {
        public static let eventType = EventType("io.maestro.registry.model_card.updated.v1", topic: .registryEvents)

        /// Name of the registered model; the Kafka key of the registry's events.
        public var modelName: String
        /// Model version number, counted from 1 per model.
        public var version: Int
        /// The card after the change.
        public var card: ModelCard
        /// Share of the card's sections that are filled in, from 0 to 1.
        public var completeness: Double
        /// Sections still empty.
        public var missingSections: [ModelCardSection]
        /// Principal that changed the card.
        public var updatedBy: String
        /// When the change was committed.
        public var updatedAt: Date

        public init(
            modelName: String,
            version: Int,
            card: ModelCard,
            completeness: Double,
            missingSections: [ModelCardSection],
            updatedBy: String,
            updatedAt: Date
        ) {
            self.modelName = modelName
            self.version = version
            self.card = card
            self.completeness = completeness
            self.missingSections = missingSections
            self.updatedBy = updatedBy
            self.updatedAt = updatedAt
        }

        enum CodingKeys: String, CodingKey {
            case modelName = "model_name"
            case version
            case card
            case completeness
            case missingSections = "missing_sections"
            case updatedBy = "updated_by"
            case updatedAt = "updated_at"
        }
    }
}

extension RegistryEvent {
    /// Someone asked to point a protected alias (e.g. `champion`) at a version. The alias does not
    /// move yet: governance opens an approval request and answers with `approval.granted`,
    /// `approval.rejected` or `approval.expired` for this promotion. Carries the version's facts at
    /// the time of the request, for governance's checks.
    public struct PromotionRequested: Payload {
        public static let eventType = EventType("io.maestro.registry.promotion.requested.v1", topic: .registryEvents)

        /// Id of the pending promotion; governance's outcome events refer to it.
        public var promotionID: String
        /// Name of the registered model; the Kafka key of the registry's events.
        public var modelName: String
        /// Version the alias is to point to.
        public var version: Int
        /// The protected alias to move.
        public var alias: String
        /// Version the alias points to now; absent when it points nowhere.
        public var currentVersion: Int?
        /// Why the requester wants the promotion.
        public var reason: String?
        /// The version's metrics, by name.
        public var metrics: [String: Double]
        /// Completeness of the version's model card, from 0 (no card) to 1.
        public var cardCompleteness: Double
        /// Card sections still empty.
        public var missingCardSections: [ModelCardSection]
        /// Whether the version has a signature.
        public var signaturePresent: Bool
        /// Principal that requested the promotion.
        public var requestedBy: String
        /// When the request was recorded.
        public var requestedAt: Date

        public init(
            promotionID: String,
            modelName: String,
            version: Int,
            alias: String,
            currentVersion: Int? = nil,
            reason: String? = nil,
            metrics: [String: Double],
            cardCompleteness: Double,
            missingCardSections: [ModelCardSection],
            signaturePresent: Bool,
            requestedBy: String,
            requestedAt: Date
        ) {
            self.promotionID = promotionID
            self.modelName = modelName
            self.version = version
            self.alias = alias
            self.currentVersion = currentVersion
            self.reason = reason
            self.metrics = metrics
            self.cardCompleteness = cardCompleteness
            self.missingCardSections = missingCardSections
            self.signaturePresent = signaturePresent
            self.requestedBy = requestedBy
            self.requestedAt = requestedAt
        }

        enum CodingKeys: String, CodingKey {
            case promotionID = "promotion_id"
            case modelName = "model_name"
            case version
            case alias
            case currentVersion = "current_version"
            case reason
            case metrics
            case cardCompleteness = "card_completeness"
            case missingCardSections = "missing_card_sections"
            case signaturePresent = "signature_present"
            case requestedBy = "requested_by"
            case requestedAt = "requested_at"
        }
    }
}

extension RegistryEvent {
    /// A promotion was approved and its alias moved. Follows the `alias.moved` event of the same
    /// move; a redelivered grant produces neither again.
    public struct PromotionCompleted: Payload {
        public static let eventType = EventType("io.maestro.registry.promotion.completed.v1", topic: .registryEvents)

        /// Id of the promotion.
        public var promotionID: String
        /// Name of the registered model; the Kafka key of the registry's events.
        public var modelName: String
        /// Version the alias points to now.
        public var version: Int
        /// The protected alias that moved.
        public var alias: String
        /// Version the alias pointed to before; absent when it pointed nowhere.
        public var previousVersion: Int?
        /// Governance's approval request that granted the promotion.
        public var approvalID: String
        /// When the alias moved.
        public var completedAt: Date

        public init(
            promotionID: String,
            modelName: String,
            version: Int,
            alias: String,
            previousVersion: Int? = nil,
            approvalID: String,
            completedAt: Date
        ) {
            self.promotionID = promotionID
            self.modelName = modelName
            self.version = version
            self.alias = alias
            self.previousVersion = previousVersion
            self.approvalID = approvalID
            self.completedAt = completedAt
        }

        enum CodingKeys: String, CodingKey {
            case promotionID = "promotion_id"
            case modelName = "model_name"
            case version
            case alias
            case previousVersion = "previous_version"
            case approvalID = "approval_id"
            case completedAt = "completed_at"
        }
    }
}

extension RegistryEvent {
    /// A promotion closed without moving its alias because it was cancelled: its approval
    /// request was cancelled in governance, or its version was deleted before the grant.
    public struct PromotionCancelled: Payload {
        public static let eventType = EventType("io.maestro.registry.promotion.cancelled.v1", topic: .registryEvents)

        /// Id of the promotion.
        public var promotionID: String
        /// Name of the registered model; the Kafka key of the registry's events.
        public var modelName: String
        /// Version the alias would have pointed to.
        public var version: Int
        /// The protected alias that stays where it was.
        public var alias: String
        /// Governance's approval request, when one was opened.
        public var approvalID: String?
        /// Who cancelled it and why, or the registry's reason.
        public var reason: String?
        /// When the promotion was closed.
        public var cancelledAt: Date

        public init(promotionID: String, modelName: String, version: Int, alias: String, approvalID: String? = nil, reason: String? = nil,
                    cancelledAt: Date) {
            self.promotionID = promotionID
            self.modelName = modelName
            self.version = version
            self.alias = alias
            self.approvalID = approvalID
            self.reason = reason
            self.cancelledAt = cancelledAt
        }

        enum CodingKeys: String, CodingKey {
            case promotionID = "promotion_id"
            case modelName = "model_name"
            case version
            case alias
            case approvalID = "approval_id"
            case reason
            case cancelledAt = "cancelled_at"
        }
    }
}

extension RegistryEvent {
    /// A promotion closed without moving its alias, because governance rejected its approval
    /// request or the request expired.
    public struct PromotionRejected: Payload {
        public static let eventType = EventType("io.maestro.registry.promotion.rejected.v1", topic: .registryEvents)

        /// Id of the promotion.
        public var promotionID: String
        /// Name of the registered model; the Kafka key of the registry's events.
        public var modelName: String
        /// Version the alias would have pointed to.
        public var version: Int
        /// The protected alias that stays where it was.
        public var alias: String
        /// Outcome of the approval request.
        public var cause: PromotionRejectionCause
        /// Governance's approval request, when one was opened.
        public var approvalID: String?
        /// The reviewer's comment or governance's reason.
        public var reason: String?
        /// When the promotion was closed.
        public var rejectedAt: Date

        public init(
            promotionID: String,
            modelName: String,
            version: Int,
            alias: String,
            cause: PromotionRejectionCause,
            approvalID: String? = nil,
            reason: String? = nil,
            rejectedAt: Date
        ) {
            self.promotionID = promotionID
            self.modelName = modelName
            self.version = version
            self.alias = alias
            self.cause = cause
            self.approvalID = approvalID
            self.reason = reason
            self.rejectedAt = rejectedAt
        }

        enum CodingKeys: String, CodingKey {
            case promotionID = "promotion_id"
            case modelName = "model_name"
            case version
            case alias
            case cause
            case approvalID = "approval_id"
            case reason
            case rejectedAt = "rejected_at"
        }
    }
}

extension RegistryEvent {
    /// A version of a catalog dataset, as the catalog names it.
    public struct DatasetVersionRef: Codable, Sendable, Equatable {
        /// Dataset name in the catalog.
        public var name: String
        /// Dataset version identifier in the catalog.
        public var version: String

        public init(name: String, version: String) {
            self.name = name
            self.version = version
        }

        enum CodingKeys: String, CodingKey {
            case name
            case version
        }
    }

    /// Registration status of a model version, as in MLflow's `ModelVersionStatus`.
    public enum ModelVersionStatus: String, Codable, Sendable, CaseIterable {
        case pendingRegistration = "PENDING_REGISTRATION"
        case ready = "READY"
        case failedRegistration = "FAILED_REGISTRATION"
    }

    /// MLflow's model version stage, kept for MLflow's `transition-stage`; aliases are the native
    /// way to mark a version for use.
    public enum ModelVersionStage: String, Codable, Sendable, CaseIterable {
        case none = "None"
        case staging = "Staging"
        case production = "Production"
        case archived = "Archived"
    }

    /// A model version's signature in MLflow's form: each part is the JSON text MLflow stores in an
    /// `MLmodel` file (a list of column or tensor specs).
    public struct ModelSignature: Codable, Sendable, Equatable {
        /// Input schema as MLflow's JSON text.
        public var inputs: String
        /// Output schema as MLflow's JSON text.
        public var outputs: String?
        /// Inference parameter schema as MLflow's JSON text.
        public var params: String?

        public init(inputs: String, outputs: String? = nil, params: String? = nil) {
            self.inputs = inputs
            self.outputs = outputs
            self.params = params
        }

        enum CodingKeys: String, CodingKey {
            case inputs
            case outputs
            case params
        }
    }

    /// A section of a model card; completeness counts the sections that are filled in.
    public enum ModelCardSection: String, Codable, Sendable, CaseIterable {
        case overview
        case intendedUse = "intended_use"
        case outOfScopeUse = "out_of_scope_use"
        case trainingData = "training_data"
        case evaluation
        case limitations
        case ethicalConsiderations = "ethical_considerations"
        case owners
    }

    /// One evaluation result on a model card: a metric and the dataset it was measured on.
    public struct ModelCardEvaluation: Codable, Sendable, Equatable {
        /// Metric name, e.g. `auc`.
        public var metric: String
        /// Measured value.
        public var value: Double
        /// The dataset version the metric was measured on.
        public var dataset: DatasetVersionRef?

        public init(metric: String, value: Double, dataset: DatasetVersionRef? = nil) {
            self.metric = metric
            self.value = value
            self.dataset = dataset
        }

        enum CodingKeys: String, CodingKey {
            case metric
            case value
            case dataset
        }
    }

    /// The content of a model version's card.
    public struct ModelCard: Codable, Sendable, Equatable {
        /// What the model does.
        public var overview: String?
        /// Uses the model was built and evaluated for.
        public var intendedUse: String?
        /// Uses the model must not be put to.
        public var outOfScopeUse: String?
        /// Dataset versions the model was trained on.
        public var trainingData: [DatasetVersionRef]
        /// Evaluation results with the datasets they were measured on.
        public var evaluation: [ModelCardEvaluation]
        /// Known limitations.
        public var limitations: String?
        /// Ethical considerations and risks.
        public var ethicalConsiderations: String?
        /// Principals or teams accountable for the model.
        public var owners: [String]

        public init(
            overview: String? = nil,
            intendedUse: String? = nil,
            outOfScopeUse: String? = nil,
            trainingData: [DatasetVersionRef],
            evaluation: [ModelCardEvaluation],
            limitations: String? = nil,
            ethicalConsiderations: String? = nil,
            owners: [String]
        ) {
            self.overview = overview
            self.intendedUse = intendedUse
            self.outOfScopeUse = outOfScopeUse
            self.trainingData = trainingData
            self.evaluation = evaluation
            self.limitations = limitations
            self.ethicalConsiderations = ethicalConsiderations
            self.owners = owners
        }

        enum CodingKeys: String, CodingKey {
            case overview
            case intendedUse = "intended_use"
            case outOfScopeUse = "out_of_scope_use"
            case trainingData = "training_data"
            case evaluation
            case limitations
            case ethicalConsiderations = "ethical_considerations"
            case owners
        }
    }

    /// Why a promotion closed without moving its alias.
    public enum PromotionRejectionCause: String, Codable, Sendable, CaseIterable {
        /// A reviewer rejected the approval request.
        case rejected = "REJECTED"
        /// The approval request expired before enough approvals arrived.
        case expired = "EXPIRED"
        /// The approval request was cancelled. Only in events published before
        /// `io.maestro.registry.promotion.cancelled.v1` existed; a cancelled promotion now emits that.
        case cancelled = "CANCELLED"
    }
}
