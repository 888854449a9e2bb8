import Foundation
import Hummingbird
import MaestroEvents
import MaestroService

/// Policies and approval requests under `/v1`.
struct ApprovalAPI: Sendable {
    let approvals: ApprovalStore

    func register(on router: Router<MaestroRequestContext>) {
        let v1 = router.group("v1").add(middleware: GovernanceErrorMiddleware())
        v1.get("policy", use: getTenantPolicy)
        v1.put("policy", use: setTenantPolicy)
        v1.get("models/:name/policy", use: getModelPolicy)
        v1.put("models/:name/policy", use: setModelPolicy)
        v1.get("approvals", use: list)
        v1.post("approvals", use: open)
        v1.post("approvals/:id/cancel", use: cancel)
        v1.get("approvals/:id/comments", use: listComments)
        v1.post("approvals/:id/comments", use: addComment)
        v1.get("approvals/:id", use: get)
        v1.post("approvals/:id/decisions", use: decide)
    }

    @Sendable func getTenantPolicy(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.require(.viewer)
        return try .json(PolicyBody(try await approvals.policy(tenant: caller.tenant, model: nil)))
    }

    @Sendable func getModelPolicy(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.require(.viewer)
        return try .json(PolicyBody(try await approvals.policy(tenant: caller.tenant, model: try context.nameParameter())))
    }

    @Sendable func setTenantPolicy(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        try await setPolicy(request, context: context, model: nil)
    }

    @Sendable func setModelPolicy(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        try await setPolicy(request, context: context, model: try context.nameParameter())
    }

    private func setPolicy(_ request: Request, context: MaestroRequestContext, model: String?) async throws -> Response {
        let admin = try context.require(.admin)
        var request = request
        let policy = try await request.decodeJSON(as: PolicyRequest.self, context: context).validated()
        return try .json(PolicyBody(try await approvals.setPolicy(policy, tenant: admin.tenant, model: model, actor: admin.subject)))
    }

    @Sendable func list(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.require(.viewer)
        let query = request.formQuery
        if let state = query["state"], ApprovalRequest.State(rawValue: state) == nil {
            throw HTTPProblem.badRequest("state is one of PENDING, APPROVED, REJECTED, EXPIRED, CANCELLED.", errors: [.init(field: "state", message: "unknown state")])
        }
        let found = try await approvals.list(tenant: caller.tenant, state: query["state"], subject: query["subject"], requester: query["requester"], limit: 500)
        return try .json(Page(items: found.map(ApprovalSummaryBody.init), nextPageToken: nil))
    }

    /// Opens a request for another subject (not a registry promotion; those come as events).
    @Sendable func open(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.require(.editor)
        var request = request
        let body = try await request.decodeJSON(as: OpenApprovalRequest.self, context: context)
        var validation = FieldValidation()
        validation.check(!body.subject.isEmpty && body.subject.count <= 512, "subject", "must be 1 to 512 characters")
        validation.check(!body.subject.hasPrefix("models/") || !body.subject.contains("/aliases/"), "subject",
                         "promotions of protected aliases are requested through the registry")
        validation.check((body.reason?.count ?? 0) <= 5000, "reason", "at most 5,000 characters")
        try validation.validate()
        let stored = try await approvals.open(subject: body.subject, reason: body.reason, tenant: caller.tenant, requester: caller.subject)
        return try .json(ApprovalBody(stored), status: .created)
    }

    @Sendable func cancel(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.requirePrincipal()
        do {
            let stored = try await approvals.cancel(try context.uuidParameter("id"), tenant: caller.tenant, principal: caller.subject,
                                                    isAdmin: caller.has(.admin), reason: request.formQuery["reason"])
            return try .json(ApprovalBody(stored))
        } catch let refusal as ApprovalRequest.Refusal {
            throw refusal.problem
        }
    }

    @Sendable func listComments(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.require(.viewer)
        let comments = try await approvals.comments(try context.uuidParameter("id"), tenant: caller.tenant)
        return try .json(Page(items: comments.map(CommentBody.init), nextPageToken: nil))
    }

    /// Anyone who may read the request may discuss it; a comment decides nothing.
    @Sendable func addComment(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.require(.viewer)
        var request = request
        let body = try await request.decodeJSON(as: CommentRequest.self, context: context)
        var validation = FieldValidation()
        validation.check(!body.comment.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty && body.comment.count <= 5000, "comment",
                         "must be 1 to 5,000 characters")
        try validation.validate()
        let comments = try await approvals.comment(try context.uuidParameter("id"), tenant: caller.tenant, principal: caller.subject, text: body.comment)
        return try .json(Page(items: comments.map(CommentBody.init), nextPageToken: nil), status: .created)
    }

    @Sendable func get(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.require(.viewer)
        return try .json(ApprovalBody(try await approvals.get(try context.uuidParameter("id"), tenant: caller.tenant)))
    }

    /// A reviewer's decision; the state machine's refusals are 403 (role, separation of duties) or 409 (state).
    @Sendable func decide(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let caller = try context.requirePrincipal()
        var request = request
        let body = try await request.decodeJSON(as: DecisionRequest.self, context: context)
        var validation = FieldValidation()
        validation.check((body.comment?.count ?? 0) <= 5000, "comment", "at most 5,000 characters")
        try validation.validate()
        do {
            let stored = try await approvals.decide(try context.uuidParameter("id"), tenant: caller.tenant, principal: caller.subject,
                                                    roles: Set(caller.roles.map(\.rawValue)), approve: body.approve, comment: body.comment)
            return try .json(ApprovalBody(stored))
        } catch let refusal as ApprovalRequest.Refusal {
            throw refusal.problem
        }
    }
}

extension ApprovalRequest.Refusal {
    /// 403 for who may decide (role, separation of duties, requester), 409 for the request's state.
    var problem: HTTPProblem {
        let detail = description + "."
        switch self {
        case .missingRole, .selfApproval, .notRequester: return .forbidden(detail)
        case .notPending, .alreadyApproved, .checksFailed, .expired: return .conflict(detail)
        }
    }
}

extension MaestroRequestContext {
    func nameParameter() throws(HTTPProblem) -> String {
        guard let raw = parameters.get("name"), let name = raw.removingPercentEncoding, !name.isEmpty else {
            throw .badRequest("The model name is missing or not valid percent-encoding.")
        }
        return name
    }
}
