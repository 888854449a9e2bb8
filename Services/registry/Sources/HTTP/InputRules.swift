import Foundation
import MaestroDomain
import MaestroEvents
import MaestroService

/// The registry's input rules, shared by the native and the MLflow API.
enum RegistryRules {
    static let maxNameLength = 256
    static let maxTagKeyLength = 250
    static let maxTagValueLength = 5000
    static let maxTags = 100
    static let maxDescriptionLength = 5000
    static let maxMetrics = 500
    static let maxParams = 500
    static let maxURILength = 4096
    static let maxProtectedAliases = 20
    static let allowedSchemes: Set<String> = ["s3", "gs", "abfss", "wasbs", "hdfs", "file", "http", "https", "models", "runs", "mlflow-artifacts"]

    /// A model name, alias or owner: 1–256 characters, no `/`, and the rules of every name
    /// (``Names/problem(_:)``: no surrounding whitespace, no control or invisible characters).
    static func checkName(_ name: String, field: String, into validation: inout FieldValidation) {
        validation.check(!name.isEmpty && name.count <= maxNameLength, field, "must be 1 to \(maxNameLength) characters")
        validation.check(!name.contains("/"), field, "must not contain '/'")
        if let problem = Names.problem(name) { validation.check(false, field, problem) }
    }

    /// An alias additionally must not look like a version number (`v3`, `3`), which MLflow reserves.
    static func checkAlias(_ alias: String, field: String = "alias", into validation: inout FieldValidation) {
        checkName(alias, field: field, into: &validation)
        validation.check(alias.wholeMatch(of: /[vV]?[0-9]+/) == nil, field, "must not look like a version number")
        validation.check(alias.lowercased() != "latest", field, "'latest' is reserved")
    }

    /// At most ``maxProtectedAliases`` aliases, each a valid alias, each once.
    static func checkProtectedAliases(_ aliases: [String], field: String = "protected_aliases", into validation: inout FieldValidation) {
        guard aliases.count <= maxProtectedAliases else {
            validation.check(false, field, "at most \(maxProtectedAliases) aliases")
            return
        }
        for alias in aliases { checkAlias(alias, field: field, into: &validation) }
        validation.check(Set(aliases.map(Names.comparisonKey)).count == aliases.count, field, "each alias at most once (compared as names)")
    }

    /// Each of Staging, Production and Archived at most once (None is where versions start and cannot be protected).
    static func checkProtectedStages(_ stages: [String], field: String = "protected_stages", into validation: inout FieldValidation) {
        let allowed: Set<String> = ["Staging", "Production", "Archived"]
        validation.check(stages.allSatisfy(allowed.contains), field, "each is Staging, Production or Archived")
        validation.check(Set(stages).count == stages.count, field, "each stage at most once")
    }

    static func checkSource(_ source: String, field: String = "source", into validation: inout FieldValidation) {
        guard !source.isEmpty, source.utf8.count <= maxURILength else {
            validation.check(false, field, "must be a URI of 1 to \(maxURILength) bytes")
            return
        }
        let scheme = source.firstRange(of: ":").map { String(source[..<$0.lowerBound]).lowercased() }
        validation.check(scheme.map(allowedSchemes.contains) ?? false, field,
                         "must be a URI with one of the schemes \(allowedSchemes.sorted().joined(separator: ", "))")
        validation.check(!source.unicodeScalars.contains { $0.properties.generalCategory == .control }, field, "must not contain control characters")
    }

    static func checkTags(_ tags: [String: String], field: String = "tags", into validation: inout FieldValidation) {
        validation.check(tags.count <= maxTags, field, "at most \(maxTags) tags")
        for (key, value) in tags.sorted(by: { $0.key < $1.key }) {
            checkTag(key: key, value: value, field: "\(field).\(key)", into: &validation)
        }
    }

    static func checkTag(key: String, value: String?, field: String = "key", into validation: inout FieldValidation) {
        validation.check(!key.isEmpty && key.count <= maxTagKeyLength, field, "tag keys are 1 to \(maxTagKeyLength) characters")
        if let problem = Names.problem(key) { validation.check(false, field, "tag keys \(problem)") }
        if let value { validation.check(value.count <= maxTagValueLength, field, "tag values are at most \(maxTagValueLength) characters") }
    }

    static func checkDescription(_ description: String?, field: String = "description", into validation: inout FieldValidation) {
        validation.check((description?.count ?? 0) <= maxDescriptionLength, field, "at most \(maxDescriptionLength) characters")
    }

    /// MLflow's signature: `inputs`, `outputs` and `params` are JSON text of an array of column or
    /// tensor specs, each an object with a `type`.
    static func checkSignature(_ signature: ModelSignature, field: String = "signature", into validation: inout FieldValidation) {
        func specs(_ text: String?, _ name: String, required: Bool) {
            guard let text else {
                validation.check(!required, "\(field).\(name)", "is required")
                return
            }
            let parsed = try? JSONSerialization.jsonObject(with: Data(text.utf8))
            guard let array = parsed as? [Any] else {
                validation.check(false, "\(field).\(name)", "must be JSON text of an array of column or tensor specs")
                return
            }
            validation.check(array.allSatisfy { ($0 as? [String: Any])?["type"] is String }, "\(field).\(name)",
                             "every spec must be an object with a string 'type'")
        }
        specs(signature.inputs, "inputs", required: true)
        specs(signature.outputs, "outputs", required: false)
        specs(signature.params, "params", required: false)
    }

    static func checkMetrics(_ metrics: [String: Double], field: String = "metrics", into validation: inout FieldValidation) {
        validation.check(metrics.count <= maxMetrics, field, "at most \(maxMetrics) metrics")
        for (name, value) in metrics {
            validation.check(!name.isEmpty && name.count <= maxTagKeyLength, "\(field).\(name)", "metric names are 1 to \(maxTagKeyLength) characters")
            validation.check(value.isFinite, "\(field).\(name)", "must be a finite number")
        }
    }

    static func checkParams(_ params: [String: String], field: String = "params", into validation: inout FieldValidation) {
        validation.check(params.count <= maxParams, field, "at most \(maxParams) parameters")
        for (name, value) in params {
            validation.check(!name.isEmpty && name.count <= maxTagKeyLength, "\(field).\(name)", "parameter names are 1 to \(maxTagKeyLength) characters")
            validation.check(value.count <= maxTagValueLength, "\(field).\(name)", "at most \(maxTagValueLength) characters")
        }
    }
}
