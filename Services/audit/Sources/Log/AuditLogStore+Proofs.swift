import Foundation
import MaestroAuditLog
import MaestroPostgres
import NIOCore
import PostgresNIO

/// Tree heads and proofs. Every read runs in the log's tenant transaction, so row-level
/// security confines it to that log.
extension AuditLogStore {
    /// A log's current size and root; an unknown log is the empty tree.
    func head(of logID: String, on connection: PostgresConnection) async throws -> (size: Int, root: MerkleHash) {
        let rows = try await connection.query("SELECT tree_size, root_hash FROM audit.logs WHERE log_id = \(logID)", logger: logger)
            .decode((Int, ByteBuffer).self)
        for try await (size, root) in rows { return (size, Array(buffer: root)) }
        return (0, RFC6962.emptyRoot)
    }

    /// The current head of a log, signed now.
    func signedHead(of logID: String) async throws -> Checkpoint {
        try await client.withTenantTransaction(logID, logger: logger) { connection in
            try await signedHead(of: logID, on: connection)
        }
    }

    /// Signs only a head the stored log backs: its root is the fold of the stored subtrees, and
    /// it extends the latest checkpoint this key signed (a row rewritten to a smaller or forked
    /// tree gets no signature, and raises the alarm instead).
    func signedHead(of logID: String, on connection: PostgresConnection) async throws -> Checkpoint {
        let head = try await head(of: logID, on: connection)
        let positions = CompactRange.positions(forSize: head.size)
        let latest = try await latestCheckpoint(logID: logID, keyID: key.keyID, on: connection)
        var wanted = Set(positions)
        if let latest { wanted.formUnion(MerkleProofs.requiredNodes(consistencyFrom: latest.treeSize, to: max(latest.treeSize, head.size))) }
        let stored = try await nodes(wanted, logID: logID, on: connection)
        var problem: String?
        if let latest, !latest.isSigned(by: key.publicKey) {
            problem = "the stored checkpoint of size \(latest.treeSize) does not carry this key's signature"
        } else if let latest, latest.treeSize > head.size {
            problem = "the log's size \(head.size) is below its signed checkpoint of size \(latest.treeSize)"
        } else if let edge = CompactRange(size: head.size, hashes: positions.compactMap { stored.hashes[$0] }), edge.hashes.count == positions.count {
            if edge.root != head.root {
                problem = "the stored root of size \(head.size) is not the root of the stored subtrees"
            } else if let latest, let proof = try? MerkleProofs.consistency(from: latest.treeSize, to: head.size, nodes: stored.source(logID: logID)),
                      !MerkleProofs.verifyConsistency(first: latest.treeSize, second: head.size, firstRoot: latest.rootHash, secondRoot: head.root, proof: proof) {
                problem = "the log of size \(head.size) does not extend its signed checkpoint of size \(latest.treeSize)"
            }
        } else {
            problem = "stored subtrees of the tree of size \(head.size) are missing"
        }
        if let problem {
            let error = AuditLogError.damagedState(logID, problem)
            await raiseTamperAlarm(logID: logID, treeSize: head.size, reason: error.description)
            throw error
        }
        return try Checkpoint.sign(logID: logID, treeSize: head.size, rootHash: head.root, time: Date(), key: key)
    }

    /// The newest stored checkpoint signed with `keyID`, if any.
    func latestCheckpoint(logID: String, keyID: String, on connection: PostgresConnection) async throws -> Checkpoint? {
        let rows = try await connection.query("""
            SELECT tree_size, root_hash, signed_at, signature FROM audit.checkpoints
            WHERE log_id = \(logID) AND key_id = \(keyID) ORDER BY tree_size DESC LIMIT 1
            """, logger: logger).decode((Int, ByteBuffer, Date, ByteBuffer).self)
        for try await (size, root, signedAt, signature) in rows {
            return Checkpoint(logID: logID, treeSize: size, rootHash: Array(buffer: root), time: signedAt, keyID: keyID, signature: Array(buffer: signature))
        }
        return nil
    }

    /// The audit path of entry `index` in the tree of `treeSize` entries (default: the current size).
    func inclusionProof(logID: String, index: Int, treeSize: Int?) async throws -> InclusionProof {
        try await client.withTenantTransaction(logID, logger: logger) { connection in
            let current = try await head(of: logID, on: connection)
            let size = treeSize ?? current.size
            guard size <= current.size else { throw AuditQueryError.beyondHead(size: size, current: current.size, field: "tree_size") }
            guard index < size else { throw AuditQueryError.noSuchEntry(index, size: size) }
            let nodes = try await nodes(MerkleProofs.requiredNodes(inclusionOf: index, treeSize: size).union(MerkleProofs.requiredNodes(rootOf: size))
                                            .union([MerkleProofs.Position(level: 0, index: index)]), logID: logID, on: connection)
            let source = nodes.source(logID: logID)
            return InclusionProof(logID: logID, index: index, treeSize: size, leafHash: try source(0, index),
                                  path: try MerkleProofs.inclusion(of: index, treeSize: size, nodes: source),
                                  rootHash: try MerkleProofs.root(treeSize: size, nodes: source))
        }
    }

    /// Inclusion proofs of many entries against one tree size, with one read of the nodes they need.
    func inclusionProofs(logID: String, indexes: [Int], treeSize: Int, on connection: PostgresConnection) async throws -> [Int: [MerkleHash]] {
        var wanted: Set<MerkleProofs.Position> = []
        for index in indexes { wanted.formUnion(MerkleProofs.requiredNodes(inclusionOf: index, treeSize: treeSize)) }
        let source = try await nodes(wanted, logID: logID, on: connection).source(logID: logID)
        var proofs: [Int: [MerkleHash]] = [:]
        for index in indexes { proofs[index] = try MerkleProofs.inclusion(of: index, treeSize: treeSize, nodes: source) }
        return proofs
    }

    /// The proof that the tree of `first` entries is a prefix of the tree of `second` (default: the current size).
    func consistencyProof(logID: String, first: Int, second: Int?) async throws -> ConsistencyProof {
        try await client.withTenantTransaction(logID, logger: logger) { connection in
            let current = try await head(of: logID, on: connection)
            let second = second ?? current.size
            guard second <= current.size else { throw AuditQueryError.beyondHead(size: second, current: current.size, field: "second") }
            guard first <= second else { throw AuditQueryError.badRange(first: first, second: second) }
            return try await consistencyProof(logID: logID, first: first, second: second, on: connection)
        }
    }

    func consistencyProof(logID: String, first: Int, second: Int, on connection: PostgresConnection) async throws -> ConsistencyProof {
        let wanted = MerkleProofs.requiredNodes(consistencyFrom: first, to: second)
            .union(MerkleProofs.requiredNodes(rootOf: first)).union(MerkleProofs.requiredNodes(rootOf: second))
        let source = try await nodes(wanted, logID: logID, on: connection).source(logID: logID)
        return ConsistencyProof(logID: logID, first: first, second: second,
                                firstRoot: try MerkleProofs.root(treeSize: first, nodes: source),
                                secondRoot: try MerkleProofs.root(treeSize: second, nodes: source),
                                path: try MerkleProofs.consistency(from: first, to: second, nodes: source))
    }

    /// Reads the named subtree hashes: leaves from `entries`, the rest from `nodes`.
    func nodes(_ positions: Set<MerkleProofs.Position>, logID: String, on connection: PostgresConnection) async throws -> NodeHashes {
        var leaves: [Int64] = []
        var levels: [Int16] = []
        var indexes: [Int64] = []
        for position in positions {
            if position.level == 0 {
                leaves.append(Int64(position.index))
            } else {
                levels.append(Int16(position.level))
                indexes.append(Int64(position.index))
            }
        }
        let rows = try await connection.query("""
            SELECT 0::smallint, idx, leaf_hash FROM audit.entries WHERE log_id = \(logID) AND idx = ANY(\(leaves)::bigint[])
            UNION ALL
            SELECT n.level, n.idx, n.hash FROM audit.nodes n
            JOIN unnest(\(levels)::smallint[], \(indexes)::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx
            WHERE n.log_id = \(logID)
            """, logger: logger).decode((Int16, Int64, ByteBuffer).self)
        var found = NodeHashes()
        for try await (level, index, hash) in rows {
            found.hashes[MerkleProofs.Position(level: Int(level), index: Int(index))] = Array(buffer: hash)
        }
        return found
    }

    /// Stored checkpoints of a log with a size in `sizes`, by size.
    func checkpoints(logID: String, after: Int?, upTo limit: Int, maxSize: Int? = nil, on connection: PostgresConnection) async throws -> [Checkpoint] {
        let rows = try await connection.query("""
            SELECT tree_size, root_hash, signed_at, key_id, signature FROM audit.checkpoints
            WHERE log_id = \(logID) AND tree_size > \(after ?? -1) AND tree_size <= \(maxSize ?? Int.max)
            ORDER BY tree_size LIMIT \(limit)
            """, logger: logger).decode((Int, ByteBuffer, Date, String, ByteBuffer).self)
        var found: [Checkpoint] = []
        for try await (size, root, signedAt, keyID, signature) in rows {
            found.append(Checkpoint(logID: logID, treeSize: size, rootHash: Array(buffer: root), time: signedAt, keyID: keyID,
                                    signature: Array(buffer: signature)))
        }
        return found
    }
}

/// Subtree hashes read for a proof.
struct NodeHashes {
    var hashes: [MerkleProofs.Position: MerkleHash] = [:]

    func source(logID: String) -> MerkleProofs.NodeSource {
        { level, index in
            guard let hash = hashes[MerkleProofs.Position(level: level, index: index)] else {
                throw AuditLogError.missingNode(logID, MissingNode(level: level, index: index))
            }
            return hash
        }
    }
}

struct InclusionProof: Sendable {
    let logID: String
    let index: Int
    let treeSize: Int
    let leafHash: MerkleHash
    let path: [MerkleHash]
    let rootHash: MerkleHash
}

struct ConsistencyProof: Sendable {
    let logID: String
    let first: Int
    let second: Int
    let firstRoot: MerkleHash
    let secondRoot: MerkleHash
    let path: [MerkleHash]
}

/// A query that asks for something the log does not have; the API maps these to 404 and 422.
struct AuditQueryError: Error, CustomStringConvertible {
    enum Code { case noSuchEntry, beyondHead, badRange, tooLarge }
    let code: Code
    let description: String
    /// The query parameter at fault, for the problem's `errors[]`.
    var field = ""

    static func noSuchEntry(_ index: Int, size: Int) -> AuditQueryError {
        AuditQueryError(code: .noSuchEntry, description: "The log has no entry \(index); its tree has \(size) entries.")
    }

    static func beyondHead(size: Int, current: Int, field: String) -> AuditQueryError {
        AuditQueryError(code: .beyondHead, description: "\(field) \(size) is beyond the log's current size, \(current).", field: field)
    }

    static func badRange(first: Int, second: Int) -> AuditQueryError {
        AuditQueryError(code: .badRange, description: "first (\(first)) must not be greater than second (\(second)).")
    }

    static func tooLarge(bytes: Int) -> AuditQueryError {
        AuditQueryError(code: .tooLarge, description: "The report's entries would take more than \(bytes >> 20) MB; export the model's entries instead (subject_prefix=models/<name>).")
    }

    static func tooLarge(limit: Int) -> AuditQueryError {
        AuditQueryError(code: .tooLarge, description: "The report would hold more than \(limit) entries; export the model's entries instead (subject_prefix=models/<name>).")
    }
}
