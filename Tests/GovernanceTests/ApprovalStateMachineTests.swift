import Foundation
import MaestroDomain
import MaestroEvents
import Testing
@testable import Governance

/// The approval state machine and the policy checks, without a database.
@Suite("Approval state machine and policy checks")
struct ApprovalStateMachineTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func policy(approvals: Int = 2, minCompleteness: Double? = 0.75, thresholds: [GovernanceEvent.MetricThreshold] = [],
                       signature: Bool = true) -> GovernanceEvent.ApprovalPolicy {
        GovernanceEvent.ApprovalPolicy(requiredApprovals: approvals, distinctApprovers: true, approverRole: .approver, separationOfDuties: true,
                                       expiresAfterSeconds: 3600, minCardCompleteness: minCompleteness, metricThresholds: thresholds,
                                       requireSignature: signature, requireNoOpenDriftAlert: true, requireWithinBudget: true)
    }

    static let goodFacts = ApprovalFacts(metrics: ["auc": 0.93], cardCompleteness: 0.88, missingCardSections: ["limitations"],
                                         signaturePresent: true, openDriftAlerts: nil, budgetExceeded: nil)

    func request(_ policy: GovernanceEvent.ApprovalPolicy = policy(), facts: ApprovalFacts = goodFacts) -> ApprovalRequest {
        ApprovalRequest(policy: policy, requester: "ana", requestedAt: Self.now, checks: PolicyChecks.evaluate(policy, facts: facts))
    }

    @Test("checks: thresholds, completeness and signature decide; drift and budget without data pass with 'no data'")
    func checks() {
        let policy = Self.policy(thresholds: [.init(metric: "auc", comparison: .greaterThanOrEqual, value: 0.9),
                                              .init(metric: "latency_ms", comparison: .lessThan, value: 50)])
        let results = PolicyChecks.evaluate(policy, facts: Self.goodFacts)
        #expect(results.map(\.name) == ["card_completeness", "metric:auc>=0.9", "metric:latency_ms<50.0", "model_signature_present",
                                        "no_open_drift_alert", "within_budget"])
        #expect(results.map(\.passed) == [true, true, false, true, true, true])
        #expect(results[2].reason.contains("not recorded"))
        #expect(results[4].reason == "no data" && results[5].reason == "no data")

        var facts = Self.goodFacts
        facts.cardCompleteness = 0.5
        facts.signaturePresent = false
        facts.openDriftAlerts = 2
        facts.budgetExceeded = true
        let failing = PolicyChecks.evaluate(Self.policy(), facts: facts)
        #expect(failing.filter { !$0.passed }.map(\.name) == ["card_completeness", "model_signature_present", "no_open_drift_alert", "within_budget"])
        #expect(failing[0].reason.contains("missing: limitations"))
    }

    @Test("two distinct approvers with the role approve; the second approval completes the request")
    func twoApprovals() throws {
        var approval = request()
        #expect(try approval.decide(by: "bea", roles: ["approver"], approve: true, comment: "ok", at: Self.now) == .recorded)
        #expect(approval.state == .pending)
        #expect(throws: ApprovalRequest.Refusal.alreadyApproved("bea")) {
            try approval.decide(by: "bea", roles: ["approver"], approve: true, comment: nil, at: Self.now)
        }
        #expect(try approval.decide(by: "carl", roles: ["admin"], approve: true, comment: nil, at: Self.now) == .approved)
        #expect(approval.state == .approved && approval.approvals == 2)
        #expect(throws: ApprovalRequest.Refusal.notPending(.approved)) {
            try approval.decide(by: "dan", roles: ["approver"], approve: false, comment: nil, at: Self.now)
        }
    }

    @Test("the requester cannot approve their own request, and a principal without the role cannot decide")
    func separationOfDutiesAndRole() {
        var approval = request()
        #expect(throws: ApprovalRequest.Refusal.selfApproval) {
            try approval.decide(by: "ana", roles: ["approver"], approve: true, comment: nil, at: Self.now)
        }
        #expect(throws: ApprovalRequest.Refusal.missingRole("approver")) {
            try approval.decide(by: "eve", roles: ["editor"], approve: true, comment: nil, at: Self.now)
        }
        #expect(approval.decisions.isEmpty && approval.state == .pending)
    }

    @Test("a failing check blocks approval but not rejection")
    func failingCheckBlocks() throws {
        var facts = Self.goodFacts
        facts.signaturePresent = false
        var approval = request(facts: facts)
        #expect(throws: ApprovalRequest.Refusal.checksFailed(["model_signature_present"])) {
            try approval.decide(by: "bea", roles: ["approver"], approve: true, comment: nil, at: Self.now)
        }
        #expect(try approval.decide(by: "bea", roles: ["approver"], approve: false, comment: "no signature", at: Self.now) == .rejected)
        #expect(approval.state == .rejected)
    }

    @Test("past its expiry a request only expires, once; cancelling is for the requester or an admin")
    func expiryAndCancel() throws {
        var approval = request()
        #expect(approval.expire(at: Self.now.addingTimeInterval(3599)) == nil)
        let late = Self.now.addingTimeInterval(3600)
        #expect(throws: ApprovalRequest.Refusal.expired) {
            try approval.decide(by: "bea", roles: ["approver"], approve: true, comment: nil, at: late)
        }
        #expect(approval.expire(at: late) == .expired)
        #expect(approval.expire(at: late) == nil)
        #expect(approval.state == .expired)

        var other = request()
        #expect(throws: ApprovalRequest.Refusal.notRequester) { try other.cancel(by: "bea", isAdmin: false) }
        #expect(try other.cancel(by: "ana", isAdmin: false) == .cancelled)
        #expect(throws: ApprovalRequest.Refusal.notPending(.cancelled)) { try other.cancel(by: "ana", isAdmin: true) }
    }

    @Test("one approval is enough when the policy asks for one")
    func singleApproval() throws {
        var approval = request(Self.policy(approvals: 1))
        #expect(try approval.decide(by: "bea", roles: ["approver"], approve: true, comment: nil, at: Self.now) == .approved)
    }

    @Test("a refusal is forbidden for who acts and a conflict for the request's state; governance errors keep their kinds")
    func refusalKinds() {
        let forbidden: [ApprovalRequest.Refusal] = [.missingRole("approver"), .selfApproval, .notRequester]
        let conflicts: [ApprovalRequest.Refusal] = [.notPending(.approved), .alreadyApproved("bea"), .checksFailed(["model_signature_present"]), .expired]
        #expect(forbidden.allSatisfy { $0.kind == .forbidden })
        #expect(conflicts.allSatisfy { $0.kind == .conflict })
        #expect(ApprovalRequest.Refusal.checksFailed(["a", "b"]).description == "Failing checks block approval: a, b.")

        #expect(GovernanceError.notFound("Tenant 'x'").kind == .notFound)
        #expect(GovernanceError.notFound("Tenant 'x'").description == "Tenant 'x' does not exist.")
        #expect(GovernanceError.alreadyExists("Principal 'p'").kind == .alreadyExists)
        #expect(GovernanceError.alreadyExists("Principal 'p'").description == "Principal 'p' already exists.")
        #expect(GovernanceError.invalidCredentials.kind == .unauthenticated)
        #expect(GovernanceError.forbidden("no").kind == .forbidden)
        #expect(GovernanceError.internalState("no key").kind == .internalState)
    }
}
