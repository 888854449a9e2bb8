import Foundation
import MaestroService

do {
    try await AuditService.run()
} catch let error as ConfigurationError {
    FileHandle.standardError.write(Data("maestro-audit: \(error)\n".utf8))
    exit(2)
}
