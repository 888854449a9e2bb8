import Foundation

/// Events governance publishes on `maestro.governance.events`, keyed by the subject of the
/// decision, through its transactional outbox. Identity events never carry a secret, a token or a
/// hash of one.
public enum GovernanceEvent: EventDomain {
    public static let topic = Topic.governanceEvents
    public static let source = "/maestro/governance"

    /// An event of this domain: only this domain's service emits it.
    public protocol Payload: DomainEvent where Domain == GovernanceEvent {}
}

extension GovernanceEvent {
    /// A tenant was created. Every row, event and request of Maestro belongs to one tenant.
    public struct TenantCreated: Payload {
        public static let eventType = EventType("io.maestro.governance.tenant.created.v1", topic: .governanceEvents)

        /// Id of the new tenant, e.g. `default`.
        public var tenantID: String
        /// Human-readable name.
        public var displayName: String?
        /// Principal that created the tenant (`system` for the bootstrap tenant).
        public var createdBy: String
        /// When the tenant was created.
        public var createdAt: Date

        public init(tenantID: String, displayName: String? = nil, createdBy: String, createdAt: Date) {
            self.tenantID = tenantID
            self.displayName = displayName
            self.createdBy = createdBy
            self.createdAt = createdAt
        }

        enum CodingKeys: String, CodingKey {
            case tenantID = "tenant_id"
            case displayName = "display_name"
            case createdBy = "created_by"
            case createdAt = "created_at"
        }
    }
}

extension GovernanceEvent {
    /// A tenant was disabled: its keys mint no more tokens and its requests are refused. Its data
    /// and history stay.
    public struct TenantDisabled: Payload {
        public static let eventType = EventType("io.maestro.governance.tenant.disabled.v1", topic: .governanceEvents)

        /// Id of the tenant.
        public var tenantID: String
        /// Why the tenant was disabled.
        public var reason: String?
        /// Principal that disabled the tenant.
        public var disabledBy: String
        /// When the tenant was disabled.
        public var disabledAt: Date

        public init(tenantID: String, reason: String? = nil, disabledBy: String, disabledAt: Date) {
            self.tenantID = tenantID
            self.reason = reason
            self.disabledBy = disabledBy
            self.disabledAt = disabledAt
        }

        enum CodingKeys: String, CodingKey {
            case tenantID = "tenant_id"
            case reason
            case disabledBy = "disabled_by"
            case disabledAt = "disabled_at"
        }
    }
}

extension GovernanceEvent {
    /// A principal (a user or a service account) was created in the tenant.
    public struct PrincipalCreated: Payload {
        public static let eventType = EventType("io.maestro.governance.principal.created.v1", topic: .governanceEvents)

        /// Id of the principal; the `sub` of its tokens and the `authid` of its events.
        public var principalID: String
        /// User or service account.
        public var kind: PrincipalKind
        /// Human-readable name.
        public var displayName: String
        /// Principal that created it.
        public var createdBy: String
        /// When it was created.
        public var createdAt: Date

        public init(principalID: String, kind: PrincipalKind, displayName: String, createdBy: String, createdAt: Date) {
            self.principalID = principalID
            self.kind = kind
            self.displayName = displayName
            self.createdBy = createdBy
            self.createdAt = createdAt
        }

        enum CodingKeys: String, CodingKey {
            case principalID = "principal_id"
            case kind
            case displayName = "display_name"
            case createdBy = "created_by"
            case createdAt = "created_at"
        }
    }
}

extension GovernanceEvent {
    /// A principal was disabled: its API keys mint no more tokens. Tokens already issued stay valid
    /// until they expire.
    public struct PrincipalDisabled: Payload {
        public static let eventType = EventType("io.maestro.governance.principal.disabled.v1", topic: .governanceEvents)

        /// Id of the principal.
        public var principalID: String
        /// Why it was disabled.
        public var reason: String?
        /// Principal that disabled it.
        public var disabledBy: String
        /// When it was disabled.
        public var disabledAt: Date

        public init(principalID: String, reason: String? = nil, disabledBy: String, disabledAt: Date) {
            self.principalID = principalID
            self.reason = reason
            self.disabledBy = disabledBy
            self.disabledAt = disabledAt
        }

        enum CodingKeys: String, CodingKey {
            case principalID = "principal_id"
            case reason
            case disabledBy = "disabled_by"
            case disabledAt = "disabled_at"
        }
    }
}

extension GovernanceEvent {
    /// A principal was given a role in the tenant. Tokens minted from now on carry it.
    public struct RoleBindingCreated: Payload {
        public static let eventType = EventType("io.maestro.governance.role_binding.created.v1", topic: .governanceEvents)

        /// Id of the role binding.
        public var bindingID: String
        /// The principal given the role.
        public var principalID: String
        /// The role.
        public var role: Role
        /// Principal that granted the role.
        public var createdBy: String
        /// When the role was granted.
        public var createdAt: Date

        public init(bindingID: String, principalID: String, role: Role, createdBy: String, createdAt: Date) {
            self.bindingID = bindingID
            self.principalID = principalID
            self.role = role
            self.createdBy = createdBy
            self.createdAt = createdAt
        }

        enum CodingKeys: String, CodingKey {
            case bindingID = "binding_id"
            case principalID = "principal_id"
            case role
            case createdBy = "created_by"
            case createdAt = "created_at"
        }
    }
}

extension GovernanceEvent {
    /// A principal's role in the tenant was taken away. Tokens minted from now on no longer carry
    /// it.
    public struct RoleBindingRevoked: Payload {
        public static let eventType = EventType("io.maestro.governance.role_binding.revoked.v1", topic: .governanceEvents)

        /// Id of the role binding.
        public var bindingID: String
        /// The principal that lost the role.
        public var principalID: String
        /// The role.
        public var role: Role
        /// Principal that revoked the role.
        public var revokedBy: String
        /// When the role was revoked.
        public var revokedAt: Date

        public init(bindingID: String, principalID: String, role: Role, revokedBy: String, revokedAt: Date) {
            self.bindingID = bindingID
            self.principalID = principalID
            self.role = role
            self.revokedBy = revokedBy
            self.revokedAt = revokedAt
        }

        enum CodingKeys: String, CodingKey {
            case bindingID = "binding_id"
            case principalID = "principal_id"
            case role
            case revokedBy = "revoked_by"
            case revokedAt = "revoked_at"
        }
    }
}

extension GovernanceEvent {
    /// An API key was issued to a principal. Carries only the key's id and its public prefix: never
    /// the secret nor its hash.
    public struct APIKeyCreated: Payload {
        public static let eventType = EventType("io.maestro.governance.api_key.created.v1", topic: .governanceEvents)

        /// Id of the key.
        public var keyID: String
        /// The short public prefix that identifies the key.
        public var prefix: String
        /// The principal the key authenticates as.
        public var principalID: String
        /// Label given to the key.
        public var name: String?
        /// When the key stops working; absent when it does not expire.
        public var expiresAt: Date?
        /// Principal that issued the key.
        public var createdBy: String
        /// When the key was issued.
        public var createdAt: Date

        public init(
            keyID: String,
            prefix: String,
            principalID: String,
            name: String? = nil,
            expiresAt: Date? = nil,
            createdBy: String,
            createdAt: Date
        ) {
            self.keyID = keyID
            self.prefix = prefix
            self.principalID = principalID
            self.name = name
            self.expiresAt = expiresAt
            self.createdBy = createdBy
            self.createdAt = createdAt
        }

        enum CodingKeys: String, CodingKey {
            case keyID = "key_id"
            case prefix
            case principalID = "principal_id"
            case name
            case expiresAt = "expires_at"
            case createdBy = "created_by"
            case createdAt = "created_at"
        }
    }
}

extension GovernanceEvent {
    /// An API key was revoked and mints no more tokens. Carries only the key's id and public
    /// prefix.
    public struct APIKeyRevoked: Payload {
        public static let eventType = EventType("io.maestro.governance.api_key.revoked.v1", topic: .governanceEvents)

        /// Id of the key.
        public var keyID: String
        /// The short public prefix that identifies the key.
        public var prefix: String
        /// The principal the key authenticated as.
        public var principalID: String
        /// Why the key was revoked.
        public var reason: String?
        /// Principal that revoked the key.
        public var revokedBy: String
        /// When the key was revoked.
        public var revokedAt: Date

        public init(
            keyID: String,
            prefix: String,
            principalID: String,
            reason: String? = nil,
            revokedBy: String,
            revokedAt: Date
        ) {
            self.keyID = keyID
            self.prefix = prefix
            self.principalID = principalID
            self.reason = reason
            self.revokedBy = revokedBy
            self.revokedAt = revokedAt
        }

        enum CodingKeys: String, CodingKey {
            case keyID = "key_id"
            case prefix
            case principalID = "principal_id"
            case reason
            case revokedBy = "revoked_by"
            case revokedAt = "revoked_at"
        }
    }
}

extension GovernanceEvent {
    /// An approval policy was created or replaced, for the whole tenant or for one model. Requests
    /// opened from now on follow this revision; open requests keep theirs.
    public struct PolicySet: Payload {
        public static let eventType = EventType("io.maestro.governance.policy.set.v1", topic: .governanceEvents)

        /// Id of the policy.
        public var policyID: String
        /// Tenant-wide or for one model.
        public var scope: PolicyScope
        /// The model a model-scoped policy applies to.
        public var modelName: String?
        /// Revision of the policy, counted from 1.
        public var revision: Int
        /// The policy's rules.
        public var policy: ApprovalPolicy
        /// Principal that set the policy.
        public var setBy: String
        /// When the policy was set.
        public var setAt: Date

        public init(
            policyID: String,
            scope: PolicyScope,
            modelName: String? = nil,
            revision: Int,
            policy: ApprovalPolicy,
            setBy: String,
            setAt: Date
        ) {
            self.policyID = policyID
            self.scope = scope
            self.modelName = modelName
            self.revision = revision
            self.policy = policy
            self.setBy = setBy
            self.setAt = setAt
        }

        enum CodingKeys: String, CodingKey {
            case policyID = "policy_id"
            case scope
            case modelName = "model_name"
            case revision
            case policy
            case setBy = "set_by"
            case setAt = "set_at"
        }
    }
}

extension GovernanceEvent {
    /// An approval request was opened, in state `PENDING`, e.g. for a registry promotion. Its
    /// checks follow as `approval.check_evaluated` events.
    public struct ApprovalRequested: Payload {
        public static let eventType = EventType("io.maestro.governance.approval.requested.v1", topic: .governanceEvents)

        /// Id of the approval request.
        public var approvalID: String
        /// What the request decides, e.g. `models/fraud/aliases/champion`; the Kafka key.
        public var subject: String
        /// The registry promotion the request decides; absent for other subjects.
        public var promotion: PromotionRef?
        /// Policy the request follows.
        public var policyID: String
        /// Revision of that policy.
        public var policyRevision: Int
        /// Approvals needed.
        public var requiredApprovals: Int
        /// Why the requester asks.
        public var reason: String?
        /// Principal that asked.
        public var requestedBy: String
        /// When the request was opened.
        public var requestedAt: Date
        /// When the request expires if still pending.
        public var expiresAt: Date

        public init(
            approvalID: String,
            subject: String,
            promotion: PromotionRef? = nil,
            policyID: String,
            policyRevision: Int,
            requiredApprovals: Int,
            reason: String? = nil,
            requestedBy: String,
            requestedAt: Date,
            expiresAt: Date
        ) {
            self.approvalID = approvalID
            self.subject = subject
            self.promotion = promotion
            self.policyID = policyID
            self.policyRevision = policyRevision
            self.requiredApprovals = requiredApprovals
            self.reason = reason
            self.requestedBy = requestedBy
            self.requestedAt = requestedAt
            self.expiresAt = expiresAt
        }

        enum CodingKeys: String, CodingKey {
            case approvalID = "approval_id"
            case subject
            case promotion
            case policyID = "policy_id"
            case policyRevision = "policy_revision"
            case requiredApprovals = "required_approvals"
            case reason
            case requestedBy = "requested_by"
            case requestedAt = "requested_at"
            case expiresAt = "expires_at"
        }
    }
}

extension GovernanceEvent {
    /// An automatic check of an approval request was evaluated against the facts governance holds.
    /// A check is evaluated again when its facts change; the latest evaluation counts. A check
    /// without facts passes with the reason `no data`.
    public struct ApprovalCheckEvaluated: Payload {
        public static let eventType = EventType("io.maestro.governance.approval.check_evaluated.v1", topic: .governanceEvents)

        /// Id of the approval request.
        public var approvalID: String
        /// What the request decides, e.g. `models/fraud/aliases/champion`; the Kafka key.
        public var subject: String
        /// Name of the check within the policy, e.g. `metric:accuracy>=0.9`.
        public var check: String
        /// What the check tests.
        public var kind: CheckKind
        /// Whether the check passed.
        public var passed: Bool
        /// Why it passed or failed, in words.
        public var reason: String
        /// The facts the check used, e.g. `{"observed": 0.93, "threshold": 0.9}`.
        public var evidence: [String: ScalarValue]
        /// When the check was evaluated.
        public var evaluatedAt: Date

        public init(
            approvalID: String,
            subject: String,
            check: String,
            kind: CheckKind,
            passed: Bool,
            reason: String,
            evidence: [String: ScalarValue],
            evaluatedAt: Date
        ) {
            self.approvalID = approvalID
            self.subject = subject
            self.check = check
            self.kind = kind
            self.passed = passed
            self.reason = reason
            self.evidence = evidence
            self.evaluatedAt = evaluatedAt
        }

        enum CodingKeys: String, CodingKey {
            case approvalID = "approval_id"
            case subject
            case check
            case kind
            case passed
            case reason
            case evidence
            case evaluatedAt = "evaluated_at"
        }
    }
}

extension GovernanceEvent {
    /// A reviewer approved or rejected an approval request. The request's outcome follows as its
    /// own event once it is decided.
    public struct ApprovalDecisionRecorded: Payload {
        public static let eventType = EventType("io.maestro.governance.approval.decision_recorded.v1", topic: .governanceEvents)

        /// Id of the approval request.
        public var approvalID: String
        /// What the request decides, e.g. `models/fraud/aliases/champion`; the Kafka key.
        public var subject: String
        /// The reviewer's decision.
        public var decision: ApprovalDecision
        /// The reviewer's comment.
        public var comment: String?
        /// Approvals counted so far, this one included.
        public var approvals: Int
        /// Approvals needed.
        public var requiredApprovals: Int
        /// The reviewer.
        public var decidedBy: String
        /// When the decision was recorded.
        public var decidedAt: Date

        public init(
            approvalID: String,
            subject: String,
            decision: ApprovalDecision,
            comment: String? = nil,
            approvals: Int,
            requiredApprovals: Int,
            decidedBy: String,
            decidedAt: Date
        ) {
            self.approvalID = approvalID
            self.subject = subject
            self.decision = decision
            self.comment = comment
            self.approvals = approvals
            self.requiredApprovals = requiredApprovals
            self.decidedBy = decidedBy
            self.decidedAt = decidedAt
        }

        enum CodingKeys: String, CodingKey {
            case approvalID = "approval_id"
            case subject
            case decision
            case comment
            case approvals
            case requiredApprovals = "required_approvals"
            case decidedBy = "decided_by"
            case decidedAt = "decided_at"
        }
    }
}

extension GovernanceEvent {
    /// An approval request was granted: it had the approvals its policy requires and every check
    /// passed. Final state `APPROVED`; for a promotion, the registry moves the alias.
    public struct ApprovalGranted: Payload {
        public static let eventType = EventType("io.maestro.governance.approval.granted.v1", topic: .governanceEvents)

        /// Id of the approval request.
        public var approvalID: String
        /// What the request decides, e.g. `models/fraud/aliases/champion`; the Kafka key.
        public var subject: String
        /// The registry promotion the request decides; absent for other subjects.
        public var promotion: PromotionRef?
        /// Principals that approved.
        public var approvers: [String]
        /// When the request was granted.
        public var grantedAt: Date

        public init(
            approvalID: String,
            subject: String,
            promotion: PromotionRef? = nil,
            approvers: [String],
            grantedAt: Date
        ) {
            self.approvalID = approvalID
            self.subject = subject
            self.promotion = promotion
            self.approvers = approvers
            self.grantedAt = grantedAt
        }

        enum CodingKeys: String, CodingKey {
            case approvalID = "approval_id"
            case subject
            case promotion
            case approvers
            case grantedAt = "granted_at"
        }
    }
}

extension GovernanceEvent {
    /// An approval request was rejected by a reviewer. Final state `REJECTED`; for a promotion, the
    /// alias stays where it is.
    public struct ApprovalRejected: Payload {
        public static let eventType = EventType("io.maestro.governance.approval.rejected.v1", topic: .governanceEvents)

        /// Id of the approval request.
        public var approvalID: String
        /// What the request decides, e.g. `models/fraud/aliases/champion`; the Kafka key.
        public var subject: String
        /// The registry promotion the request decides; absent for other subjects.
        public var promotion: PromotionRef?
        /// The reviewer's comment.
        public var comment: String?
        /// The reviewer that rejected the request.
        public var rejectedBy: String
        /// When the request was rejected.
        public var rejectedAt: Date

        public init(
            approvalID: String,
            subject: String,
            promotion: PromotionRef? = nil,
            comment: String? = nil,
            rejectedBy: String,
            rejectedAt: Date
        ) {
            self.approvalID = approvalID
            self.subject = subject
            self.promotion = promotion
            self.comment = comment
            self.rejectedBy = rejectedBy
            self.rejectedAt = rejectedAt
        }

        enum CodingKeys: String, CodingKey {
            case approvalID = "approval_id"
            case subject
            case promotion
            case comment
            case rejectedBy = "rejected_by"
            case rejectedAt = "rejected_at"
        }
    }
}

extension GovernanceEvent {
    /// An approval request reached its expiry while still pending. Final state `EXPIRED`; for a
    /// promotion, the alias stays where it is.
    public struct ApprovalExpired: Payload {
        public static let eventType = EventType("io.maestro.governance.approval.expired.v1", topic: .governanceEvents)

        /// Id of the approval request.
        public var approvalID: String
        /// What the request decides, e.g. `models/fraud/aliases/champion`; the Kafka key.
        public var subject: String
        /// The registry promotion the request decides; absent for other subjects.
        public var promotion: PromotionRef?
        /// Approvals it had when it expired.
        public var approvals: Int
        /// Approvals it needed.
        public var requiredApprovals: Int
        /// When the request expired.
        public var expiredAt: Date

        public init(
            approvalID: String,
            subject: String,
            promotion: PromotionRef? = nil,
            approvals: Int,
            requiredApprovals: Int,
            expiredAt: Date
        ) {
            self.approvalID = approvalID
            self.subject = subject
            self.promotion = promotion
            self.approvals = approvals
            self.requiredApprovals = requiredApprovals
            self.expiredAt = expiredAt
        }

        enum CodingKeys: String, CodingKey {
            case approvalID = "approval_id"
            case subject
            case promotion
            case approvals
            case requiredApprovals = "required_approvals"
            case expiredAt = "expired_at"
        }
    }
}

extension GovernanceEvent {
    /// An approval request was withdrawn before it was decided. Final state `CANCELLED`; for a
    /// promotion, the alias stays where it is.
    public struct ApprovalCancelled: Payload {
        public static let eventType = EventType("io.maestro.governance.approval.cancelled.v1", topic: .governanceEvents)

        /// Id of the approval request.
        public var approvalID: String
        /// What the request decides, e.g. `models/fraud/aliases/champion`; the Kafka key.
        public var subject: String
        /// The registry promotion the request decides; absent for other subjects.
        public var promotion: PromotionRef?
        /// Why it was cancelled.
        public var reason: String?
        /// Principal that cancelled the request.
        public var cancelledBy: String
        /// When the request was cancelled.
        public var cancelledAt: Date

        public init(
            approvalID: String,
            subject: String,
            promotion: PromotionRef? = nil,
            reason: String? = nil,
            cancelledBy: String,
            cancelledAt: Date
        ) {
            self.approvalID = approvalID
            self.subject = subject
            self.promotion = promotion
            self.reason = reason
            self.cancelledBy = cancelledBy
            self.cancelledAt = cancelledAt
        }

        enum CodingKeys: String, CodingKey {
            case approvalID = "approval_id"
            case subject
            case promotion
            case reason
            case cancelledBy = "cancelled_by"
            case cancelledAt = "cancelled_at"
        }
    }
}

extension GovernanceEvent {
    /// A role a principal holds in a tenant.
    public enum Role: String, Codable, Sendable, CaseIterable {
        /// Reads.
        case viewer
        /// Writes.
        case editor
        /// Decides approval requests.
        case approver
        /// Manages tenants, principals, keys and policies.
        case admin
    }

    /// What kind of identity a principal is.
    public enum PrincipalKind: String, Codable, Sendable, CaseIterable {
        /// A person.
        case user
        /// A job, pipeline or service.
        case serviceAccount = "service_account"
    }

    /// What a policy applies to.
    public enum PolicyScope: String, Codable, Sendable, CaseIterable {
        /// Every subject of the tenant without a more specific policy.
        case tenant
        /// One registered model, overriding the tenant's policy.
        case model
    }

    /// How a metric is compared with its threshold.
    public enum ThresholdComparison: String, Codable, Sendable, CaseIterable {
        case greaterThanOrEqual = ">="
        case greaterThan = ">"
        case lessThanOrEqual = "<="
        case lessThan = "<"
    }

    /// A check that a metric of the model version meets a threshold, e.g. `accuracy >= 0.9`.
    public struct MetricThreshold: Codable, Sendable, Equatable {
        /// Metric name.
        public var metric: String
        /// Comparison operator.
        public var comparison: ThresholdComparison
        /// Threshold.
        public var value: Double

        public init(metric: String, comparison: ThresholdComparison, value: Double) {
            self.metric = metric
            self.comparison = comparison
            self.value = value
        }

        enum CodingKeys: String, CodingKey {
            case metric
            case comparison
            case value
        }
    }

    /// What an approval request needs before it is granted.
    public struct ApprovalPolicy: Codable, Sendable, Equatable {
        /// Number of approvals needed.
        public var requiredApprovals: Int
        /// Whether each approval must come from a different principal.
        public var distinctApprovers: Bool
        /// Role a principal needs to approve.
        public var approverRole: Role
        /// Whether the requester is barred from approving their own request.
        public var separationOfDuties: Bool
        /// Seconds after which a pending request expires.
        public var expiresAfterSeconds: Int
        /// Minimum model card completeness, from 0 to 1; absent when not checked.
        public var minCardCompleteness: Double?
        /// Metric thresholds the version must meet.
        public var metricThresholds: [MetricThreshold]
        /// Whether the version must have a signature.
        public var requireSignature: Bool
        /// Whether the model must have no open drift alert.
        public var requireNoOpenDriftAlert: Bool
        /// Whether the tenant must be within its budget.
        public var requireWithinBudget: Bool

        public init(
            requiredApprovals: Int,
            distinctApprovers: Bool,
            approverRole: Role,
            separationOfDuties: Bool,
            expiresAfterSeconds: Int,
            minCardCompleteness: Double? = nil,
            metricThresholds: [MetricThreshold],
            requireSignature: Bool,
            requireNoOpenDriftAlert: Bool,
            requireWithinBudget: Bool
        ) {
            self.requiredApprovals = requiredApprovals
            self.distinctApprovers = distinctApprovers
            self.approverRole = approverRole
            self.separationOfDuties = separationOfDuties
            self.expiresAfterSeconds = expiresAfterSeconds
            self.minCardCompleteness = minCardCompleteness
            self.metricThresholds = metricThresholds
            self.requireSignature = requireSignature
            self.requireNoOpenDriftAlert = requireNoOpenDriftAlert
            self.requireWithinBudget = requireWithinBudget
        }

        enum CodingKeys: String, CodingKey {
            case requiredApprovals = "required_approvals"
            case distinctApprovers = "distinct_approvers"
            case approverRole = "approver_role"
            case separationOfDuties = "separation_of_duties"
            case expiresAfterSeconds = "expires_after_seconds"
            case minCardCompleteness = "min_card_completeness"
            case metricThresholds = "metric_thresholds"
            case requireSignature = "require_signature"
            case requireNoOpenDriftAlert = "require_no_open_drift_alert"
            case requireWithinBudget = "require_within_budget"
        }
    }

    /// The registry promotion an approval request decides.
    public struct PromotionRef: Codable, Sendable, Equatable {
        /// Id of the registry's promotion.
        public var promotionID: String
        /// Name of the registered model.
        public var modelName: String
        /// Version the alias is to point to.
        public var version: Int
        /// The protected alias.
        public var alias: String

        public init(promotionID: String, modelName: String, version: Int, alias: String) {
            self.promotionID = promotionID
            self.modelName = modelName
            self.version = version
            self.alias = alias
        }

        enum CodingKeys: String, CodingKey {
            case promotionID = "promotion_id"
            case modelName = "model_name"
            case version
            case alias
        }
    }

    /// A reviewer's decision on an approval request.
    public enum ApprovalDecision: String, Codable, Sendable, CaseIterable {
        case approve = "APPROVE"
        case reject = "REJECT"
    }

    /// The kind of fact an automatic check tests.
    public enum CheckKind: String, Codable, Sendable, CaseIterable {
        /// Model card completeness is at least the policy's minimum.
        case cardCompleteness = "card_completeness"
        /// A metric meets its threshold.
        case metricThreshold = "metric_threshold"
        /// The version has a signature.
        case signaturePresent = "signature_present"
        /// The model has no open drift alert.
        case noOpenDriftAlert = "no_open_drift_alert"
        /// The tenant has not exceeded its budget.
        case withinBudget = "within_budget"
    }
}
