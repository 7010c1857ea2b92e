// Migrations of the project schema. Each entry moves version N-1 to N; never edit a shipped one, append.
#include "project/Schema.h"

#include "Error.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>

namespace fts::schema {
namespace {

const QStringList kVersion1 = {
    // Key/value facts about the project: name, created_at, app version that created it.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    // One row per imported example. `meta` holds the source file's extra columns as a JSON object.
    "CREATE TABLE rows ("
    " id INTEGER PRIMARY KEY,"
    " text TEXT NOT NULL,"
    " split TEXT CHECK (split IS NULL OR split IN ('train','val','test')),"
    " import_id INTEGER REFERENCES imports(id),"
    " source_line INTEGER,"
    " meta TEXT,"
    " created_at TEXT NOT NULL)",
    "CREATE INDEX rows_split ON rows(split)",
    // Every label ever given, with who and when; the current one per (row, task) has superseded_at NULL.
    "CREATE TABLE labels ("
    " id INTEGER PRIMARY KEY,"
    " row_id INTEGER NOT NULL REFERENCES rows(id) ON DELETE CASCADE,"
    " task TEXT NOT NULL,"
    " value TEXT NOT NULL,"
    " annotator TEXT NOT NULL,"
    " created_at TEXT NOT NULL,"
    " superseded_at TEXT)",
    "CREATE INDEX labels_current ON labels(row_id, task) WHERE superseded_at IS NULL",
    "CREATE INDEX labels_task_value ON labels(task, value) WHERE superseded_at IS NULL",
    // Label tasks (one per label column, e.g. "sentiment"), with their ordered label names.
    "CREATE TABLE tasks (name TEXT PRIMARY KEY, labels TEXT NOT NULL DEFAULT '[]')",
    // Each import: which file, how it was mapped, how many rows it added.
    "CREATE TABLE imports ("
    " id INTEGER PRIMARY KEY,"
    " file TEXT NOT NULL,"
    " format TEXT NOT NULL,"
    " mapping TEXT NOT NULL,"
    " row_count INTEGER NOT NULL,"
    " created_at TEXT NOT NULL)",
    // The curation recipe: ordered, replayable steps with their parameters and effect.
    "CREATE TABLE recipe_steps ("
    " id INTEGER PRIMARY KEY,"
    " seq INTEGER NOT NULL,"
    " kind TEXT NOT NULL,"
    " params TEXT NOT NULL,"
    " effect TEXT NOT NULL,"
    " created_at TEXT NOT NULL)",
};

// Version 2: curation steps that can be undone. Removed rows stay, marked with the step that removed
// them; every edited field keeps its old value; rows a step created (augmentation) name that step.
const QStringList kVersion2 = {
    "ALTER TABLE rows ADD COLUMN removed_by_step INTEGER",
    "ALTER TABLE rows ADD COLUMN created_by_step INTEGER",
    "ALTER TABLE rows ADD COLUMN synthetic_of INTEGER",
    "CREATE INDEX rows_removed ON rows(removed_by_step)",
    "CREATE TABLE row_edits ("
    " id INTEGER PRIMARY KEY,"
    " step_id INTEGER NOT NULL REFERENCES recipe_steps(id) ON DELETE CASCADE,"
    " row_id INTEGER NOT NULL REFERENCES rows(id) ON DELETE CASCADE,"
    " field TEXT NOT NULL CHECK (field IN ('text', 'split')),"
    " old_value TEXT,"
    " new_value TEXT)",
    "CREATE INDEX row_edits_step ON row_edits(step_id)",
};

// Version 3: labeling by several annotators. Each annotator has one current label per row and task;
// the gold label is an adjudicator's, else the most recent one. Notes hold flags and comments.
const QStringList kVersion3 = {
    "ALTER TABLE tasks ADD COLUMN schema TEXT NOT NULL DEFAULT '{}'",
    "CREATE INDEX labels_current_by ON labels(row_id, task, annotator) WHERE superseded_at IS NULL",
    "CREATE VIEW gold_labels AS SELECT row_id, task, value, annotator, created_at FROM ("
    " SELECT row_id, task, value, annotator, created_at, ROW_NUMBER() OVER ("
    "  PARTITION BY row_id, task ORDER BY annotator = 'adjudicator' DESC, created_at DESC, id DESC) AS rank"
    " FROM labels WHERE superseded_at IS NULL) WHERE rank = 1",
    "CREATE TABLE label_notes ("
    " id INTEGER PRIMARY KEY,"
    " row_id INTEGER NOT NULL REFERENCES rows(id) ON DELETE CASCADE,"
    " task TEXT NOT NULL,"
    " annotator TEXT NOT NULL,"
    " flagged INTEGER NOT NULL DEFAULT 0,"
    " comment TEXT NOT NULL DEFAULT '',"
    " updated_at TEXT NOT NULL,"
    " UNIQUE(row_id, task, annotator))",
};

// Version 4: training runs and every metric point they produce, written as it happens. `snapshot`
// holds the row ids per split and the SHA-256 of texts and labels the run saw; checkpoint paths
// are relative to the artifacts folder.
const QStringList kVersion4 = {
    "CREATE TABLE runs ("
    " id INTEGER PRIMARY KEY,"
    " created_at TEXT NOT NULL,"
    " status TEXT NOT NULL CHECK (status IN ('running','finished','cancelled','failed')),"
    " task TEXT NOT NULL,"
    " model_dir TEXT NOT NULL,"
    " method TEXT NOT NULL,"
    " hyperparameters TEXT NOT NULL,"
    " snapshot TEXT NOT NULL,"
    " seed INTEGER NOT NULL,"
    " software TEXT NOT NULL,"
    " started_at TEXT,"
    " finished_at TEXT,"
    " train_seconds REAL,"
    " best_metric REAL,"
    " best_step INTEGER,"
    " best_checkpoint TEXT,"
    " last_checkpoint TEXT,"
    " error TEXT)",
    "CREATE TABLE run_metrics ("
    " id INTEGER PRIMARY KEY,"
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " step INTEGER NOT NULL,"
    " epoch REAL NOT NULL,"
    " split TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " value REAL NOT NULL)",
    "CREATE INDEX run_metrics_run ON run_metrics(run_id, name, step)",
};

// Version 5: human feedback for reward modeling, DPO and PPO. Prompts (each with a fixed split so
// held-out accuracy means something), the candidate answers to judge (generated, with the sampling
// settings, or imported), and every judgement with who and when. A judgement supersedes the same
// annotator's earlier one on the same subject: a rating's subject is its candidate ("c<id>"), a
// choice's the pair ("<low id>,<high id>"), a ranking's the whole prompt (""). History is kept.
const QStringList kVersion5 = {
    "CREATE TABLE feedback_prompts ("
    " id INTEGER PRIMARY KEY,"
    " text TEXT NOT NULL UNIQUE,"
    " split TEXT NOT NULL CHECK (split IN ('train','val','test')),"
    " source TEXT NOT NULL,"
    " created_at TEXT NOT NULL)",
    "CREATE TABLE feedback_candidates ("
    " id INTEGER PRIMARY KEY,"
    " prompt_id INTEGER NOT NULL REFERENCES feedback_prompts(id) ON DELETE CASCADE,"
    " text TEXT NOT NULL,"
    " origin TEXT NOT NULL,"
    " settings TEXT NOT NULL DEFAULT '{}',"
    " created_at TEXT NOT NULL,"
    " UNIQUE(prompt_id, text))",
    "CREATE TABLE feedback_judgements ("
    " id INTEGER PRIMARY KEY,"
    " prompt_id INTEGER NOT NULL REFERENCES feedback_prompts(id) ON DELETE CASCADE,"
    " kind TEXT NOT NULL CHECK (kind IN ('rating','ranking','choice')),"
    " subject TEXT NOT NULL,"
    " value TEXT NOT NULL,"
    " annotator TEXT NOT NULL,"
    " created_at TEXT NOT NULL,"
    " superseded_at TEXT)",
    // One current judgement per annotator and subject: a second writer (the CLI, another window)
    // cannot leave two behind.
    "CREATE UNIQUE INDEX feedback_judgements_current ON feedback_judgements(prompt_id, kind, subject, annotator)"
    " WHERE superseded_at IS NULL",
    "CREATE INDEX feedback_judgements_by_annotator ON feedback_judgements(kind, annotator, subject)"
    " WHERE superseded_at IS NULL",
    // A tuned run's answer and its starting model's answer to one held-out prompt, as compared.
    // Kept apart from the candidates' origin, since equal answers are stored once.
    "CREATE TABLE feedback_comparisons ("
    " id INTEGER PRIMARY KEY,"
    " run_id INTEGER NOT NULL,"
    " prompt_id INTEGER NOT NULL REFERENCES feedback_prompts(id) ON DELETE CASCADE,"
    " tuned_id INTEGER NOT NULL REFERENCES feedback_candidates(id) ON DELETE CASCADE,"
    " reference_id INTEGER NOT NULL REFERENCES feedback_candidates(id) ON DELETE CASCADE,"
    " created_at TEXT NOT NULL,"
    " UNIQUE(run_id, prompt_id))",
};

// Version 6: evaluations kept with their run — every evaluation of a run on a split (the report
// as JSON: metrics, per class, confusion matrix, calibration) with the SHA-256 of the rows and
// labels it was computed on, so a later look can tell whether the data changed since.
const QStringList kVersion6 = {
    "CREATE TABLE run_evaluations ("
    " id INTEGER PRIMARY KEY,"
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " split TEXT NOT NULL CHECK (split IN ('train','val','test')),"
    " task TEXT NOT NULL,"
    " created_at TEXT NOT NULL,"
    " data_hash TEXT NOT NULL,"
    " report TEXT NOT NULL)",
    "CREATE INDEX run_evaluations_run ON run_evaluations(run_id)",
};

const QList<QStringList> kMigrations = {kVersion1, kVersion2, kVersion3, kVersion4, kVersion5,
                                        kVersion6};

void exec(QSqlDatabase& db, const QString& sql)
{
    QSqlQuery q(db);
    if (!q.exec(sql))
        throw Error(QStringLiteral("Could not update the project schema: %1 (in: %2)")
                        .arg(q.lastError().text(), sql.left(80)));
}

} // namespace

void migrate(QSqlDatabase& db, int fromVersion, int toVersion)
{
    static_assert(CurrentVersion >= 1);
    Q_ASSERT(kMigrations.size() == CurrentVersion);
    Q_ASSERT(toVersion <= CurrentVersion);
    if (fromVersion >= toVersion)
        return;
    if (!db.transaction())
        throw Error(QStringLiteral("Could not start a transaction: %1").arg(db.lastError().text()));
    try {
        for (int v = fromVersion; v < toVersion; ++v)
            for (const QString& sql : kMigrations[v])
                exec(db, sql);
        exec(db, QStringLiteral("PRAGMA user_version = %1").arg(toVersion));
        exec(db, QStringLiteral("PRAGMA application_id = %1").arg(ApplicationId));
    } catch (...) {
        db.rollback();
        throw;
    }
    if (!db.commit())
        throw Error(QStringLiteral("Could not save the project schema: %1").arg(db.lastError().text()));
}

} // namespace fts::schema
