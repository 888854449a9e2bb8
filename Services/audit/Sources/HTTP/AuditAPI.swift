import Foundation
import Hummingbird
import MaestroAuditLog
import MaestroDomain
import MaestroService

/// The audit API under `/v1/audit`: tree heads, entries, proofs, exports, reports and keys.
/// Every route but the public keys reads one log: the caller's tenant's, or with `log=_system`
/// the system log (admins of the platform tenant only). Any other log is reported as not found.
/// Who may call each route is declared where it is registered (``AuditService/routes(_:)``).
struct AuditAPI: Sendable {
    let store: AuditLogStore
    /// Its admins read the `_system` log.
    let platformTenant: String
    /// The most entries a compliance report holds.
    let reportMaxEntries: Int

    /// Open, like a JWKS: the keys are public, and verifiers need them without an account.
    @Sendable func publicKeys(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let keys = try await store.publicKeys().map {
            PublicKeyBody(keyID: $0.keyID, publicKey: Data($0.publicKey).base64EncodedString(), firstUsedAt: $0.firstUsedAt, current: $0.keyID == store.key.keyID)
        }
        return try .json(PublicKeysBody(keys: keys))
    }

    @Sendable func treeHead(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let tenant = try log(request, context)
        return try .json(SignedHeadBody(try await checkingDamage { try await store.signedHead(of: tenant) }))
    }

    @Sendable func checkpoints(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let tenant = try log(request, context)
        let page = try PageRequest<Int>(request, defaultSize: 100, maxSize: 1000)
        let found = try await store.withLog(tenant) { log in
            try await store.checkpoints(after: page.cursor, upTo: page.size + 1, in: log)
        }
        let items = found.prefix(page.size).map(SignedHeadBody.init)
        return try .json(Page(items: Array(items), nextPageToken: found.count > page.size ? PageToken.encode(found[page.size - 1].treeSize) : nil))
    }

    @Sendable func entries(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let tenant = try log(request, context)
        let filter = try EntryFilter(query: request.formQuery)
        let page = try PageRequest<Int>(request, defaultSize: 100, maxSize: 1000)
        let found = try await store.entries(tenant: tenant, filter: filter, after: page.cursor, limit: page.size + 1)
        let items = found.prefix(page.size).map { EntryBody($0, tenant: tenant) }
        return try .json(Page(items: Array(items), nextPageToken: found.count > page.size ? PageToken.encode(found[page.size - 1].index) : nil))
    }

    @Sendable func entry(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let tenant = try log(request, context)
        let index = try context.integerParameter("index", minimum: 0, label: "entry index")
        return try .json(EntryBody(try await store.entry(tenant: tenant, index: index), tenant: tenant))
    }

    @Sendable func inclusionProof(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let tenant = try log(request, context)
        let index = try context.integerParameter("index", minimum: 0, label: "entry index")
        let size = try request.formQuery.count("tree_size", minimum: 1)
        return try .json(InclusionProofBody(try await checkingDamage { try await store.inclusionProof(tenant: tenant, index: index, treeSize: size) }))
    }

    @Sendable func consistencyProof(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let tenant = try log(request, context)
        let query = request.formQuery
        guard let first = try query.count("first", minimum: 0) else {
            throw HTTPProblem.badRequest("first, the smaller tree size, is required.", errors: [.init(field: "first", message: "is required")])
        }
        let second = try query.count("second", minimum: 0)
        return try .json(ConsistencyProofBody(try await checkingDamage { try await store.consistencyProof(tenant: tenant, first: first, second: second) }))
    }

    /// Streams the log: NDJSON (verifiable with `maestro audit verify`) or CSV.
    @Sendable func export(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let tenant = try log(request, context)
        let query = request.formQuery
        let filter = try EntryFilter(query: query)
        switch query["format"] ?? "ndjson" {
        case "ndjson":
            return LogExport(store: store, tenant: tenant, filter: filter).ndjson()
        case "csv":
            return LogExport(store: store, tenant: tenant, filter: filter).csv()
        default:
            throw HTTPProblem.invalid([.init(field: "format", message: "is ndjson or csv")], detail: "format is ndjson or csv.")
        }
    }

    @Sendable func modelReport(_ request: Request, context: MaestroRequestContext) async throws -> Response {
        let tenant = try log(request, context)
        guard let raw = context.parameters.get("name"), let model = raw.removingPercentEncoding, !model.isEmpty, model.utf8.count <= 256 else {
            throw HTTPProblem.badRequest("The model name is missing, longer than 256 bytes, or not valid percent-encoding.",
                                         errors: [.init(field: "name", message: "must be 1 to 256 bytes of valid percent-encoding")])
        }
        let format = request.formQuery["format"] ?? (request.headers[.accept]?.contains("text/markdown") == true ? "markdown" : "json")
        guard ["json", "markdown", "csv"].contains(format) else {
            throw HTTPProblem.invalid([.init(field: "format", message: "is json, markdown or csv")], detail: "format is json, markdown or csv.")
        }
        let report = try await checkingDamage { try await ModelReport.build(store: store, tenant: tenant, model: model, limit: reportMaxEntries) }
        if format == "markdown" {
            var response = Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: report.markdown())))
            response.headers[.contentType] = "text/markdown; charset=utf-8"
            response.headers[.vary] = "Accept"
            return response
        }
        if format == "csv" {
            var response = Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: report.csv())))
            response.headers[.contentType] = "text/csv; charset=utf-8"
            response.headers[.vary] = "Accept"
            return response
        }
        var response = try Response.json(report.body())
        response.headers[.vary] = "Accept"
        return response
    }

    /// The tenant whose log a request reads; see the type's documentation.
    private func log(_ request: Request, _ context: MaestroRequestContext) throws(HTTPProblem) -> String {
        let caller = try context.caller
        guard let asked = request.formQuery["log"], asked != caller.tenant else { return caller.tenant }
        if asked == AuditRecord.systemLog, caller.isPlatformAdmin(platformTenant: platformTenant) { return asked }
        throw .notFound("No such log.")
    }

    /// Runs a read that signs a head or builds a proof. One that finds a stored hash missing or
    /// not what the log's state claims raises the tamper alarm and answers 500: the log is
    /// damaged, not the request.
    private func checkingDamage<Result>(_ read: () async throws -> Result) async throws -> Result {
        do {
            return try await read()
        } catch let error as AuditLogError where error.isDamage {
            await store.raiseTamperAlarm(tenant: error.tenant, treeSize: 0, reason: error.description)
            throw HTTPProblem(.internalServerError, type: "urn:maestro:problem:log-damaged", title: "Audit log damaged",
                              detail: "A hash this proof needs is missing from the stored log; verify an export of the log to find the entry.")
        }
    }
}

extension FormQuery {
    /// An optional whole-number parameter of at least `minimum`.
    func count(_ name: String, minimum: Int) throws(HTTPProblem) -> Int? {
        guard let raw = self[name] else { return nil }
        guard let value = Int(raw), value >= minimum else {
            throw .badRequest("\(name) must be a whole number from \(minimum).", errors: [.init(field: name, message: "must be a whole number from \(minimum)")])
        }
        return value
    }
}

extension EntryFilter {
    /// Reads `from`, `to`, `type` (repeatable), `subject`, `subject_prefix`, `actor`, `correlation_id` and `kind`.
    init(query: FormQuery) throws(HTTPProblem) {
        var errors: [HTTPProblem.FieldError] = []
        func time(_ name: String) -> Date? {
            guard let raw = query[name] else { return nil }
            guard let date = AuditTime.parse(raw) else {
                errors.append(.init(field: name, message: "must be an RFC 3339 time"))
                return nil
            }
            return date
        }
        func text(_ name: String) -> String? {
            guard let raw = query[name] else { return nil }
            guard !raw.isEmpty, raw.utf8.count <= 1024 else {
                errors.append(.init(field: name, message: "must be 1 to 1024 bytes"))
                return nil
            }
            return raw
        }
        self.init()
        from = time("from")
        to = time("to")
        types = query.all("type")
        if types.count > SearchLimits.maxFilterTerms || types.contains(where: { $0.isEmpty || $0.utf8.count > 256 }) {
            errors.append(.init(field: "type", message: "at most \(SearchLimits.maxFilterTerms) types of 1 to 256 bytes"))
        }
        actor = text("actor")
        correlationID = text("correlation_id")
        if let exact = text("subject") {
            subject = exact
        }
        if let prefix = text("subject_prefix") {
            if subject != nil { errors.append(.init(field: "subject_prefix", message: "cannot be combined with subject")) }
            subject = prefix
            subjectPrefix = true
        }
        if let raw = query["kind"] {
            if let kind = AuditRecord.Kind(rawValue: raw) { self.kind = kind } else {
                errors.append(.init(field: "kind", message: "is event, raw or dead_letter"))
            }
        }
        if let from, let to, from >= to { errors.append(.init(field: "to", message: "must be after from")) }
        if !errors.isEmpty { throw .invalid(errors) }
    }
}
