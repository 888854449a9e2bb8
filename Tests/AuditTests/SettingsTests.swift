import Foundation
import MaestroService
import Testing
@testable import Audit

@Suite("Audit settings")
struct SettingsTests {
    @Test("without variables the defaults hold; set variables are read")
    func defaultsAndValues() throws {
        let (configuration, defaults) = try ServiceRunner.configuration(AuditService.self, environment: [:])
        #expect(defaults.checkpointEntries == 1000)
        #expect(defaults.checkpointInterval == .seconds(10))
        #expect(defaults.topicPattern == "^maestro\\..*")
        #expect(configuration.platformTenant == "default")

        let (given, settings) = try ServiceRunner.configuration(AuditService.self, environment: [
            "MAESTRO_AUDIT_CHECKPOINT_ENTRIES": "5", "MAESTRO_PLATFORM_TENANT": "ops",
        ])
        #expect(settings.checkpointEntries == 5)
        #expect(given.platformTenant == "ops")
    }

    @Test("the operator-tenant variable of earlier releases is refused, not ignored, and every bad variable is reported together")
    func renamedVariableIsRefused() throws {
        let error = #expect(throws: ConfigurationError.self) {
            try ServiceRunner.configuration(AuditService.self, environment: [
                "MAESTRO_AUDIT_OPERATOR_TENANT": "ops", "MAESTRO_AUDIT_CHECKPOINT_SECONDS": "0",
            ])
        }
        #expect(error?.problems == [
            "MAESTRO_AUDIT_OPERATOR_TENANT: renamed to MAESTRO_PLATFORM_TENANT, which every service reads; set that instead",
            "MAESTRO_AUDIT_CHECKPOINT_SECONDS: must be a whole number of seconds from 1 to 86400, got '0'",
        ])
    }

    @Test("in production audit needs governance, its service account and its checkpoint key, besides the kit's settings")
    func productionRequirements() throws {
        let error = #expect(throws: ConfigurationError.self) {
            try ServiceRunner.configuration(AuditService.self, environment: ["MAESTRO_ENVIRONMENT": "production"])
        }
        let missing = (error?.problems ?? []).map { String($0.prefix { $0 != ":" }) }
        #expect(missing == ServiceConfiguration.requiredInProduction + ServiceConfiguration.requiredInProductionBesideGovernance
                + ["MAESTRO_AUDIT_SIGNING_KEY_FILE"])
    }

    @Test("the log's inbox is never pruned, so a replay however old appends nothing twice")
    func inboxKeptForever() {
        guard case .keptForever = AuditService.inboxPolicy else {
            Issue.record("audit's inbox would be pruned")
            return
        }
    }
}
