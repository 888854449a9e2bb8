import Foundation
import MaestroEvents
import MaestroService

/// A policy as JSON (`GovernanceEvent.ApprovalPolicy`'s members), validated.
struct PolicyRequest: StrictJSONBody {
    static let members: Set<String> = ["required_approvals", "distinct_approvers", "approver_role", "separation_of_duties", "expires_after_seconds",
                                       "min_card_completeness", "metric_thresholds", "require_signature", "require_no_open_drift_alert",
                                       "require_within_budget"]
    let policy: GovernanceEvent.ApprovalPolicy

    init(from decoder: any Decoder) throws {
        policy = try GovernanceEvent.ApprovalPolicy(from: decoder)
    }

    func validated() throws(HTTPProblem) -> GovernanceEvent.ApprovalPolicy {
        var validation = FieldValidation()
        validation.check((1...10).contains(policy.requiredApprovals), "required_approvals", "must be 1 to 10")
        validation.check((60...(90 * 24 * 3600)).contains(policy.expiresAfterSeconds), "expires_after_seconds", "must be 60 s to 90 days")
        validation.check(policy.minCardCompleteness.map { (0...1).contains($0) } ?? true, "min_card_completeness", "must be from 0 to 1")
        validation.check(policy.metricThresholds.count <= 50, "metric_thresholds", "at most 50 thresholds")
        for threshold in policy.metricThresholds {
            validation.check(!threshold.metric.isEmpty && threshold.metric.count <= 250 && threshold.value.isFinite, "metric_thresholds",
                             "each needs a metric name of 1 to 250 characters and a finite value")
        }
        validation.check(policy.approverRole != .viewer, "approver_role", "viewers cannot approve")
        validation.check(policy.requiredApprovals == 1 || policy.distinctApprovers, "distinct_approvers",
                         "must be true when more than one approval is required, or one principal could approve alone")
        try validation.validate()
        return policy
    }
}

struct PolicyBody: Encodable {
    let stored: ApprovalStore.StoredPolicy

    init(_ stored: ApprovalStore.StoredPolicy) {
        self.stored = stored
    }

    enum CodingKeys: String, CodingKey {
        case id, revision, policy, isDefault = "is_default"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(stored.id?.uuidString.lowercased(), forKey: .id)
        try container.encode(stored.revision, forKey: .revision)
        try container.encode(stored.policy, forKey: .policy)
        try container.encode(stored.id == nil, forKey: .isDefault)
    }
}

struct OpenApprovalRequest: StrictJSONBody {
    static let members: Set<String> = ["subject", "reason"]
    var subject: String
    var reason: String?
}

struct CommentRequest: StrictJSONBody {
    static let members: Set<String> = ["comment"]
    var comment: String
}

struct CommentBody: Encodable {
    let principal: String
    let comment: String
    let commentedAt: Date

    init(_ comment: ApprovalStore.Comment) {
        principal = comment.principal
        self.comment = comment.comment
        commentedAt = comment.at
    }

    enum CodingKeys: String, CodingKey {
        case principal, comment, commentedAt = "commented_at"
    }
}

struct DecisionRequest: StrictJSONBody {
    static let members: Set<String> = ["approve", "comment"]
    var approve: Bool
    var comment: String?
}

struct ApprovalSummaryBody: Encodable {
    let summary: ApprovalStore.Summary

    init(_ summary: ApprovalStore.Summary) {
        self.summary = summary
    }

    enum CodingKeys: String, CodingKey {
        case id, subject, state, requestedBy = "requested_by", requestedAt = "requested_at", expiresAt = "expires_at", decidedAt = "decided_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(summary.id.uuidString.lowercased(), forKey: .id)
        try container.encode(summary.subject, forKey: .subject)
        try container.encode(summary.state, forKey: .state)
        try container.encode(summary.requestedBy, forKey: .requestedBy)
        try container.encode(summary.requestedAt, forKey: .requestedAt)
        try container.encode(summary.expiresAt, forKey: .expiresAt)
        try container.encodeIfPresent(summary.decidedAt, forKey: .decidedAt)
    }
}

/// A request with its policy, checks (with evidence) and decisions.
struct ApprovalBody: Encodable {
    let stored: StoredApproval

    init(_ stored: StoredApproval) {
        self.stored = stored
    }

    struct CheckBody: Encodable {
        let name: String
        let kind: String
        let passed: Bool
        let reason: String
        let evidence: [String: ScalarValue]
    }

    struct DecisionBody: Encodable {
        let principal: String
        let decision: String
        let comment: String?
        let decidedAt: Date

        enum CodingKeys: String, CodingKey {
            case principal, decision, comment, decidedAt = "decided_at"
        }
    }

    /// Where a promotion's move stands, seen from governance: the registry moves the alias
    /// asynchronously, when `approval.granted` reaches it, so an approval's answer cannot say it
    /// has moved; it says what happens next and where to follow it.
    struct PromotionMoveBody: Encodable {
        /// `AWAITING_APPROVAL` while the request is pending; `PENDING` once approved (the
        /// registry has yet to confirm the move); `NONE` when the request ended otherwise.
        let status: String
        let detail: String
        /// The promotion on the registry, whose `state` becomes `COMPLETED` when the alias moved.
        let registryPath: String

        enum CodingKeys: String, CodingKey {
            case status, detail, registryPath = "registry_path"
        }

        init(_ promotion: GovernanceEvent.PromotionRef, state: ApprovalRequest.State) {
            let name = promotion.modelName.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? promotion.modelName
            registryPath = "/v1/models/\(name)/promotions/\(promotion.promotionID)"
            switch state {
            case .pending:
                status = "AWAITING_APPROVAL"
                detail = "The alias moves once the request is approved."
            case .approved:
                status = "PENDING"
                detail = "Approved. The registry moves '\(promotion.alias)' to version \(promotion.version) when it receives approval.granted, "
                    + "usually within a second; the promotion's state becomes COMPLETED."
            default:
                status = "NONE"
                detail = "The request is \(state.rawValue): '\(promotion.alias)' does not move."
            }
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, subject, promotion, promotionMove = "promotion_move", state, requestedBy = "requested_by", requestedAt = "requested_at"
        case expiresAt = "expires_at", policy, checks, decisions, approvals, requiredApprovals = "required_approvals"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let request = stored.request
        try container.encode(stored.id.uuidString.lowercased(), forKey: .id)
        try container.encode(stored.subject, forKey: .subject)
        try container.encodeIfPresent(stored.promotion, forKey: .promotion)
        try container.encodeIfPresent(stored.promotion.map { PromotionMoveBody($0, state: request.state) }, forKey: .promotionMove)
        try container.encode(request.state.rawValue, forKey: .state)
        try container.encode(request.requester, forKey: .requestedBy)
        try container.encode(request.requestedAt, forKey: .requestedAt)
        try container.encode(stored.expiresAt, forKey: .expiresAt)
        try container.encode(request.policy, forKey: .policy)
        try container.encode(request.checks.map { CheckBody(name: $0.name, kind: $0.kind.rawValue, passed: $0.passed, reason: $0.reason, evidence: $0.evidence) },
                             forKey: .checks)
        try container.encode(request.decisions.map { DecisionBody(principal: $0.principal, decision: $0.approve ? "APPROVE" : "REJECT",
                                                                   comment: $0.comment, decidedAt: $0.at) }, forKey: .decisions)
        try container.encode(request.approvals, forKey: .approvals)
        try container.encode(request.policy.requiredApprovals, forKey: .requiredApprovals)
    }
}
