import Foundation
import MaestroEvents

/// What governance knows about the subject of an approval, from consumed events only: the
/// version's facts from `promotion.requested`, and (when those services exist) drift and
/// budget facts. A fact nobody has reported is `nil`, and its check passes with "no data".
struct ApprovalFacts: Sendable, Equatable {
    var metrics: [String: Double]
    var cardCompleteness: Double
    var missingCardSections: [String]
    var signaturePresent: Bool
    var openDriftAlerts: Int?
    var budgetExceeded: Bool?
}

/// The outcome of one automatic check, with the evidence it was decided on.
struct CheckResult: Sendable, Equatable {
    var name: String
    var kind: GovernanceEvent.CheckKind
    var passed: Bool
    var reason: String
    var evidence: [String: ScalarValue]
}

enum PolicyChecks {
    /// Every check the policy asks for, in a stable order.
    static func evaluate(_ policy: GovernanceEvent.ApprovalPolicy, facts: ApprovalFacts) -> [CheckResult] {
        var results: [CheckResult] = []
        if let minimum = policy.minCardCompleteness {
            let passed = facts.cardCompleteness >= minimum
            results.append(CheckResult(
                name: "card_completeness", kind: .cardCompleteness, passed: passed,
                reason: passed ? "model card completeness \(facts.cardCompleteness) >= \(minimum)"
                    : "model card completeness \(facts.cardCompleteness) < \(minimum); missing: \(facts.missingCardSections.joined(separator: ", "))",
                evidence: ["completeness": .number(facts.cardCompleteness), "minimum": .number(minimum)]))
        }
        for threshold in policy.metricThresholds {
            let name = "metric:\(threshold.metric)\(threshold.comparison.rawValue)\(threshold.value)"
            guard let value = facts.metrics[threshold.metric] else {
                results.append(CheckResult(name: name, kind: .metricThreshold, passed: false,
                                           reason: "metric \(threshold.metric) was not recorded with the version",
                                           evidence: ["required": .number(threshold.value)]))
                continue
            }
            let passed = switch threshold.comparison {
            case .greaterThanOrEqual: value >= threshold.value
            case .greaterThan: value > threshold.value
            case .lessThanOrEqual: value <= threshold.value
            case .lessThan: value < threshold.value
            }
            results.append(CheckResult(name: name, kind: .metricThreshold, passed: passed,
                                       reason: "\(threshold.metric) = \(value), required \(threshold.comparison.rawValue) \(threshold.value)",
                                       evidence: ["value": .number(value), "required": .number(threshold.value)]))
        }
        if policy.requireSignature {
            // A model signature is the version's input/output schema (MLflow's meaning), not a cryptographic signature.
            results.append(CheckResult(name: "model_signature_present", kind: .signaturePresent, passed: facts.signaturePresent,
                                       reason: facts.signaturePresent ? "the version has a model signature (input/output schema)"
                                           : "the version has no model signature (input/output schema); set one with PATCH /v1/models/{name}/versions/{version}",
                                       evidence: ["signature_present": .bool(facts.signaturePresent)]))
        }
        if policy.requireNoOpenDriftAlert {
            results.append(facts.openDriftAlerts.map { alerts in
                CheckResult(name: "no_open_drift_alert", kind: .noOpenDriftAlert, passed: alerts == 0,
                            reason: alerts == 0 ? "no open drift alert" : "\(alerts) open drift alert(s)", evidence: ["open_alerts": .number(Double(alerts))])
            } ?? CheckResult(name: "no_open_drift_alert", kind: .noOpenDriftAlert, passed: true, reason: "no data", evidence: [:]))
        }
        if policy.requireWithinBudget {
            results.append(facts.budgetExceeded.map { exceeded in
                CheckResult(name: "within_budget", kind: .withinBudget, passed: !exceeded,
                            reason: exceeded ? "the tenant's budget is exceeded" : "the tenant is within budget", evidence: ["exceeded": .bool(exceeded)])
            } ?? CheckResult(name: "within_budget", kind: .withinBudget, passed: true, reason: "no data", evidence: [:]))
        }
        return results
    }
}
