import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroDomain
import MaestroHTTPTestSupport
import MaestroEvents
import MaestroPostgres
import MaestroService
import MaestroTestSupport
import PostgresNIO
import Testing
@testable import Governance

@Suite("Governance approval workflow", .serialized, .timeLimit(.minutes(2)))
struct ApprovalWorkflowTests {
    /// Every check a promotion can get: card completeness, one metric threshold, signature,
    /// drift and budget (the last two have no facts in governance yet).
    static let fullPolicy = #"""
        {"required_approvals":2,"distinct_approvers":true,"approver_role":"approver","separation_of_duties":true,"expires_after_seconds":86400,
         "min_card_completeness":0.8,"metric_thresholds":[{"metric":"accuracy","comparison":">=","value":0.9}],"require_signature":true,
         "require_no_open_drift_alert":true,"require_within_budget":true}
        """#

    static func policy(requiredApprovals: Int, approverRole: String = "approver", expiresAfter: Int = 86400) -> String {
        #"""
        {"required_approvals":\#(requiredApprovals),"distinct_approvers":true,"approver_role":"\#(approverRole)","separation_of_duties":true,
         "expires_after_seconds":\#(expiresAfter),"metric_thresholds":[],"require_signature":false,"require_no_open_drift_alert":false,
         "require_within_budget":false}
        """#
    }

    static let checkEvaluated = "approval.check_evaluated"

    @Test("a promotion.requested event opens one pending request (twice delivered), with each check's evidence and 'no data' for drift and budget")
    func openFromRegistryEvent() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let admin = try await api.token(governance.adminKey)
                let set = try await api.put("/v1/policy", token: admin, Self.fullPolicy)
                #expect(set.status == .ok)
                #expect(try set.json["revision"] == .number(1))
                #expect(try set.json["is_default"] == .bool(false))

                let event = try PromotionEvent.make(model: "fraud", requestedBy: "rita", correlation: "corr-open-1")
                let handler = governance.promotionHandler
                try await handler.handle(event)
                try await handler.handle(event)

                let listed = try await api.get("/v1/approvals?subject=models/fraud/aliases/champion", token: admin)
                #expect(listed.status == .ok)
                let items = try listed.items
                #expect(items.count == 1)
                let summary = try #require(items.first)
                #expect(summary["state"] == .string("PENDING"))
                #expect(summary["subject"] == .string("models/fraud/aliases/champion"))
                #expect(summary["requested_by"] == .string("rita"))
                let id = try #require(string(summary["id"]))
                #expect(try await api.get("/v1/approvals?subject=models/other/aliases/champion", token: admin).items.isEmpty)

                let fetched = try await api.get("/v1/approvals/\(id)", token: admin)
                #expect(fetched.status == .ok)
                let body = try fetched.json
                #expect(body["state"] == .string("PENDING"))
                #expect(body["approvals"] == .number(0))
                #expect(body["required_approvals"] == .number(2))
                #expect(body["decisions"] == .array([]))
                #expect(body["promotion"] == .object(["promotion_id": .string(try event.payload(as: RegistryEvent.PromotionRequested.self).promotionID),
                                                      "model_name": .string("fraud"), "version": .number(3), "alias": .string("champion")]))
                #expect(body["checks"] == .array([
                    .check("card_completeness", kind: "card_completeness", passed: true, reason: "model card completeness 0.85 >= 0.8",
                           evidence: ["completeness": .number(0.85), "minimum": .number(0.8)]),
                    .check("metric:accuracy>=0.9", kind: "metric_threshold", passed: true, reason: "accuracy = 0.93, required >= 0.9",
                           evidence: ["value": .number(0.93), "required": .number(0.9)]),
                    .check("model_signature_present", kind: "signature_present", passed: true,
                           reason: "the version has a model signature (input/output schema)", evidence: ["signature_present": .bool(true)]),
                    .check("no_open_drift_alert", kind: "no_open_drift_alert", passed: true, reason: "no data", evidence: [:]),
                    .check("within_budget", kind: "within_budget", passed: true, reason: "no data", evidence: [:]),
                ]))

                let events = try await governance.approvalEvents()
                #expect(events.map(\.type) == ["approval.requested"] + Array(repeating: Self.checkEvaluated, count: 5))
                #expect(events.allSatisfy { $0.correlation == "corr-open-1" })
                #expect(events.allSatisfy { $0.causation == event.id })
                #expect(try await governance.asOwner { try await $0.integer("SELECT count(*)::int8 FROM governance.inbox") } == 1)
            }
        }
    }

    @Test("decisions over HTTP: self-approval and a missing role are 403, a repeated approval 409, two distinct approvals grant it, one correlation chain")
    func decisionsGrant() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let admin = try await api.token(governance.adminKey)
                #expect(try await api.put("/v1/policy", token: admin, Self.fullPolicy).status == .ok)
                let approver1 = try await api.member(admin: admin, "ana", roles: ["approver"])
                let approver2 = try await api.member(admin: admin, "ben", roles: ["approver"])
                let requester = try await api.member(admin: admin, "rita", roles: ["editor", "approver"])
                let editor = try await api.member(admin: admin, "ed", roles: ["editor"])

                let event = try PromotionEvent.make(model: "fraud", requestedBy: "rita", correlation: "corr-grant-1")
                try await governance.promotionHandler.handle(event)
                let id = try await api.onlyApproval(token: admin)

                let own = try await api.decide(id, token: requester, approve: true)
                #expect(own.status == .forbidden)
                #expect(try own.json["detail"] == .string("Separation of duties: the requester cannot approve their own request."))
                let unauthorised = try await api.decide(id, token: editor, approve: true)
                #expect(unauthorised.status == .forbidden)
                #expect(try unauthorised.json["detail"] == .string("Deciding takes the approver role."))

                let first = try await api.decide(id, token: approver1, approve: true, comment: "metrics look fine")
                #expect(first.status == .ok)
                #expect(try first.json["state"] == .string("PENDING"))
                #expect(try first.json["approvals"] == .number(1))
                #expect(try first.json["promotion_move"]?.member("status") == .string("AWAITING_APPROVAL"))
                let repeated = try await api.decide(id, token: approver1, approve: true)
                #expect(repeated.status == .conflict)
                #expect(try repeated.json["detail"] == .string("ana has already approved; approvals must come from distinct principals."))

                let second = try await api.decide(id, token: approver2, approve: true)
                #expect(second.status == .ok)
                let granted = try second.json
                #expect(granted["state"] == .string("APPROVED"))
                #expect(granted["approvals"] == .number(2))
                // The registry moves the alias when approval.granted reaches it: the answer says so and where to follow it.
                #expect(granted["promotion_move"]?.member("status") == .string("PENDING"))
                let promotionID = try event.payload(as: RegistryEvent.PromotionRequested.self).promotionID
                #expect(granted["promotion_move"]?.member("registry_path") == .string("/v1/models/fraud/promotions/\(promotionID)"))
                guard case .array(let decisions)? = granted["decisions"] else { throw TestSetupError("no decisions: \(granted)") }
                #expect(decisions.map { $0.member("principal") } == [.string("ana"), .string("ben")])
                #expect(decisions.map { $0.member("decision") } == [.string("APPROVE"), .string("APPROVE")])
                #expect(decisions.map { $0.member("comment") } == [.string("metrics look fine"), nil])

                let fetched = try await api.get("/v1/approvals/\(id)", token: editor)
                #expect(try fetched.json["state"] == .string("APPROVED"))
                #expect(try await api.decide(id, token: approver2, approve: false).status == .conflict)
                #expect(try await api.get("/v1/approvals?state=APPROVED", token: admin).items.count == 1)
                #expect(try await api.get("/v1/approvals?state=PENDING", token: admin).items.isEmpty)
                #expect(try await api.get("/v1/approvals?state=DONE", token: admin).status == .badRequest)

                let events = try await governance.approvalEvents()
                #expect(events.map(\.type) == ["approval.requested"] + Array(repeating: Self.checkEvaluated, count: 5)
                    + ["approval.decision_recorded", "approval.decision_recorded", "approval.granted"])
                #expect(events.count == 9)
                #expect(events.allSatisfy { $0.correlation == "corr-grant-1" })
                #expect(events.allSatisfy { $0.correlation == event.correlationId })
                let grant = try #require(events.last)
                #expect(grant.data["approvers"] == .array([.string("ana"), .string("ben")]))
                #expect(grant.data["approval_id"] == .string(id))
            }
        }
    }

    @Test("a failing check blocks approval with 409, a rejection still closes the request as REJECTED")
    func failingCheckBlocksApproval() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let admin = try await api.token(governance.adminKey)
                #expect(try await api.put("/v1/policy", token: admin, Self.fullPolicy).status == .ok)
                let approver = try await api.member(admin: admin, "ana", roles: ["approver"])
                let event = try PromotionEvent.make(model: "fraud", requestedBy: "rita", metrics: ["accuracy": 0.5], correlation: "corr-reject-1")
                try await governance.promotionHandler.handle(event)
                let id = try await api.onlyApproval(token: admin)

                let body = try await api.get("/v1/approvals/\(id)", token: approver).json
                guard case .array(let checks)? = body["checks"] else { throw TestSetupError("no checks: \(body)") }
                let failed = checks.filter { $0.member("passed") == .bool(false) }
                #expect(failed == [.check("metric:accuracy>=0.9", kind: "metric_threshold", passed: false, reason: "accuracy = 0.5, required >= 0.9",
                                          evidence: ["value": .number(0.5), "required": .number(0.9)])])

                let blocked = try await api.decide(id, token: approver, approve: true)
                #expect(blocked.status == .conflict)
                #expect(try blocked.json["detail"] == .string("Failing checks block approval: metric:accuracy>=0.9."))
                #expect(try await api.get("/v1/approvals/\(id)", token: admin).json["decisions"] == .array([]))

                let rejected = try await api.decide(id, token: approver, approve: false, comment: "accuracy too low")
                #expect(rejected.status == .ok)
                #expect(try rejected.json["state"] == .string("REJECTED"))
                #expect(try await api.get("/v1/approvals/\(id)", token: admin).json["state"] == .string("REJECTED"))
                #expect(try await api.decide(id, token: approver, approve: false).status == .conflict)

                let events = try await governance.approvalEvents()
                #expect(events.map(\.type).filter { $0 != Self.checkEvaluated } == ["approval.requested", "approval.decision_recorded", "approval.rejected"])
                let rejection = try #require(events.last)
                #expect(rejection.data["rejected_by"] == .string("ana"))
                #expect(rejection.data["comment"] == .string("accuracy too low"))
                #expect(events.allSatisfy { $0.correlation == "corr-reject-1" })
            }
        }
    }

    @Test("a model's policy overrides the tenant's; GETs report revisions; without a PUT the default policy is reported as is_default, revision 1")
    func policyRevisionsAndOverride() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let admin = try await api.token(governance.adminKey)
                let viewer = try await api.member(admin: admin, "vic", roles: ["viewer"])

                let initial = try await api.get("/v1/policy", token: viewer)
                #expect(initial.status == .ok)
                let defaults = try initial.json
                #expect(defaults["is_default"] == .bool(true))
                #expect(defaults["revision"] == .number(1))
                #expect(defaults["id"] == nil)
                #expect(defaults["policy"]?.member("required_approvals") == .number(1))
                #expect(defaults["policy"]?.member("expires_after_seconds") == .number(604_800))
                #expect(try await api.get("/v1/models/fraud/policy", token: viewer).json["is_default"] == .bool(true))

                let first = try await api.put("/v1/policy", token: admin, Self.policy(requiredApprovals: 1))
                #expect(first.status == .ok)
                #expect(try first.json["revision"] == .number(1))
                let tenantPolicyID = try #require(string(try first.json["id"]))
                let second = try await api.put("/v1/policy", token: admin, Self.policy(requiredApprovals: 3))
                #expect(try second.json["revision"] == .number(2))
                #expect(try second.json["id"] == .string(tenantPolicyID))
                let model = try await api.put("/v1/models/fraud/policy", token: admin, Self.policy(requiredApprovals: 2))
                #expect(model.status == .ok)
                #expect(try model.json["revision"] == .number(1))
                let modelPolicyID = try #require(string(try model.json["id"]))
                #expect(modelPolicyID != tenantPolicyID)

                let tenantNow = try await api.get("/v1/policy", token: viewer).json
                #expect(tenantNow["revision"] == .number(2))
                #expect(tenantNow["is_default"] == .bool(false))
                #expect(tenantNow["policy"]?.member("required_approvals") == .number(3))
                let modelNow = try await api.get("/v1/models/fraud/policy", token: viewer).json
                #expect(modelNow["revision"] == .number(1))
                #expect(modelNow["id"] == .string(modelPolicyID))
                #expect(modelNow["policy"]?.member("required_approvals") == .number(2))
                let otherModel = try await api.get("/v1/models/churn/policy", token: viewer).json
                #expect(otherModel["id"] == .string(tenantPolicyID))
                #expect(otherModel["revision"] == .number(2))

                let handler = governance.promotionHandler
                try await handler.handle(try PromotionEvent.make(model: "fraud", requestedBy: "rita"))
                try await handler.handle(try PromotionEvent.make(model: "churn", requestedBy: "rita"))
                let fraud = try await api.get(try await api.approvalURI(subject: "models/fraud/aliases/champion", token: admin), token: admin).json
                #expect(fraud["required_approvals"] == .number(2))
                let churn = try await api.get(try await api.approvalURI(subject: "models/churn/aliases/champion", token: admin), token: admin).json
                #expect(churn["required_approvals"] == .number(3))

                let requested = try await governance.approvalEvents().filter { $0.type == "approval.requested" }
                #expect(requested.map { $0.data["policy_id"] } == [.string(modelPolicyID), .string(tenantPolicyID)])
                #expect(requested.map { $0.data["policy_revision"] } == [.number(1), .number(2)])
                let policyEvents = try await governance.outboxEvents().filter { $0.type == GovernanceEvent.PolicySet.eventType.name }
                #expect(policyEvents.map(\.key) == ["tenants/default/policy", "tenants/default/policy", "models/fraud/policy"])
            }
        }
    }

    @Test("cancel: 403 for a non-requester non-admin, CANCELLED for the requester, 409 a second time")
    func cancel() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let admin = try await api.token(governance.adminKey)
                let approver = try await api.member(admin: admin, "ana", roles: ["approver"])
                let requester = try await api.member(admin: admin, "rita", roles: ["editor", "approver"])
                try await governance.promotionHandler.handle(try PromotionEvent.make(model: "fraud", requestedBy: "rita", correlation: "corr-cancel-1"))
                let id = try await api.onlyApproval(token: admin)

                let refused = try await api.post("/v1/approvals/\(id)/cancel", token: approver, "")
                #expect(refused.status == .forbidden)
                #expect(try refused.json["detail"] == .string("Only the requester or an admin can cancel the request."))
                #expect(try await api.get("/v1/approvals/\(id)", token: admin).json["state"] == .string("PENDING"))

                let cancelled = try await api.post("/v1/approvals/\(id)/cancel?reason=superseded", token: requester, "")
                #expect(cancelled.status == .ok)
                #expect(try cancelled.json["state"] == .string("CANCELLED"))
                #expect(try await api.get("/v1/approvals/\(id)", token: admin).json["state"] == .string("CANCELLED"))
                let again = try await api.post("/v1/approvals/\(id)/cancel", token: requester, "")
                #expect(again.status == .conflict)
                #expect(try again.json["detail"] == .string("The request is already CANCELLED."))
                #expect(try await api.decide(id, token: approver, approve: true).status == .conflict)

                let events = try await governance.approvalEvents()
                #expect(events.map(\.type) == ["approval.requested", "approval.cancelled"])
                let cancellation = try #require(events.last)
                #expect(cancellation.data["cancelled_by"] == .string("rita"))
                #expect(cancellation.data["reason"] == .string("superseded"))
                #expect(cancellation.correlation == "corr-cancel-1")
            }
        }
    }

    @Test("expiry follows the deadline stored in the row: one request expires once, a second pass finds nothing")
    func expiry() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let admin = try await api.token(governance.adminKey)
                let approver = try await api.member(admin: admin, "ana", roles: ["approver"])
                try await governance.promotionHandler.handle(try PromotionEvent.make(model: "fraud", requestedBy: "rita", correlation: "corr-expire-1"))
                try await governance.promotionHandler.handle(try PromotionEvent.make(model: "churn", requestedBy: "rita"))
                let id = try await api.approvalID(subject: "models/fraud/aliases/champion", token: admin)
                let other = try await api.approvalID(subject: "models/churn/aliases/champion", token: admin)

                #expect(try await governance.approvals.expireDue(as: [.governance(in: "default")]) == 0)
                let uuid = try #require(UUID(uuidString: id))
                let moved = try await governance.asOwner { owner in
                    try await owner.integer("""
                        WITH moved AS (UPDATE governance.approval_requests SET expires_at = now() - interval '1 minute' WHERE id = \(uuid) RETURNING 1)
                        SELECT count(*)::int8 FROM moved
                        """)
                }
                #expect(moved == 1)
                let late = try await api.decide(id, token: approver, approve: true)
                #expect(late.status == .conflict)
                #expect(try late.json["detail"] == .string("The request has expired."))
                #expect(try await api.get("/v1/approvals/\(id)", token: admin).json["state"] == .string("PENDING"))

                #expect(try await governance.approvals.expireDue(as: [.governance(in: "default")]) == 1)
                let expired = try await api.get("/v1/approvals/\(id)", token: admin).json
                #expect(expired["state"] == .string("EXPIRED"))
                #expect(try await api.get("/v1/approvals/\(other)", token: admin).json["state"] == .string("PENDING"))
                #expect(try await api.get("/v1/approvals?state=EXPIRED", token: admin).items.count == 1)
                #expect(try await api.decide(id, token: approver, approve: true).status == .conflict)

                #expect(try await governance.approvals.expireDue(as: [.governance(in: "default")]) == 0)
                let events = try await governance.approvalEvents()
                #expect(events.map(\.type) == ["approval.requested", "approval.requested", "approval.expired"])
                let expiry = try #require(events.last)
                #expect(expiry.data["approval_id"] == .string(id))
                #expect(expiry.correlation == "corr-expire-1")
            }
        }
    }

    @Test("POST /v1/approvals opens a request for another subject (no checks); promotion subjects are 422, viewers 403")
    func openThroughAPI() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let admin = try await api.token(governance.adminKey)
                #expect(try await api.put("/v1/policy", token: admin, Self.fullPolicy).status == .ok)
                let editor = try await api.member(admin: admin, "ed", roles: ["editor"])
                let viewer = try await api.member(admin: admin, "vic", roles: ["viewer"])

                let opened = try await api.post("/v1/approvals", token: editor, #"{"subject":"datasets/tx/versions/7","reason":"release the Q3 data"}"#)
                #expect(opened.status == .created)
                let body = try opened.json
                #expect(body["state"] == .string("PENDING"))
                #expect(body["subject"] == .string("datasets/tx/versions/7"))
                #expect(body["requested_by"] == .string("ed"))
                #expect(body["checks"] == .array([]))
                #expect(body["promotion"] == nil)
                #expect(body["required_approvals"] == .number(2))
                let id = try #require(string(body["id"]))
                #expect(try await api.get("/v1/approvals/\(id)", token: viewer).json["state"] == .string("PENDING"))

                let promotion = try await api.post("/v1/approvals", token: editor, #"{"subject":"models/x/aliases/y"}"#)
                #expect(promotion.status == .unprocessableContent)
                #expect(try promotion.json["errors"] == .array([.object(["field": .string("subject"),
                                                                         "message": .string("promotions of protected aliases are requested through the registry")])]))
                #expect(try await api.post("/v1/approvals", token: editor, #"{"subject":""}"#).status == .unprocessableContent)
                let forbidden = try await api.post("/v1/approvals", token: viewer, #"{"subject":"datasets/tx/versions/8"}"#)
                #expect(forbidden.status == .forbidden)

                let listed = try await api.get("/v1/approvals?requester=ed", token: viewer).items
                #expect(listed.count == 1)
                let events = try await governance.approvalEvents()
                #expect(events.map(\.type) == ["approval.requested"])
                let requested = try #require(events.first)
                #expect(requested.data["reason"] == .string("release the Q3 data"))
                #expect(requested.correlation != nil)
            }
        }
    }

    @Test("policy validation: required_approvals 0, an unknown member and approver_role viewer are 422; a non-admin PUT is 403")
    func policyValidation() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let admin = try await api.token(governance.adminKey)
                let approver = try await api.member(admin: admin, "ana", roles: ["approver", "editor"])

                let zero = try await api.put("/v1/policy", token: admin, Self.policy(requiredApprovals: 0))
                #expect(zero.status == .unprocessableContent)
                #expect(try zero.json["errors"] == .array([.object(["field": .string("required_approvals"), "message": .string("must be 1 to 10")])]))

                let unknown = Self.policy(requiredApprovals: 1).replacingOccurrences(of: "{", with: #"{"auto_approve":true,"#)
                let unknownMember = try await api.put("/v1/policy", token: admin, unknown)
                #expect(unknownMember.status == .unprocessableContent)
                #expect(try unknownMember.json["errors"] == .array([.object(["field": .string("auto_approve"), "message": .string("is not a known member")])]))

                let viewerRole = try await api.put("/v1/models/fraud/policy", token: admin, Self.policy(requiredApprovals: 1, approverRole: "viewer"))
                #expect(viewerRole.status == .unprocessableContent)
                #expect(try viewerRole.json["errors"] == .array([.object(["field": .string("approver_role"), "message": .string("viewers cannot approve")])]))

                let forbidden = try await api.put("/v1/policy", token: approver, Self.policy(requiredApprovals: 1))
                #expect(forbidden.status == .forbidden)

                let stored = try await api.get("/v1/policy", token: admin).json
                #expect(stored["is_default"] == .bool(true))
                #expect(try await api.get("/v1/models/fraud/policy", token: admin).json["is_default"] == .bool(true))
                #expect(try await governance.outboxEvents().filter { $0.type == GovernanceEvent.PolicySet.eventType.name }.isEmpty)
            }
        }
    }

    @Test("another tenant's admin gets 404 for the default tenant's request and an empty list")
    func tenantIsolation() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let platform = try await api.token(governance.adminKey)
                try await governance.promotionHandler.handle(try PromotionEvent.make(model: "fraud", requestedBy: "rita"))
                let id = try await api.onlyApproval(token: platform)

                #expect(try await api.post("/v1/tenants", token: platform, #"{"id":"acme"}"#).status == .created)
                let acme = try await api.member(admin: platform, "acme-admin", roles: ["admin"], tenant: "acme")
                #expect(try await api.me(acme)["tenant"] == .string("acme"))

                let hidden = try await api.get("/v1/approvals/\(id)", token: acme)
                #expect(hidden.status == .notFound)
                #expect(try await api.get("/v1/approvals", token: acme).items.isEmpty)
                #expect(try await api.get("/v1/approvals?subject=models/fraud/aliases/champion", token: acme).items.isEmpty)
                #expect(try await api.decide(id, token: acme, approve: false).status == .notFound)
                #expect(try await api.post("/v1/approvals/\(id)/cancel", token: acme, "").status == .notFound)
                #expect(try await api.get("/v1/approvals/\(id)", token: platform).json["state"] == .string("PENDING"))

                let acmeRequest = try await api.post("/v1/approvals", token: acme, #"{"subject":"datasets/acme/versions/1"}"#)
                #expect(acmeRequest.status == .created)
                #expect(try await api.get("/v1/approvals", token: platform).items.count == 1)
                #expect(try await api.get("/v1/approvals", token: acme).items.count == 1)
                #expect(try await governance.client.integer("SELECT count(*)::int8 FROM governance.approval_requests") == 0)

                // The platform admin sets and reads another tenant's policy with `tenant`; that tenant's admin cannot reach back.
                let set = try await api.put("/v1/policy?tenant=acme", token: platform, Self.policy(requiredApprovals: 3))
                #expect(set.status == .ok)
                #expect(try await api.get("/v1/policy", token: acme).json["policy"]?.member("required_approvals") == .number(3))
                #expect(try await api.get("/v1/policy?tenant=acme", token: platform).json["policy"]?.member("required_approvals") == .number(3))
                #expect(try await api.get("/v1/policy", token: platform).json["is_default"] == .bool(true))
                #expect(try await api.put("/v1/models/fraud/policy?tenant=acme", token: platform, Self.policy(requiredApprovals: 2)).status == .ok)
                #expect(try await api.put("/v1/policy?tenant=default", token: acme, Self.policy(requiredApprovals: 1)).status == .notFound)
            }
        }
    }
}

/// A registry `promotion.requested` event for tenant `default`.
enum PromotionEvent {
    static func make(model: String, requestedBy: String, metrics: [String: Double] = ["accuracy": 0.93], completeness: Double = 0.85,
                     signed: Bool = true, correlation: String? = nil, tenant: String = "default") throws -> CloudEvent {
        let payload = RegistryEvent.PromotionRequested(
            promotionID: UUIDv7.string(), modelName: model, version: 3, alias: "champion", currentVersion: 2, reason: "better recall",
            metrics: metrics, cardCompleteness: completeness, missingCardSections: [.limitations], signaturePresent: signed,
            requestedBy: requestedBy, requestedAt: Date())
        return try CloudEvent(source: "/maestro/registry", subject: "models/\(model)/versions/3", tenant: tenant, payload: payload,
                              authId: requestedBy, correlationId: correlation)
    }
}

extension GovernanceHarness {
    /// The handler the service's promotion-request consumer runs, called without Kafka.
    var promotionHandler: PromotionRequestHandler { service.promotions }

    /// The outbox's approval events, oldest first: short type (`approval.requested`), correlation and causation ids, data.
    func approvalEvents() async throws -> [(type: String, correlation: String?, causation: String?, data: [String: JSONValue])] {
        try await asOwner { owner in
            var events: [(String, String?, String?, [String: JSONValue])] = []
            let rows = try await owner.query("""
                SELECT ce_type, correlationid, causationid, convert_from(data, 'UTF8') FROM governance.outbox
                WHERE ce_type LIKE 'io.maestro.governance.approval.%' ORDER BY id
                """, logger: Self.logger)
            for try await (type, correlation, causation, data) in rows.decode((String, String?, String?, String).self) {
                guard case .object(let object) = try JSONDecoder().decode(JSONValue.self, from: Data(data.utf8)) else {
                    throw TestSetupError("event data is not an object: \(data)")
                }
                let short = type.replacingOccurrences(of: "io.maestro.governance.", with: "").replacingOccurrences(of: ".v1", with: "")
                events.append((short, correlation, causation, object))
            }
            return events
        }
    }
}

extension GovernanceClient {
    func put(_ uri: String, token: String, _ body: String) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .put, headers: .json(token), body: ByteBuffer(string: body))
    }

    /// A new principal with `roles` (in `tenant` when given) and an access token for it.
    func member(admin: String, _ name: String, roles: [String], tenant: String? = nil) async throws -> String {
        let roleList = roles.map { "\"\($0)\"" }.joined(separator: ",")
        let tenantMember = tenant.map { #","tenant":"\#($0)""# } ?? ""
        let id = try await createPrincipal(token: admin, #"{"name":"\#(name)","roles":[\#(roleList)]\#(tenantMember)}"#)
        let key = try await createAPIKey(token: admin, #"{"principal_id":"\#(id)"\#(tenantMember)}"#)
        guard let secret = string(key["api_key"]) else { throw TestSetupError("no api_key in \(key)") }
        return try await token(secret)
    }

    func decide(_ id: String, token: String, approve: Bool, comment: String? = nil) async throws -> TestResponse {
        var object: [String: JSONValue] = ["approve": .bool(approve)]
        if let comment { object["comment"] = .string(comment) }
        let body = String(decoding: try JSONEncoder().encode(JSONValue.object(object)), as: UTF8.self)
        return try await post("/v1/approvals/\(id)/decisions", token: token, body)
    }

    /// The id of the tenant's only approval request.
    func onlyApproval(token: String) async throws -> String {
        let items = try await get("/v1/approvals", token: token).items
        guard items.count == 1, let id = string(items[0]["id"]) else { throw TestSetupError("expected one approval request, got \(items)") }
        return id
    }

    /// The id of the only request for `subject`.
    func approvalID(subject: String, token: String) async throws -> String {
        let items = try await get("/v1/approvals?subject=\(subject)", token: token).items
        guard items.count == 1, let id = string(items[0]["id"]) else { throw TestSetupError("expected one request for \(subject), got \(items)") }
        return id
    }

    func approvalURI(subject: String, token: String) async throws -> String {
        "/v1/approvals/\(try await approvalID(subject: subject, token: token))"
    }
}

extension TestResponse {
    /// The objects of a page's `items`.
    var items: [[String: JSONValue]] {
        get throws {
            guard case .array(let items)? = try json["items"] else { throw TestSetupError("no items: \(String(buffer: body))") }
            return items.map { item in if case .object(let object) = item { object } else { [:] } }
        }
    }
}

extension JSONValue {
    func member(_ name: String) -> JSONValue? {
        if case .object(let object) = self { object[name] } else { nil }
    }

    static func check(_ name: String, kind: String, passed: Bool, reason: String, evidence: [String: JSONValue]) -> JSONValue {
        .object(["name": .string(name), "kind": .string(kind), "passed": .bool(passed), "reason": .string(reason), "evidence": .object(evidence)])
    }
}
