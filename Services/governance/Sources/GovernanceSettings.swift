import Foundation
import MaestroService

/// Governance's own settings (`MAESTRO_GOVERNANCE_*`), next to the kit's.
struct GovernanceSettings: ServiceSettings {
    /// Lifetime of an access token unless the exchange asks for less (default 15 minutes).
    var tokenLifetime: Duration = .seconds(15 * 60)
    /// The longest lifetime an exchange may ask for.
    var maxTokenLifetime: Duration = .seconds(12 * 3600)
    /// How long a new signing key is published before it signs: longer than the verifiers'
    /// key set refresh (5 minutes), so none meets a token from a key it has not fetched.
    var keyPublishLead: Duration = .seconds(10 * 60)
    /// How often pending approval requests past their deadline are expired.
    var expiryInterval: Duration = .seconds(5)
    /// Token requests (`POST /oauth/token`, `POST /v1/tokens`) a client may make per minute, in
    /// bursts of as many (`MAESTRO_GOVERNANCE_TOKEN_REQUESTS_PER_MINUTE`). The client is the
    /// `client_id`, the username, or the API key's prefix.
    var tokenRequestsPerMinute = 60
    /// Token requests per minute from one source address (the TCP peer)
    /// (`MAESTRO_GOVERNANCE_TOKEN_REQUESTS_PER_ADDRESS_PER_MINUTE`).
    var tokenRequestsPerAddressPerMinute = 600
    /// The admin API key the first start registers, if given (`mk_<12 hex>_<43 base64url>`).
    var bootstrapAdminKey: String?
    /// The services' accounts to provision, by service name, each with its API key
    /// (`MAESTRO_GOVERNANCE_SERVICE_ACCOUNT_KEYS`, `registry=mk_…,audit=mk_…`): every start makes
    /// sure each service account of the platform tenant exists with that key, which the
    /// service uses to register its event key.
    var serviceAccountKeys: [String: String] = [:]

    init(reading reader: inout SettingsReader) {
        // Without the accounts, no other service can register its event key, so none of their events would verify.
        if reader.isProduction { reader.require(["MAESTRO_GOVERNANCE_SERVICE_ACCOUNT_KEYS"]) }
        if let minutes = reader.wholeNumber("MAESTRO_GOVERNANCE_TOKEN_MINUTES", in: 1...720, unit: "minutes") { tokenLifetime = .seconds(minutes * 60) }
        if let seconds = reader.wholeNumber("MAESTRO_GOVERNANCE_EXPIRY_SECONDS", in: 1...3600, unit: "seconds") { expiryInterval = .seconds(seconds) }
        if let count = reader.wholeNumber("MAESTRO_GOVERNANCE_TOKEN_REQUESTS_PER_MINUTE", in: 1...1_000_000, unit: "requests") {
            tokenRequestsPerMinute = count
        }
        if let count = reader.wholeNumber("MAESTRO_GOVERNANCE_TOKEN_REQUESTS_PER_ADDRESS_PER_MINUTE", in: 1...1_000_000, unit: "requests") {
            tokenRequestsPerAddressPerMinute = count
        }
        if let key = reader.value("MAESTRO_BOOTSTRAP_ADMIN_KEY") {
            if APIKeySecret(parsing: key) == nil {
                reader.problems.append("MAESTRO_BOOTSTRAP_ADMIN_KEY: must look like mk_<12 hex characters>_<43 base64url characters>")
            }
            bootstrapAdminKey = key
        }
        if let list = reader.value("MAESTRO_GOVERNANCE_SERVICE_ACCOUNT_KEYS") {
            for pair in list.split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, let service = ServiceCatalog.named(parts[0]), service != ServiceCatalog.governance,
                      APIKeySecret(parsing: parts[1]) != nil, serviceAccountKeys[parts[0]] == nil else {
                    reader.problems.append("MAESTRO_GOVERNANCE_SERVICE_ACCOUNT_KEYS: each entry is <service>=mk_<12 hex>_<43 base64url>, once per service other than governance; '\(pair.split(separator: "=").first ?? "")' is not")
                    continue
                }
                serviceAccountKeys[parts[0]] = parts[1]
            }
        }
    }
}
