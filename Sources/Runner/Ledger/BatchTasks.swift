import Foundation

/// The tasks handed to a batch system, and how the runner submits them, in the ledger: a runner that
/// dies, or returns after submitting (`--detach`), leaves them for the next one to collect.
extension Ledger {
    /// Records tasks as submitted (their runs are `running`).
    public func recordSubmitted(_ tasks: [SubmittedTask]) throws {
        try database.transaction {
            for task in tasks {
                try database.query("INSERT OR REPLACE INTO batch_tasks VALUES (?, ?, ?, ?)",
                                   [.int(task.id), .text(task.batchID), .text(try stored(task.taskFile)), .text(try stored(task.temporary))])
            }
        }
    }

    /// Submitted tasks whose runs have not ended, of one pipeline or of all.
    public func outstandingTasks(pipeline: String? = nil) throws -> [SubmittedTask] {
        let filter = pipeline == nil ? "" : " AND r.pipeline = ?"
        return try database.query("""
            SELECT b.run_id, b.batch_id, b.task_file, b.temporary FROM batch_tasks b JOIN runs r ON r.id = b.run_id
            WHERE r.status = 'running'\(filter) ORDER BY b.run_id
            """, pipeline.map { [.text($0)] } ?? []).map { row in
            SubmittedTask(id: row[0].int ?? 0, batchID: row[1].text ?? "", taskFile: resolved(row[2].text ?? ""), temporary: resolved(row[3].text ?? ""))
        }
    }

    /// The batch system's name of a run's task, if it was submitted to one.
    public func batchID(run: Int64) throws -> String? {
        try database.query("SELECT batch_id FROM batch_tasks WHERE run_id = ?", [.int(run)]).first?.first?.text
    }

    /// How a pipeline was last submitted to a batch system (the executor's settings, as JSON): a
    /// later `mimir run` or `mimir status` submits what becomes ready the same way.
    public func submissionSettings(pipeline: String) throws -> String? {
        try database.query("SELECT value FROM meta WHERE name = ?", [.text("submission:" + pipeline)]).first?.first?.text
    }

    public func setSubmissionSettings(_ settings: String, pipeline: String) throws {
        try database.query("INSERT OR REPLACE INTO meta VALUES (?, ?)", [.text("submission:" + pipeline), .text(settings)])
    }
}
