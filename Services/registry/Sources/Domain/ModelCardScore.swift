import Foundation
import MaestroDomain
import MaestroEvents

extension RegistryEvent.ModelCard {
    /// Sections with content; a section of only whitespace counts as empty.
    var missingSections: [ModelCardSection] {
        func empty(_ text: String?) -> Bool { text?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ?? true }
        return ModelCardSection.allCases.filter { section in
            switch section {
            case .overview: empty(overview)
            case .intendedUse: empty(intendedUse)
            case .outOfScopeUse: empty(outOfScopeUse)
            case .trainingData: trainingData.isEmpty
            case .evaluation: evaluation.isEmpty
            case .limitations: empty(limitations)
            case .ethicalConsiderations: empty(ethicalConsiderations)
            case .owners: owners.isEmpty
            }
        }
    }

    /// Share of sections filled in, from 0 to 1, rounded to two decimals.
    var completeness: Double {
        let total = Double(ModelCardSection.allCases.count)
        return ((total - Double(missingSections.count)) / total * 100).rounded() / 100
    }
}
