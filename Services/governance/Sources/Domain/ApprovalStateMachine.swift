import Foundation
import MaestroDomain
import MaestroEvents

/// One approval request and the only way it changes: `PENDING → APPROVED | REJECTED |
/// EXPIRED | CANCELLED`. Final states never change again.
///
/// Invariants (each refusal names the rule):
/// - only a principal holding the policy's approver role decides;
/// - with separation of duties, the requester never approves their own request;
/// - with distinct approvers, one principal's approvals count once;
/// - a request whose checks failed cannot be approved (a reviewer may still reject it);
/// - the request is approved exactly when the required number of approvals is reached;
/// - past its expiry a pending request can only expire.
struct ApprovalRequest: Sendable, Equatable {
    enum State: String, Sendable, Codable {
        case pending = "PENDING", approved = "APPROVED", rejected = "REJECTED", expired = "EXPIRED", cancelled = "CANCELLED"
    }

    struct Decision: Sendable, Equatable {
        var principal: String
        var approve: Bool
        var comment: String?
        var at: Date
    }

    /// A transition the rules refuse: forbidden for who acts (role, separation of duties,
    /// requester), a conflict with the request's state otherwise.
    enum Refusal: DomainError, Equatable {
        case notPending(State)
        case missingRole(String)
        case selfApproval
        case alreadyApproved(String)
        case checksFailed([String])
        case expired
        case notRequester

        var kind: DomainErrorKind {
            switch self {
            case .missingRole, .selfApproval, .notRequester: .forbidden
            case .notPending, .alreadyApproved, .checksFailed, .expired: .conflict
            }
        }

        var description: String {
            switch self {
            case .notPending(let state): "The request is already \(state.rawValue)."
            case .missingRole(let role): "Deciding takes the \(role) role."
            case .selfApproval: "Separation of duties: the requester cannot approve their own request."
            case .alreadyApproved(let principal): "\(principal) has already approved; approvals must come from distinct principals."
            case .checksFailed(let checks): "Failing checks block approval: \(checks.joined(separator: ", "))."
            case .expired: "The request has expired."
            case .notRequester: "Only the requester or an admin can cancel the request."
            }
        }
    }

    /// What a transition did, for the events to emit.
    enum Outcome: Sendable, Equatable {
        case recorded
        case approved
        case rejected
        case expired
        case cancelled
    }

    let policy: GovernanceEvent.ApprovalPolicy
    let requester: String
    let requestedAt: Date
    private(set) var state: State = .pending
    private(set) var decisions: [Decision] = []
    private(set) var checks: [CheckResult]

    /// The deadline: the policy's expiry after the request, unless a stored deadline is given.
    let expiresAt: Date

    init(policy: GovernanceEvent.ApprovalPolicy, requester: String, requestedAt: Date, checks: [CheckResult], expiresAt: Date? = nil) {
        self.policy = policy
        self.requester = requester
        self.requestedAt = requestedAt
        self.checks = checks
        self.expiresAt = expiresAt ?? requestedAt.addingTimeInterval(TimeInterval(policy.expiresAfterSeconds))
    }

    /// A stored request, as it was left; its stored deadline is the one that counts.
    init(restoring state: State, policy: GovernanceEvent.ApprovalPolicy, requester: String, requestedAt: Date, expiresAt: Date,
         checks: [CheckResult], decisions: [Decision]) {
        self.init(policy: policy, requester: requester, requestedAt: requestedAt, checks: checks, expiresAt: expiresAt)
        self.state = state
        self.decisions = decisions
    }

    var failedChecks: [String] { checks.filter { !$0.passed }.map(\.name) }
    var approvals: Int { decisions.filter(\.approve).count }

    /// A reviewer's approval or rejection.
    mutating func decide(by principal: String, roles: Set<String>, approve: Bool, comment: String?, at now: Date) throws(Refusal) -> Outcome {
        guard state == .pending else { throw .notPending(state) }
        guard now < expiresAt else { throw .expired }
        guard roles.contains(policy.approverRole.rawValue) || roles.contains("admin") else { throw .missingRole(policy.approverRole.rawValue) }
        if approve {
            if policy.separationOfDuties && principal == requester { throw .selfApproval }
            if policy.distinctApprovers && decisions.contains(where: { $0.approve && $0.principal == principal }) { throw .alreadyApproved(principal) }
            guard failedChecks.isEmpty else { throw .checksFailed(failedChecks) }
        }
        decisions.append(Decision(principal: principal, approve: approve, comment: comment, at: now))
        if !approve {
            state = .rejected
            return .rejected
        }
        if approvals >= policy.requiredApprovals {
            state = .approved
            return .approved
        }
        return .recorded
    }

    /// Expiry, by the scheduler (idempotent once final).
    mutating func expire(at now: Date) -> Outcome? {
        guard state == .pending, now >= expiresAt else { return nil }
        state = .expired
        return .expired
    }

    mutating func cancel(by principal: String, isAdmin: Bool) throws(Refusal) -> Outcome {
        guard state == .pending else { throw .notPending(state) }
        guard principal == requester || isAdmin else { throw .notRequester }
        state = .cancelled
        return .cancelled
    }
}
