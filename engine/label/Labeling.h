// Giving, changing and undoing labels: each one committed durably at once, with full history.
#pragma once

#include <QList>
#include <QMap>
#include <QString>

namespace fts {

class Project;

// One labeling action, enough to undo it. A null `previous` means the row had no label from this
// annotator; a null `value` means the action removed the label.
struct LabelChange
{
    qint64 rowId = 0;
    QString task;
    QString annotator;
    QString previous;
    QString value;
};

struct LabelHistoryEntry
{
    QString value;
    QString annotator;
    QString createdAt;
    QString supersededAt; // empty while current
};

struct CardRow
{
    qint64 id = 0;
    QString text;
    QString split;
    QString gold;    // the gold label (adjudicator's, else most recent), empty when none
    QString mine;    // this annotator's current label
    bool flagged = false;
    QString comment;
};

struct LabelProgress
{
    qint64 rows = 0;      // active rows
    qint64 labeled = 0;   // with a gold label
    QMap<QString, qint64> perLabel;
    QMap<QString, QPair<qint64, qint64>> perSplit; // split -> (labeled, rows); "" = no split
};

// Each returns only after the label is on disk (SQLite WAL, synchronous=FULL).
LabelChange setLabel(Project& project, qint64 rowId, const QString& task, const QString& value,
                     const QString& annotator);
LabelChange clearLabel(Project& project, qint64 rowId, const QString& task, const QString& annotator);
void undoLabelChange(Project& project, const LabelChange& change);

struct LabelAssignment
{
    qint64 rowId = 0;
    QString task;
    QString value;
    QString annotator;
};
// Bulk labels (an import): one transaction, so an error in any of them leaves the project unchanged.
void setLabels(Project& project, const QList<LabelAssignment>& labels);

void setLabelNote(Project& project, qint64 rowId, const QString& task, const QString& annotator,
                  bool flagged, const QString& comment);

CardRow cardRow(Project& project, qint64 rowId, const QString& task, const QString& annotator);
QList<LabelHistoryEntry> labelHistory(Project& project, qint64 rowId, const QString& task);
// Active rows in id order; with `unlabeledOnly`, those without a gold label in `task`.
QList<qint64> labelingQueue(Project& project, const QString& task, bool unlabeledOnly, const QString& split = {});
LabelProgress labelProgress(Project& project, const QString& task);
// The texts of `ids`, in that order (one query: for ordering a whole queue by its texts).
QStringList rowTexts(Project& project, const QList<qint64>& ids);

} // namespace fts
