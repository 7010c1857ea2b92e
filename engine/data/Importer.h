// Importing a table file into a project: preview, column detection, and the all-or-nothing import.
#pragma once

#include "data/Redaction.h"
#include "data/TableSource.h"
#include "jobs/Job.h"

#include <QMap>
#include <QStringList>

namespace fts {

class Project;

// Which columns of the file play which role. Indices into the header; -1 = none.
struct ColumnMapping
{
    int text = -1;
    QList<int> labels;
    int split = -1;
};

struct TablePreview
{
    QStringList header;
    QList<QStringList> rows; // the first few records, as in the file
    ColumnMapping detected;
    TableFormat format = TableFormat::Csv;
    SourceInfo info; // detected encoding, delimiter, header
};

struct ImportOptions
{
    QString file;
    TableFormat format = TableFormat::Csv;
    QString encoding;   // empty: detect
    char delimiter = 0; // CSV: 0 = detect
    int header = -1;    // CSV: -1 detect, 0 none, 1 first line
    // Column names; empty means "detect". labelColumns = {"-"} means "no label columns".
    QString textColumn;
    QStringList labelColumns;
    QString splitColumn; // "-" means "no split column", even if one is detected
    // "train", "val" or "test": every imported row gets this split (overrides a split column).
    QString fixedSplit;
    QString annotator; // recorded with imported labels; default "import:<file name>"
    // Label values: trimmed always; then mapped through `labelMapping` (raw -> label, e.g. "Pos" ->
    // "positive"); with `unifyLabelCase`, spellings that differ only in case become the lower-case one.
    QMap<QString, QString> labelMapping;
    bool unifyLabelCase = true;
    // Redact personal data before anything is written, so the project never holds the originals.
    bool redact = false;
    RedactionOptions redaction;
};

// Distinct trimmed label values of the preview's label columns with the mapping the importer would
// apply by default (case unified), for the dialog's editable mapping table.
QMap<QString, QString> suggestLabelMapping(const QList<QStringList>& rows, const QList<int>& labelColumns);

struct ImportResult
{
    qint64 importId = 0;
    qint64 rows = 0;
    qint64 labels = 0;
    QMap<QString, qint64> rowsPerSplit;
    QStringList tasks;
    QMap<QString, int> redacted; // placeholder -> count, when redacting on import
};

// Reads the header and up to `maxRows` records; throws fts::Error as the importer would.
TablePreview previewTable(const ImportOptions& options, int maxRows = 50);

// Text column: a header named like text/review/comment..., else the longest non-numeric column.
// Label columns: headers named like label/sentiment/class..., else one short, low-variety column.
ColumnMapping detectColumns(const QStringList& header, const QList<QStringList>& sample);

// Accepts train/training, val/valid/validation/dev, test/testing (any case); empty -> empty.
// Returns a null QString for anything else.
QString normalizeSplit(const QString& value);

// Imports every record in one transaction: any error (ragged row, bad split value, bad encoding)
// rolls back everything and is thrown as fts::Error naming the file and line.
ImportResult importTable(Project& project, const ImportOptions& options, JobContext* ctx = nullptr);

// The same, as a job for the engine thread: opens its own connection to the project at `projectPath`.
class ImportJob : public Job
{
public:
    ImportJob(QString projectPath, ImportOptions options);
    QString title() const override;
    void run(JobContext& ctx) override;
    QString summary() const override;
    const ImportResult& result() const { return m_result; }

private:
    QString m_projectPath;
    ImportOptions m_options;
    ImportResult m_result;
};

} // namespace fts
