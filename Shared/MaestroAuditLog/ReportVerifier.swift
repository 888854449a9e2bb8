import Foundation

/// Checks a model report: its head's signature, and each entry's bytes against its leaf hash
/// and its inclusion proof against the head.
public enum ReportVerifier {
    public struct Summary: Sendable {
        public let logID: String
        public let treeSize: Int
        public let entries: Int
    }

    public static func verify(_ data: Data, keys: [AuditPublicKey]) throws(ExportVerifier.Failure) -> Summary {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let headObject = object["tree_head"], let headData = try? JSONSerialization.data(withJSONObject: headObject),
              let head = try? JSONDecoder().decode(Checkpoint.self, from: headData), let entries = object["entries"] as? [[String: Any]] else {
            throw ExportVerifier.Failure(firstBadIndex: nil, reason: "not a model report (tree_head, entries)")
        }
        guard let key = keys.first(where: { $0.keyID == head.keyID }) else {
            throw ExportVerifier.Failure(firstBadIndex: nil, reason: "the report's head is signed by key \(head.keyID), which is not one of the public keys given")
        }
        guard head.isSigned(by: key) else { throw ExportVerifier.Failure(firstBadIndex: nil, reason: "the signature of the report's head does not verify") }
        for entry in entries {
            guard let index = entry["index"] as? Int, let text = entry["entry"] as? String, let proofText = entry["inclusion_proof"] as? [String] else {
                throw ExportVerifier.Failure(firstBadIndex: nil, reason: "an entry lacks index, entry or inclusion_proof")
            }
            let proof = proofText.compactMap(Hex.hash)
            guard proof.count == proofText.count, let link = AuditEntryLink(canonical: text), link.index == index, link.logID == head.logID,
                  MerkleProofs.verifyInclusion(leafHash: RFC6962.leafHash(text.utf8), index: index, treeSize: head.treeSize, proof: proof, root: head.rootHash) else {
                throw ExportVerifier.Failure(firstBadIndex: index, reason: "its bytes or proof do not lead to the signed root")
            }
        }
        return Summary(logID: head.logID, treeSize: head.treeSize, entries: entries.count)
    }
}
