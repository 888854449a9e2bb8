import Foundation
import Hummingbird
import MaestroAuditLog

/// Streams a log export. Rows are read from a back-pressured cursor and written in chunks of
/// about 64 KiB, so memory stays flat whatever the log's size. The export is consistent: the
/// head is read first and only entries below its size are written (entries are append-only,
/// so those never change under the export).
///
/// A failure after the first bytes went out can only cut the stream short; a truncated NDJSON
/// export then fails verification (it lacks entries its head covers, or its end line), never
/// passes it. CSV has no such guard: use NDJSON where completeness matters.
struct LogExport: Sendable {
    let store: AuditLogStore
    let tenant: String
    let filter: EntryFilter

    private static let chunkSize = 64 * 1024
    private static let proofBatch = 500

    func ndjson() -> Response {
        let store = self.store, tenant = self.tenant, filter = self.filter
        let body = ResponseBody { writer in
            var chunk = ByteBuffer()
            func emit(_ line: AuditExportLine) async throws {
                chunk.writeString(line.encoded())
                chunk.writeString("\n")
                if chunk.readableBytes >= Self.chunkSize {
                    try await writer.write(chunk)
                    chunk.clear()
                }
            }
            try await store.withLog(tenant) { log in
                let head = try await store.signedHead(in: log)
                try await emit(.head(head, filtered: !filter.isEmpty))
                if filter.isEmpty {
                    let checkpoints = try await store.checkpoints(after: nil, upTo: Int.max, maxSize: head.treeSize, in: log)
                    for checkpoint in checkpoints { try await emit(.checkpoint(checkpoint)) }
                    var sizes = checkpoints.map(\.treeSize)
                    if sizes.last != head.treeSize { sizes.append(head.treeSize) }
                    for (first, second) in zip(sizes, sizes.dropFirst()) where first > 0 {
                        do {
                            let proof = try await store.consistencyProof(first: first, second: second, in: log)
                            try await emit(.consistency(first: first, second: second, proof: proof.path))
                        } catch let error as AuditLogError where error.isDamage {
                            // A stored hash is gone: the export goes on without this proof, and the
                            // verifier names the entry from the entries themselves.
                            await store.raiseTamperAlarm(tenant: tenant, treeSize: second, reason: error.description)
                        }
                    }
                    var written = 0
                    try await store.forEachEntry(filter: filter, after: nil, before: head.treeSize, in: log) { entry in
                        try await emit(.entry(index: entry.index, leafHash: entry.leafHash, entry: entry.entry, proof: nil))
                        written += 1
                    }
                    try await emit(.end(entries: written))
                } else {
                    // Each matching entry with its inclusion proof against the head, a page at a time.
                    var cursor: Int?
                    var written = 0
                    while true {
                        var page: [StoredEntry] = []
                        try await store.forEachEntry(filter: filter, after: cursor, before: head.treeSize, limit: Self.proofBatch,
                                                     in: log) { page.append($0) }
                        guard let last = page.last else { break }
                        let proofs = try await store.inclusionProofs(indexes: page.map(\.index), treeSize: head.treeSize, in: log)
                        for entry in page {
                            try await emit(.entry(index: entry.index, leafHash: entry.leafHash, entry: entry.entry, proof: proofs[entry.index]))
                        }
                        cursor = last.index
                        written += page.count
                    }
                    try await emit(.end(entries: written))
                }
            }
            if chunk.readableBytes > 0 { try await writer.write(chunk) }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson", .contentDisposition: "attachment; filename=\"audit-\(tenant).ndjson\""], body: body)
    }

    static let csvHeader = "index,occurred_at,recorded_at,kind,type,subject,actor,correlation_id,event_id,topic,partition,offset,leaf_hash,producer,provenance\r\n"

    func csv() -> Response {
        let store = self.store, tenant = self.tenant, filter = self.filter
        let body = ResponseBody { writer in
            var chunk = ByteBuffer(string: Self.csvHeader)
            try await store.withLog(tenant) { log in
                let head = try await store.head(in: log)
                try await store.forEachEntry(filter: filter, after: nil, before: head.size, in: log) { entry in
                    let fields: [String] = [
                        String(entry.index), AuditTime.format(entry.occurredAt), AuditTime.format(entry.recordedAt), entry.kind,
                        entry.eventType ?? "", entry.subject ?? "", entry.actor ?? "", entry.correlationID ?? "", entry.eventID ?? "",
                        entry.topic, String(entry.partition), String(entry.offset), Hex.encode(entry.leafHash),
                        entry.producer ?? "", entry.provenance ?? "",
                    ]
                    chunk.writeString(fields.map(CSV.field).joined(separator: ",") + "\r\n")
                    if chunk.readableBytes >= Self.chunkSize {
                        try await writer.write(chunk)
                        chunk.clear()
                    }
                }
            }
            if chunk.readableBytes > 0 { try await writer.write(chunk) }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"audit-\(tenant).csv\""], body: body)
    }
}

/// RFC 4180 fields (records end in CRLF). A field a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR)
/// is prefixed with `'`, so an event's text cannot become a formula in the auditor's spreadsheet.
enum CSV {
    static func field(_ value: String) -> String {
        var value = value
        // Scalars, not Characters: "\r\n" is one Character, equal to neither "\r" nor "\n".
        if let first = value.unicodeScalars.first, "=+-@\t\r\n".unicodeScalars.contains(first) { value = "'" + value }
        guard value.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
