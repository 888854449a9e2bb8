import HTTPTypes
import MaestroDomain
import MaestroService
import Testing

/// A domain's refusal as a test writes one: any kind, detail and field errors.
private struct Refusal: DomainError {
    let kind: DomainErrorKind
    let description: String
    var fieldErrors: [FieldError] = []
    var ownDetail: String??

    var detail: String? { ownDetail ?? description }
}

@Suite("Domain errors as problems")
struct DomainErrorMappingTests {
    @Test("each kind of refusal has its status, and the refusal's detail", arguments: [
        (DomainErrorKind.notFound, 404, "urn:maestro:problem:not-found"),
        (.alreadyExists, 409, "urn:maestro:problem:conflict"),
        (.conflict, 409, "urn:maestro:problem:conflict"),
        (.stale, 412, "urn:maestro:problem:precondition-failed"),
        (.invalid, 422, "urn:maestro:problem:invalid-request"),
        (.badRequest, 400, "urn:maestro:problem:bad-request"),
        (.unauthenticated, 401, "urn:maestro:problem:unauthorized"),
        (.forbidden, 403, "urn:maestro:problem:forbidden"),
    ])
    func kinds(_ kind: DomainErrorKind, status: Int, type: String) {
        let problem = HTTPProblem(Refusal(kind: kind, description: "tree_size 9 is beyond the log's current size, 3.",
                                          fieldErrors: [FieldError(field: "tree_size", message: "is beyond the log")]))
        #expect(problem.status.code == status)
        #expect(problem.type == type)
        #expect(problem.detail == "tree_size 9 is beyond the log's current size, 3.")
        if kind == .invalid || kind == .badRequest {
            #expect(problem.errors == [FieldError(field: "tree_size", message: "is beyond the log")])
        }
    }

    @Test("a refusal without a detail of its own keeps the kit's wording, and its field errors say what is wrong")
    func genericDetail() {
        let problem = HTTPProblem(Refusal(kind: .invalid, description: "name must be 1 to 256 characters",
                                          fieldErrors: [FieldError(field: "name", message: "must be 1 to 256 characters")], ownDetail: .some(nil)))
        #expect(problem.status.code == 422)
        #expect(problem.detail == HTTPProblem.invalid([]).detail)
        #expect(problem.errors.map(\.field) == ["name"])
    }

    @Test("an internal-state refusal is a 500 that shows nothing of the state")
    func internalState() {
        let problem = HTTPProblem(Refusal(kind: .internalState, description: "log acme: stored edge does not match"))
        #expect(problem.status.code == 500)
        #expect(!problem.detail.contains("acme"))
    }
}
