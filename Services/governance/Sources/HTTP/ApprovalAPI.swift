import Foundation
import Hummingbird
import MaestroDomain
import MaestroEvents
import MaestroService

/// Policies and approval requests under `/v1`. The platform admin reads and sets any
/// tenant's policies with the `tenant` query parameter, as with principals and keys.
struct ApprovalAPI: Sendable {
    let approvals: ApprovalStore
    let platformTenant: String

    /// The caller, or the platform admin acting in the tenant the query names.
    private func caller(_ request: Request, _ context: MaestroRequestContext) throws -> Caller {
        try context.caller.acting(in: request.formQuery["tenant"], platformTenant: platformTenant)
    }

    func register(_ routes: ServiceRoutes) {
        let viewers = routes.requiring(.viewer)
        let admins = routes.requiring(.admin)
        viewers.get("v1/policy", use: getTenantPolicy)
        admins.put("v1/policy", use: setTenantPolicy)
        viewers.get("v1/models/:name/policy", use: getModelPolicy)
        admins.put("v1/models/:name/policy", use: setModelPolicy)
        routes.readsAndWrites.get("v1/approvals", use: list)
        routes.readsAndWrites.post("v1/approvals", use: open)
        viewers.get("v1/approvals/:id", use: get)
        // Anyone who may read a request may discuss it; a comment decides nothing.
        viewers.get("v1/approvals/:id/comments", use: listComments)
        viewers.post("v1/approvals/:id/comments", use: addComment)
        // The requester or an admin cancels; the state machine decides who may decide.
        routes.authenticated.post("v1/approvals/:id/cancel", use: cancel)
        routes.authenticated.post("v1/approvals/:id/decisions", use: decide)
    }

    @Sendable func getTenantPolicy(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        try .json(PolicyBody(try await approvals.policy(model: nil, as: try caller(request, context))))
    }

    @Sendable func getModelPolicy(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        try .json(PolicyBody(try await approvals.policy(model: try context.modelNameParameter(), as: try caller(request, context))))
    }

    @Sendable func setTenantPolicy(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        try await setPolicy(request, context: context, model: nil)
    }

    @Sendable func setModelPolicy(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        try await setPolicy(request, context: context, model: try context.modelNameParameter())
    }

    private func setPolicy(_ request: Request, context: MaestroRequestContext, model: String?) async throws -> Response {
        let caller = try caller(request, context)
        var request = request
        let policy = try await request.decodeJSON(as: PolicyRequest.self, context: context).validated()
        return try .json(PolicyBody(try await approvals.setPolicy(policy, model: model, as: caller)))
    }

    @Sendable func list(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let query = request.formQuery
        if let state = query["state"], ApprovalRequest.State(rawValue: state) == nil {
            throw HTTPProblem.badRequest("state is one of PENDING, APPROVED, REJECTED, EXPIRED, CANCELLED.", errors: [.init(field: "state", message: "unknown state")])
        }
        let found = try await approvals.list(state: query["state"], subject: query["subject"], requester: query["requester"], limit: 500,
                                             as: try context.caller)
        return try .json(Page(items: found.map(ApprovalSummaryBody.init), nextPageToken: nil))
    }

    /// Opens a request for another subject (not a registry promotion; those come as events).
    @Sendable func open(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: OpenApprovalRequest.self, context: context)
        var validation = FieldValidation()
        validation.check(!body.subject.isEmpty && body.subject.count <= 512, "subject", "must be 1 to 512 characters")
        validation.check(!body.subject.hasPrefix("models/") || !body.subject.contains("/aliases/"), "subject",
                         "promotions of protected aliases are requested through the registry")
        validation.check((body.reason?.count ?? 0) <= 5000, "reason", "at most 5,000 characters")
        try validation.validate()
        let stored = try await approvals.open(subject: body.subject, reason: body.reason, as: try context.caller)
        return try .json(ApprovalBody(stored), status: .created)
    }

    @Sendable func cancel(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let stored = try await approvals.cancel(try context.uuidParameter("id"), reason: request.formQuery["reason"], as: try context.caller)
        return try .json(ApprovalBody(stored))
    }

    @Sendable func listComments(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let comments = try await approvals.comments(try context.uuidParameter("id"), as: try context.caller)
        return try .json(Page(items: comments.map(CommentBody.init), nextPageToken: nil))
    }

    @Sendable func addComment(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: CommentRequest.self, context: context)
        var validation = FieldValidation()
        validation.check(!body.comment.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty && body.comment.count <= 5000, "comment",
                         "must be 1 to 5,000 characters")
        try validation.validate()
        let comments = try await approvals.comment(try context.uuidParameter("id"), text: body.comment, as: try context.caller)
        return try .json(Page(items: comments.map(CommentBody.init), nextPageToken: nil), status: .created)
    }

    @Sendable func get(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        try .json(ApprovalBody(try await approvals.get(try context.uuidParameter("id"), as: try context.caller)))
    }

    /// A reviewer's decision; the state machine refuses a missing role or separation of duties
    /// (403) and a request no longer open to it (409).
    @Sendable func decide(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: DecisionRequest.self, context: context)
        var validation = FieldValidation()
        validation.check((body.comment?.count ?? 0) <= 5000, "comment", "at most 5,000 characters")
        try validation.validate()
        let stored = try await approvals.decide(try context.uuidParameter("id"), approve: body.approve, comment: body.comment, as: try context.caller)
        return try .json(ApprovalBody(stored))
    }
}

extension MaestroRequestContext {
    /// The model `name` path parameter, percent-decoded; 400 with the detail the API documents.
    func modelNameParameter() throws(HTTPProblem) -> String {
        guard let name = try? pathParameter("name") else { throw .badRequest("The model name is missing or not valid percent-encoding.") }
        return name
    }
}
