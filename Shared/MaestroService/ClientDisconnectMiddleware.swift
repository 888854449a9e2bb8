import Hummingbird
import MaestroPostgres

/// Binds the request's connection closing to its work (``ClientDisconnect``), so a database
/// transaction of a request whose client disconnected is stopped instead of running on.
struct ClientDisconnectMiddleware: RouterMiddleware {
    typealias Context = MaestroRequestContext

    func handle(_ request: Request, context: MaestroRequestContext, next: (Request, MaestroRequestContext) async throws -> Response) async throws -> Response {
        try await ClientDisconnect.$clientGone.withValue(context.connectionClosed) {
            try await next(request, context)
        }
    }
}
