import Foundation
import MaestroDomain
import MaestroEvents
import MaestroService

struct CreateModelRequest: StrictJSONBody {
    static let members: Set<String> = ["name", "description", "owner", "tags", "protected_aliases", "protected_stages"]
    var name: String
    var description: String?
    var owner: String?
    var tags: [String: String]?
    var protectedAliases: [String]?
    var protectedStages: [String]?

    enum CodingKeys: String, CodingKey {
        case name, description, owner, tags, protectedAliases = "protected_aliases", protectedStages = "protected_stages"
    }

    func validate() throws(HTTPProblem) {
        var validation = FieldValidation()
        RegistryRules.checkName(name, field: "name", into: &validation)
        RegistryRules.checkDescription(description, into: &validation)
        RegistryRules.checkTags(tags ?? [:], into: &validation)
        RegistryRules.checkProtectedAliases(protectedAliases ?? [], into: &validation)
        RegistryRules.checkProtectedStages(protectedStages ?? [], into: &validation)
        if let owner { RegistryRules.checkName(owner, field: "owner", into: &validation) }
        try validation.validate()
    }
}

struct UpdateModelRequest: StrictJSONBody {
    static let members: Set<String> = ["description", "owner", "tags", "protected_aliases", "protected_stages"]
    var description: String?
    var owner: String?
    var tags: [String: String]?
    var protectedAliases: [String]?
    var protectedStages: [String]?

    enum CodingKeys: String, CodingKey {
        case description, owner, tags, protectedAliases = "protected_aliases", protectedStages = "protected_stages"
    }

    func validate() throws(HTTPProblem) {
        var validation = FieldValidation()
        RegistryRules.checkDescription(description, into: &validation)
        RegistryRules.checkTags(tags ?? [:], into: &validation)
        RegistryRules.checkProtectedAliases(protectedAliases ?? [], into: &validation)
        RegistryRules.checkProtectedStages(protectedStages ?? [], into: &validation)
        if let owner { RegistryRules.checkName(owner, field: "owner", into: &validation) }
        try validation.validate()
    }
}

extension CreateModelRequest {
    /// The protected stages asked for; valid once ``validate()`` passed.
    var stages: [ModelVersionStage]? { protectedStages?.compactMap(ModelVersionStage.init(rawValue:)) }
}

extension UpdateModelRequest {
    /// The protected stages asked for; valid once ``validate()`` passed.
    var stages: [ModelVersionStage]? { protectedStages?.compactMap(ModelVersionStage.init(rawValue:)) }
}

struct RenameModelRequest: StrictJSONBody {
    static let members: Set<String> = ["new_name"]
    var newName: String

    enum CodingKeys: String, CodingKey {
        case newName = "new_name"
    }
}

struct TagValueRequest: StrictJSONBody {
    static let members: Set<String> = ["value"]
    var value: String
}

struct CreateVersionRequest: StrictJSONBody {
    static let members: Set<String> = ["source", "run_id", "run_link", "description", "status", "signature", "metrics", "params", "tags",
                                       "dataset_versions", "feature_views", "openlineage_run_id", "parent_version"]
    var source: String
    var runID: String?
    var runLink: String?
    var description: String?
    var status: ModelVersionStatus?
    var signature: ModelSignature?
    var metrics: [String: Double]?
    var params: [String: String]?
    var tags: [String: String]?
    var datasetVersions: [DatasetVersionRef]?
    var featureViews: [String]?
    var openLineageRunID: String?
    var parentVersion: Int?

    enum CodingKeys: String, CodingKey {
        case source, runID = "run_id", runLink = "run_link", description, status, signature, metrics, params, tags
        case datasetVersions = "dataset_versions", featureViews = "feature_views", openLineageRunID = "openlineage_run_id", parentVersion = "parent_version"
    }

    func validated() throws(HTTPProblem) -> NewModelVersion {
        var validation = FieldValidation()
        RegistryRules.checkSource(source, into: &validation)
        RegistryRules.checkDescription(description, into: &validation)
        RegistryRules.checkTags(tags ?? [:], into: &validation)
        RegistryRules.checkMetrics(metrics ?? [:], into: &validation)
        RegistryRules.checkParams(params ?? [:], into: &validation)
        if let signature { RegistryRules.checkSignature(signature, into: &validation) }
        if let runID { validation.check(!runID.isEmpty && runID.count <= 256, "run_id", "must be 1 to 256 characters") }
        if let runLink { validation.check(runLink.count <= RegistryRules.maxURILength, "run_link", "is too long") }
        if let parentVersion { validation.check(parentVersion > 0, "parent_version", "must be a positive version number") }
        if let openLineageRunID { validation.check(!openLineageRunID.isEmpty && openLineageRunID.count <= 256, "openlineage_run_id", "must be 1 to 256 characters") }
        validation.check((datasetVersions ?? []).count <= 100, "dataset_versions", "at most 100 datasets")
        for dataset in datasetVersions ?? [] {
            validation.check(!dataset.name.isEmpty && dataset.name.count <= 256 && !dataset.version.isEmpty && dataset.version.count <= 256,
                             "dataset_versions", "every dataset needs a name and a version of 1 to 256 characters")
        }
        validation.check((featureViews ?? []).count <= 100 && (featureViews ?? []).allSatisfy { !$0.isEmpty && $0.count <= 256 },
                         "feature_views", "at most 100 names of 1 to 256 characters")
        try validation.validate()
        var new = NewModelVersion(source: source)
        new.runID = runID
        new.runLink = runLink
        new.description = description
        new.status = status ?? .ready
        new.signature = signature
        new.metrics = metrics ?? [:]
        new.params = params ?? [:]
        new.tags = tags ?? [:]
        new.datasetVersions = datasetVersions ?? []
        new.featureViews = featureViews ?? []
        new.openLineageRunID = openLineageRunID
        new.parentVersion = parentVersion
        return new
    }
}

struct UpdateVersionRequest: StrictJSONBody {
    static let members: Set<String> = ["description", "status", "status_message", "metrics", "signature"]
    var description: String?
    var status: ModelVersionStatus?
    var statusMessage: String?
    var metrics: [String: Double]?
    var signature: ModelSignature?

    enum CodingKeys: String, CodingKey {
        case description, status, statusMessage = "status_message", metrics, signature
    }

    func validated() throws(HTTPProblem) -> ModelVersionChange {
        var validation = FieldValidation()
        RegistryRules.checkDescription(description, into: &validation)
        RegistryRules.checkDescription(statusMessage, field: "status_message", into: &validation)
        RegistryRules.checkMetrics(metrics ?? [:], into: &validation)
        if let signature { RegistryRules.checkSignature(signature, into: &validation) }
        try validation.validate()
        return ModelVersionChange(description: description, status: status, statusMessage: statusMessage, metrics: metrics, signature: signature)
    }
}

struct SetAliasRequest: StrictJSONBody {
    static let members: Set<String> = ["version", "reason"]
    var version: Int
    var reason: String?
}

struct CardRequest: StrictJSONBody {
    static let members: Set<String> = ["overview", "intended_use", "out_of_scope_use", "training_data", "evaluation", "limitations",
                                       "ethical_considerations", "owners"]
    var overview: String?
    var intendedUse: String?
    var outOfScopeUse: String?
    var trainingData: [DatasetVersionRef]?
    var evaluation: [RegistryEvent.ModelCardEvaluation]?
    var limitations: String?
    var ethicalConsiderations: String?
    var owners: [String]?

    enum CodingKeys: String, CodingKey {
        case overview, intendedUse = "intended_use", outOfScopeUse = "out_of_scope_use", trainingData = "training_data", evaluation
        case limitations, ethicalConsiderations = "ethical_considerations", owners
    }

    func validated() throws(HTTPProblem) -> ModelCard {
        var validation = FieldValidation()
        for (field, text) in [("overview", overview), ("intended_use", intendedUse), ("out_of_scope_use", outOfScopeUse),
                              ("limitations", limitations), ("ethical_considerations", ethicalConsiderations)] {
            validation.check((text?.count ?? 0) <= 20_000, field, "at most 20,000 characters")
        }
        validation.check((evaluation ?? []).allSatisfy { $0.value.isFinite && !$0.metric.isEmpty }, "evaluation", "every result needs a metric name and a finite value")
        validation.check((owners ?? []).count <= 50 && (owners ?? []).allSatisfy { !$0.isEmpty && $0.count <= 256 }, "owners",
                         "at most 50 owners of 1 to 256 characters")
        validation.check((trainingData ?? []).count <= 100 && (trainingData ?? []).allSatisfy {
            !$0.name.isEmpty && $0.name.count <= 256 && !$0.version.isEmpty && $0.version.count <= 256
        }, "training_data", "at most 100 datasets, each with a name and a version of 1 to 256 characters")
        validation.check((evaluation ?? []).count <= 500, "evaluation", "at most 500 results")
        try validation.validate()
        return ModelCard(overview: overview, intendedUse: intendedUse, outOfScopeUse: outOfScopeUse, trainingData: trainingData ?? [],
                         evaluation: evaluation ?? [], limitations: limitations, ethicalConsiderations: ethicalConsiderations, owners: owners ?? [])
    }
}
