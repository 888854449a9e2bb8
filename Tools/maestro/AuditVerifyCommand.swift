import ArgumentParser
import Foundation
import MaestroAuditLog
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the audit log offline.",
        subcommands: [AuditVerifyCommand.self]
    )
}

/// `maestro audit verify`: recomputes a log from its export and checks every signature and
/// proof, trusting nothing but the public key it is given. Exit status 0 means the export is
/// intact; 1 names the first bad entry (or the bad signature or proof).
struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify an audit log export or a model report against the audit public key.",
        discussion: """
            Give one of --export (an NDJSON export file), --url (a running audit service; the full log is \
            downloaded and checked) or --report (a model report in JSON). Exit status: 0 intact, 1 tampered \
            or not verifiable, with the first bad entry named.
            """
    )

    @Option(name: .long, help: "An NDJSON export (GET /v1/audit/export?format=ndjson).")
    var export: String?

    @Option(name: .long, help: "A model report in JSON (GET /v1/audit/reports/models/{name}).")
    var report: String?

    @Option(name: .long, help: "The audit service's base URL, e.g. http://127.0.0.1:7103.")
    var url: String?

    @Option(name: .long, help: "With --url: the log to export (default: the token's tenant; _system for the system log).")
    var log: String?

    @Option(name: .long, help: "With --url: a bearer token (default: $MAESTRO_TOKEN).")
    var token: String?

    @Option(name: .customLong("public-key"), help: "An Ed25519 public key, base64, or a file holding one. Repeat for rotated keys.")
    var publicKeys: [String] = []

    @Option(name: .customLong("checkpoint"), help: """
        A file of signed heads you kept earlier, one JSON object per line (tree-head responses, export head lines,         or the data of io.maestro.audit.checkpoint.signed.v1 events). The log must extend each one. Repeatable.
        """)
    var checkpointFiles: [String] = []

    @Flag(name: .long, help: "Accept an export of selected entries (it proves each entry, not that none is missing).")
    var filtered = false

    func validate() throws {
        guard [export, report, url].compactMap({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --export, --report or --url")
        }
        guard !publicKeys.isEmpty else {
            throw ValidationError("give the audit public key with --public-key (GET /v1/audit/public-keys lists it; pin it, do not fetch it at check time)")
        }
    }

    func run() async throws {
        let keys = try publicKeys.map(Self.publicKey)
        do {
            if let report {
                let summary = try ReportVerifier.verify(try Data(contentsOf: URL(fileURLWithPath: report)), keys: keys)
                print("intact: model report of log \(summary.logID): \(summary.entries) entries, each proved included in the signed head of size \(summary.treeSize)")
                return
            }
            let file: URL
            if let url {
                file = try await download(url)
            } else {
                file = URL(fileURLWithPath: export!)
            }
            defer { if self.url != nil { try? FileManager.default.removeItem(at: file) } }
            var verifier = ExportVerifier(publicKeys: keys, trustedCheckpoints: try checkpointFiles.flatMap(Self.checkpoints),
                                          allowFiltered: filtered && url == nil)
            try LineReader.forEachLine(of: file) { line throws(ExportVerifier.Failure) in try verifier.consume(line) }
            let result = try verifier.finish()
            if result.filtered {
                print("intact: \(result.entries) selected entries of log \(result.logID), each proved included in the signed head of size \(result.treeSize)")
            } else {
                print("""
                    intact: log \(result.logID), \(result.entries) entries, root \(Hex.encode(result.rootHash)); \
                    \(result.checkpoints) signed checkpoints, \(result.consistencyProofs) consistency proofs and \
                    \(result.trustedCheckpoints) kept checkpoints checked
                    """)
            }
        } catch let failure as ExportVerifier.Failure {
            FileHandle.standardError.write(Data("TAMPERED or unverifiable: \(failure)\n".utf8))
            throw ExitCode(1)
        }
    }

    static func checkpoints(_ path: String) throws -> [Checkpoint] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ValidationError("--checkpoint \(path): cannot read the file") }
        return try text.split(whereSeparator: \.isNewline).filter { !$0.allSatisfy(\.isWhitespace) }.enumerated().map { number, line in
            guard let checkpoint = try? JSONDecoder().decode(Checkpoint.self, from: Data(line.utf8)) else {
                throw ValidationError("--checkpoint \(path), line \(number + 1): not a signed head (log_id, tree_size, root_hash, signed_at, key_id, signature)")
            }
            return checkpoint
        }
    }

    static func publicKey(_ argument: String) throws -> AuditPublicKey {
        let text = (try? String(contentsOfFile: argument, encoding: .utf8)) ?? argument
        guard let key = AuditPublicKey(base64: text) else {
            throw ValidationError("--public-key \(argument): not a base64 Ed25519 public key (32 bytes), nor a file holding one")
        }
        return key
    }

    /// Downloads the full NDJSON export to a temporary file.
    private func download(_ base: String) async throws -> URL {
        guard var components = URLComponents(string: base.hasSuffix("/") ? String(base.dropLast()) : base) else {
            throw ValidationError("--url \(base) is not a URL")
        }
        components.path += "/v1/audit/export"
        components.queryItems = [URLQueryItem(name: "format", value: "ndjson")] + (log.map { [URLQueryItem(name: "log", value: $0)] } ?? [])
        guard let token = token ?? ProcessInfo.processInfo.environment["MAESTRO_TOKEN"], let url = components.url else {
            throw ValidationError("--url needs a bearer token: --token or MAESTRO_TOKEN")
        }
        var request = URLRequest(url: url, timeoutInterval: 600)
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (downloaded, response) = try await URLSession.shared.download(for: request)
        guard let status = (response as? HTTPURLResponse)?.statusCode, status == 200 else {
            let body = (try? String(contentsOf: downloaded, encoding: .utf8)) ?? ""
            throw CLIError("the audit service answered \((response as? HTTPURLResponse)?.statusCode ?? 0): \(body.prefix(500))")
        }
        let kept = FileManager.default.temporaryDirectory.appendingPathComponent("maestro-audit-\(UUID().uuidString).ndjson")
        try FileManager.default.moveItem(at: downloaded, to: kept)
        return kept
    }
}

/// Reads a file line by line in 1 MiB chunks, so an export of any size verifies in flat memory.
enum LineReader {
    static func forEachLine<Failure: Error>(of file: URL, _ body: (Substring) throws(Failure) -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: file.path) else { throw CLIError("cannot open \(file.path)") }
        defer { try? handle.close() }
        var pending: [UInt8] = []
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            pending.append(contentsOf: chunk)
            var start = 0
            while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                try body(Substring(decoding: pending[start..<newline], as: UTF8.self))
                start = newline + 1
            }
            pending.removeFirst(start)
        }
        if !pending.isEmpty { try body(Substring(decoding: pending, as: UTF8.self)) }
    }
}
