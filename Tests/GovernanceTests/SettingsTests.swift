import Foundation
import MaestroService
import Testing
@testable import Governance

@Suite("Governance settings")
struct SettingsTests {
    @Test("without variables the defaults hold; set variables are read")
    func defaultsAndValues() throws {
        let (_, defaults) = try ServiceRunner.configuration(GovernanceService.self, environment: [:])
        #expect(defaults.tokenLifetime == .seconds(15 * 60))
        #expect(defaults.maxTokenLifetime == .seconds(12 * 3600))
        #expect(defaults.keyPublishLead == .seconds(10 * 60))
        #expect(defaults.expiryInterval == .seconds(5))
        #expect(defaults.bootstrapAdminKey == nil)

        let (_, given) = try ServiceRunner.configuration(GovernanceService.self, environment: [
            "MAESTRO_GOVERNANCE_TOKEN_MINUTES": "60", "MAESTRO_GOVERNANCE_EXPIRY_SECONDS": "3600",
        ])
        #expect(given.tokenLifetime == .seconds(3600))
        #expect(given.expiryInterval == .seconds(3600))
    }

    @Test("every bad variable is one problem, reported together with the kit's")
    func problemsTogether() throws {
        let error = #expect(throws: ConfigurationError.self) {
            try ServiceRunner.configuration(GovernanceService.self, environment: [
                "MAESTRO_HTTP_PORT": "0", "MAESTRO_GOVERNANCE_TOKEN_MINUTES": "721", "MAESTRO_GOVERNANCE_EXPIRY_SECONDS": "soon",
            ])
        }
        #expect(error?.problems == [
            "MAESTRO_HTTP_PORT: '0' is not an integer between 1 and 65535",
            "MAESTRO_GOVERNANCE_TOKEN_MINUTES: must be a whole number of minutes from 1 to 720, got '721'",
            "MAESTRO_GOVERNANCE_EXPIRY_SECONDS: must be a whole number of seconds from 1 to 3600, got 'soon'",
        ])
    }

    @Test("in production governance also needs the service accounts to provision, but not its own URL or an account of its own")
    func productionRequirements() throws {
        let error = #expect(throws: ConfigurationError.self) {
            try ServiceRunner.configuration(GovernanceService.self, environment: ["MAESTRO_ENVIRONMENT": "production"])
        }
        let missing = (error?.problems ?? []).map { String($0.prefix { $0 != ":" }) }
        #expect(missing == ServiceConfiguration.requiredInProduction + ["MAESTRO_GOVERNANCE_SERVICE_ACCOUNT_KEYS"])
    }
}
