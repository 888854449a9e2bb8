import Foundation
import MaestroService

do {
    try await GovernanceService.run()
} catch let error as ConfigurationError {
    FileHandle.standardError.write(Data("maestro-governance: \(error)\n".utf8))
    exit(2)
}
