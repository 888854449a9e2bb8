import Foundation
import Hummingbird

/// `GET /docs`: the service's `/openapi.yaml` rendered as an HTML reference by Redoc.
///
/// The page and Redoc's script (`/docs/redoc.standalone.js`, Redoc's MIT-licensed standalone
/// bundle, kept in `Resources/redoc` with its licence) come from the service itself: the
/// reference works without a token, a CDN or internet access, and shows exactly the contract
/// the running build serves.
enum APIReference {
    /// Redoc's bundle, read once from the module's resources.
    static let script: [UInt8]? = Bundle.module.url(forResource: "redoc.standalone", withExtension: "js", subdirectory: "redoc")
        .flatMap { try? Data(contentsOf: $0) }
        .map(Array.init)

    static let page = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <title>API reference</title>
        </head>
        <body>
          <redoc spec-url="/openapi.yaml"></redoc>
          <script src="/docs/redoc.standalone.js"></script>
        </body>
        </html>
        """

    static func add(to group: some RouterMethods<MaestroRequestContext>) {
        group.get("/docs") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
        }
        group.get("/docs/redoc.standalone.js") { _, _ in
            guard let script else { throw HTTPProblem.serviceUnavailable("The API reference's script is missing from this build.") }
            return Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "public, max-age=86400"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: script)))
        }
    }
}
