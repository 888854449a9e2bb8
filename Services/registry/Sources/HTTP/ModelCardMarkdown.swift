import Foundation
import MaestroDomain
import MaestroEvents

/// A model card as Markdown (`…/card.md`), with the missing sections marked as such.
enum ModelCardMarkdown {
    static func render(_ card: ModelCard, version: ModelVersion) -> String {
        var lines = ["# Model card: \(version.modelName) version \(version.version)", ""]
        lines.append("Completeness: \(Int((card.completeness * 100).rounded()))%"
            + (card.missingSections.isEmpty ? "" : " (missing: \(card.missingSections.map(\.title).joined(separator: ", ")))"))
        lines.append("")
        lines.append("- Source: `\(version.source)`")
        if let runID = version.runID { lines.append("- Run: `\(runID)`") }
        lines.append("- Status: \(version.status.rawValue); stage: \(version.stage.rawValue)")
        if !version.aliases.isEmpty { lines.append("- Aliases: \(version.aliases.joined(separator: ", "))") }
        lines.append("- Signature: \(version.signature == nil ? "none" : "present")")
        func section(_ section: ModelCardSection, _ body: [String]) {
            lines += ["", "## \(section.title)", ""]
            lines += body.isEmpty ? ["_Not provided._"] : body
        }
        func text(_ value: String?) -> [String] {
            guard let value, !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return [] }
            return [value]
        }
        section(.overview, text(card.overview))
        section(.intendedUse, text(card.intendedUse))
        section(.outOfScopeUse, text(card.outOfScopeUse))
        section(.trainingData, card.trainingData.map { "- \($0.name) version \($0.version)" })
        section(.evaluation, card.evaluation.isEmpty ? [] : ["| metric | value | dataset |", "|---|---|---|"] + card.evaluation.map {
            "| \($0.metric) | \($0.value) | \($0.dataset.map { "\($0.name) version \($0.version)" } ?? "-") |"
        })
        section(.limitations, text(card.limitations))
        section(.ethicalConsiderations, text(card.ethicalConsiderations))
        section(.owners, card.owners.map { "- \($0)" })
        return lines.joined(separator: "\n") + "\n"
    }
}

extension RegistryEvent.ModelCardSection {
    var title: String {
        switch self {
        case .overview: "Overview"
        case .intendedUse: "Intended use"
        case .outOfScopeUse: "Out-of-scope use"
        case .trainingData: "Training data"
        case .evaluation: "Evaluation"
        case .limitations: "Limitations"
        case .ethicalConsiderations: "Ethical considerations"
        case .owners: "Owners"
        }
    }
}
