import Foundation
import MaestroAuditLog
import MaestroPostgres
import NIOCore
import PostgresNIO

/// Tree heads and proofs. Every read runs in the log's tenant transaction, so row-level
/// security confines it to that log.
extension AuditLogStore {
    /// The log's current size and root; an unknown log is the empty tree.
    func head(in log: LogTransaction) async throws -> (size: Int, root: MerkleHash) {
        let rows = try await log.query("SELECT tree_size, root_hash FROM audit.logs WHERE log_id = \(log.tenant)")
            .decode((Int, ByteBuffer).self)
        for try await (size, root) in rows { return (size, Array(buffer: root)) }
        return (0, RFC6962.emptyRoot)
    }

    /// The current head of `tenant`'s log, signed now.
    func signedHead(of tenant: String) async throws -> Checkpoint {
        try await withLog(tenant) { log in try await signedHead(in: log) }
    }

    /// Signs only a head the stored log backs: its root is the fold of the stored subtrees, and
    /// it extends the latest checkpoint this key signed (a row rewritten to a smaller or forked
    /// tree gets no signature, and raises the alarm instead).
    func signedHead(in log: LogTransaction) async throws -> Checkpoint {
        let head = try await head(in: log)
        let positions = CompactRange.positions(forSize: head.size)
        let latest = try await latestCheckpoint(keyID: key.keyID, in: log)
        var wanted = Set(positions)
        if let latest { wanted.formUnion(MerkleProofs.requiredNodes(consistencyFrom: latest.treeSize, to: max(latest.treeSize, head.size))) }
        let stored = try await nodes(wanted, in: log)
        var problem: String?
        if let latest, !latest.isSigned(by: key.publicKey) {
            problem = "the stored checkpoint of size \(latest.treeSize) does not carry this key's signature"
        } else if let latest, latest.treeSize > head.size {
            problem = "the log's size \(head.size) is below its signed checkpoint of size \(latest.treeSize)"
        } else if let edge = CompactRange(size: head.size, hashes: positions.compactMap { stored.hashes[$0] }), edge.hashes.count == positions.count {
            if edge.root != head.root {
                problem = "the stored root of size \(head.size) is not the root of the stored subtrees"
            } else if let latest, let proof = try? MerkleProofs.consistency(from: latest.treeSize, to: head.size, nodes: stored.source(tenant: log.tenant)),
                      !MerkleProofs.verifyConsistency(first: latest.treeSize, second: head.size, firstRoot: latest.rootHash, secondRoot: head.root, proof: proof) {
                problem = "the log of size \(head.size) does not extend its signed checkpoint of size \(latest.treeSize)"
            }
        } else {
            problem = "stored subtrees of the tree of size \(head.size) are missing"
        }
        if let problem {
            let error = AuditLogError.damagedState(log.tenant, problem)
            await raiseTamperAlarm(tenant: log.tenant, treeSize: head.size, reason: error.description)
            throw error
        }
        return try Checkpoint.sign(logID: log.tenant, treeSize: head.size, rootHash: head.root, time: Date(), key: key)
    }

    /// The newest stored checkpoint signed with `keyID`, if any.
    func latestCheckpoint(keyID: String, in log: LogTransaction) async throws -> Checkpoint? {
        let rows = try await log.query("""
            SELECT tree_size, root_hash, signed_at, signature FROM audit.checkpoints
            WHERE log_id = \(log.tenant) AND key_id = \(keyID) ORDER BY tree_size DESC LIMIT 1
            """).decode((Int, ByteBuffer, Date, ByteBuffer).self)
        for try await (size, root, signedAt, signature) in rows {
            return Checkpoint(logID: log.tenant, treeSize: size, rootHash: Array(buffer: root), time: signedAt, keyID: keyID, signature: Array(buffer: signature))
        }
        return nil
    }

    /// The audit path of entry `index` in the tree of `treeSize` entries (default: the current size).
    func inclusionProof(tenant: String, index: Int, treeSize: Int?) async throws -> InclusionProof {
        try await withLog(tenant) { log in
            let current = try await head(in: log)
            let size = treeSize ?? current.size
            guard size <= current.size else { throw AuditQueryError.beyondHead(size: size, current: current.size, field: "tree_size") }
            guard index < size else { throw AuditQueryError.noSuchEntry(index, size: size) }
            let nodes = try await nodes(MerkleProofs.requiredNodes(inclusionOf: index, treeSize: size).union(MerkleProofs.requiredNodes(rootOf: size))
                                            .union([MerkleProofs.Position(level: 0, index: index)]), in: log)
            let source = nodes.source(tenant: tenant)
            return InclusionProof(tenant: tenant, index: index, treeSize: size, leafHash: try source(0, index),
                                  path: try MerkleProofs.inclusion(of: index, treeSize: size, nodes: source),
                                  rootHash: try MerkleProofs.root(treeSize: size, nodes: source))
        }
    }

    /// Inclusion proofs of many entries against one tree size, with one read of the nodes they need.
    func inclusionProofs(indexes: [Int], treeSize: Int, in log: LogTransaction) async throws -> [Int: [MerkleHash]] {
        var wanted: Set<MerkleProofs.Position> = []
        for index in indexes { wanted.formUnion(MerkleProofs.requiredNodes(inclusionOf: index, treeSize: treeSize)) }
        let source = try await nodes(wanted, in: log).source(tenant: log.tenant)
        var proofs: [Int: [MerkleHash]] = [:]
        for index in indexes { proofs[index] = try MerkleProofs.inclusion(of: index, treeSize: treeSize, nodes: source) }
        return proofs
    }

    /// The proof that the tree of `first` entries is a prefix of the tree of `second` (default: the current size).
    func consistencyProof(tenant: String, first: Int, second: Int?) async throws -> ConsistencyProof {
        try await withLog(tenant) { log in
            let current = try await head(in: log)
            let second = second ?? current.size
            guard second <= current.size else { throw AuditQueryError.beyondHead(size: second, current: current.size, field: "second") }
            guard first <= second else { throw AuditQueryError.badRange(first: first, second: second) }
            return try await consistencyProof(first: first, second: second, in: log)
        }
    }

    func consistencyProof(first: Int, second: Int, in log: LogTransaction) async throws -> ConsistencyProof {
        let wanted = MerkleProofs.requiredNodes(consistencyFrom: first, to: second)
            .union(MerkleProofs.requiredNodes(rootOf: first)).union(MerkleProofs.requiredNodes(rootOf: second))
        let source = try await nodes(wanted, in: log).source(tenant: log.tenant)
        return ConsistencyProof(tenant: log.tenant, first: first, second: second,
                                firstRoot: try MerkleProofs.root(treeSize: first, nodes: source),
                                secondRoot: try MerkleProofs.root(treeSize: second, nodes: source),
                                path: try MerkleProofs.consistency(from: first, to: second, nodes: source))
    }

    /// Reads the named subtree hashes: leaves from `entries`, the rest from `nodes`.
    func nodes(_ positions: Set<MerkleProofs.Position>, in log: LogTransaction) async throws -> NodeHashes {
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
        let rows = try await log.query("""
            SELECT 0::smallint, idx, leaf_hash FROM audit.entries WHERE log_id = \(log.tenant) AND idx = ANY(\(leaves)::bigint[])
            UNION ALL
            SELECT n.level, n.idx, n.hash FROM audit.nodes n
            JOIN unnest(\(levels)::smallint[], \(indexes)::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx
            WHERE n.log_id = \(log.tenant)
            """).decode((Int16, Int64, ByteBuffer).self)
        var found = NodeHashes()
        for try await (level, index, hash) in rows {
            found.hashes[MerkleProofs.Position(level: Int(level), index: Int(index))] = Array(buffer: hash)
        }
        return found
    }

    /// Stored checkpoints of the log larger than `after` and at most `maxSize`, by size.
    func checkpoints(after: Int?, upTo limit: Int, maxSize: Int? = nil, in log: LogTransaction) async throws -> [Checkpoint] {
        let rows = try await log.query("""
            SELECT tree_size, root_hash, signed_at, key_id, signature FROM audit.checkpoints
            WHERE log_id = \(log.tenant) AND tree_size > \(after ?? -1) AND tree_size <= \(maxSize ?? Int.max)
            ORDER BY tree_size LIMIT \(limit)
            """).decode((Int, ByteBuffer, Date, String, ByteBuffer).self)
        var found: [Checkpoint] = []
        for try await (size, root, signedAt, keyID, signature) in rows {
            found.append(Checkpoint(logID: log.tenant, treeSize: size, rootHash: Array(buffer: root), time: signedAt, keyID: keyID,
                                    signature: Array(buffer: signature)))
        }
        return found
    }
}

/// Subtree hashes read for a proof.
struct NodeHashes {
    var hashes: [MerkleProofs.Position: MerkleHash] = [:]

    func source(tenant: String) -> MerkleProofs.NodeSource {
        { level, index in
            guard let hash = hashes[MerkleProofs.Position(level: level, index: index)] else {
                throw AuditLogError.missingNode(tenant, MissingNode(level: level, index: index))
            }
            return hash
        }
    }
}
