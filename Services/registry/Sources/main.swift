import Foundation
import MaestroService

do {
    try await RegistryService.run()
} catch let error as ConfigurationError {
    FileHandle.standardError.write(Data("maestro-registry: \(error)\n".utf8))
    exit(2)
}
