/// Every event type of the contract, with its payload type.
///
/// A type listed here has a JSON Schema in `Schemas/<name>.json` and is documented in
/// `asyncapi.yaml`; tests hold the three in step.
public enum EventCatalog {
    public static let payloadTypes: [any EventPayload.Type] = [
        RegistryEvent.ModelCreated.self,
        RegistryEvent.ModelUpdated.self,
        RegistryEvent.ModelRenamed.self,
        RegistryEvent.ModelDeleted.self,
        RegistryEvent.ModelVersionCreated.self,
        RegistryEvent.ModelVersionUpdated.self,
        RegistryEvent.ModelVersionStatusChanged.self,
        RegistryEvent.ModelVersionDeleted.self,
        RegistryEvent.TagSet.self,
        RegistryEvent.TagDeleted.self,
        RegistryEvent.AliasMoved.self,
        RegistryEvent.AliasDeleted.self,
        RegistryEvent.ModelCardUpdated.self,
        RegistryEvent.PromotionRequested.self,
        RegistryEvent.PromotionCompleted.self,
        RegistryEvent.PromotionRejected.self,
        RegistryEvent.PromotionCancelled.self,
        GovernanceEvent.TenantCreated.self,
        GovernanceEvent.TenantDisabled.self,
        GovernanceEvent.PrincipalCreated.self,
        GovernanceEvent.PrincipalDisabled.self,
        GovernanceEvent.RoleBindingCreated.self,
        GovernanceEvent.RoleBindingRevoked.self,
        GovernanceEvent.APIKeyCreated.self,
        GovernanceEvent.APIKeyRevoked.self,
        GovernanceEvent.PolicySet.self,
        GovernanceEvent.ApprovalRequested.self,
        GovernanceEvent.ApprovalCheckEvaluated.self,
        GovernanceEvent.ApprovalDecisionRecorded.self,
        GovernanceEvent.ApprovalGranted.self,
        GovernanceEvent.ApprovalRejected.self,
        GovernanceEvent.ApprovalExpired.self,
        GovernanceEvent.ApprovalCancelled.self,
        AuditEvent.CheckpointSigned.self,
        AuditEvent.TamperDetected.self,
        IngestEvent.PredictionLogged.self,
        IngestEvent.FeatureRowsPushed.self,
        IngestEvent.UsageRecorded.self,
    ]

    public static var types: [EventType] {
        payloadTypes.map { $0.eventType }
    }

    /// The event type with this CloudEvents `type` name, if the contract has it.
    public static func type(named name: String) -> EventType? {
        payloadTypes.lazy.map { $0.eventType }.first { $0.name == name }
    }
}
