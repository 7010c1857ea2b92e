// Labels are rows in `labels`; changing one supersedes the annotator's current row in the same
// transaction, so history is complete and a crash leaves either the old or the new label.
#include "label/Labeling.h"

#include "Error.h"
#include "project/Project.h"

#include <QHash>

namespace fts {
namespace {

QString currentLabel(QSqlDatabase& db, qint64 rowId, const QString& task, const QString& annotator)
{
    SqlQuery q(db, QStringLiteral("SELECT value FROM labels WHERE row_id = ? AND task = ? AND annotator = ? "
                                  "AND superseded_at IS NULL"));
    q.bind(rowId).bind(task).bind(annotator).exec("read the current label");
    return q.next() ? q.value(0).toString() : QString();
}

// The write itself, inside the caller's transaction.
LabelChange replaceIn(QSqlDatabase& db, qint64 rowId, const QString& task, const QString& value, const QString& annotator)
{
    if (annotator.trimmed().isEmpty())
        throw Error(QStringLiteral("Enter your name as annotator before labeling, so every label says who gave it."));
    {
        SqlQuery exists(db, QStringLiteral("SELECT 1 FROM rows WHERE id = ? AND removed_by_step IS NULL"));
        exists.bind(rowId).exec("find the row");
        if (!exists.next())
            throw Error(QStringLiteral("Row %1 does not exist (or was removed by a cleaning step).").arg(rowId));
    }
    LabelChange change{rowId, task, annotator, currentLabel(db, rowId, task, annotator), value};
    const QString now = nowIso();
    SqlQuery(db, QStringLiteral("UPDATE labels SET superseded_at = ? WHERE row_id = ? AND task = ? AND annotator = ? "
                                "AND superseded_at IS NULL"))
        .bind(now).bind(rowId).bind(task).bind(annotator).exec("replace the label");
    if (!value.isNull())
        SqlQuery(db, QStringLiteral("INSERT INTO labels(row_id, task, value, annotator, created_at) VALUES(?, ?, ?, ?, ?)"))
            .bind(rowId).bind(task).bind(value).bind(annotator).bind(now).exec("save the label");
    SqlQuery(db, QStringLiteral("INSERT INTO tasks(name) VALUES(?) ON CONFLICT(name) DO NOTHING")).bind(task).exec("register the task");
    return change;
}

LabelChange replace(Project& project, qint64 rowId, const QString& task, const QString& value, const QString& annotator)
{
    project.requireWritable(QStringLiteral("labels"));
    Transaction tx(project.db());
    const LabelChange change = replaceIn(project.db(), rowId, task, value, annotator);
    tx.commit();
    return change;
}

} // namespace

LabelChange setLabel(Project& project, qint64 rowId, const QString& task, const QString& value, const QString& annotator)
{
    if (value.trimmed().isEmpty())
        throw Error(QStringLiteral("A label cannot be empty."));
    return replace(project, rowId, task, value.trimmed(), annotator);
}

LabelChange clearLabel(Project& project, qint64 rowId, const QString& task, const QString& annotator)
{
    return replace(project, rowId, task, QString(), annotator);
}

void undoLabelChange(Project& project, const LabelChange& change)
{
    replace(project, change.rowId, change.task, change.previous, change.annotator);
}

void setLabels(Project& project, const QList<LabelAssignment>& labels)
{
    project.requireWritable(QStringLiteral("labels"));
    Transaction tx(project.db());
    for (const LabelAssignment& l : labels) {
        if (l.value.trimmed().isEmpty())
            throw Error(QStringLiteral("The label for row %1 is empty.").arg(l.rowId));
        replaceIn(project.db(), l.rowId, l.task, l.value.trimmed(), l.annotator);
    }
    tx.commit();
}

void setLabelNote(Project& project, qint64 rowId, const QString& task, const QString& annotator, bool flagged,
                  const QString& comment)
{
    project.requireWritable(QStringLiteral("labels"));
    SqlQuery(project.db(), QStringLiteral("INSERT INTO label_notes(row_id, task, annotator, flagged, comment, updated_at) "
                                          "VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(row_id, task, annotator) DO UPDATE SET "
                                          "flagged = excluded.flagged, comment = excluded.comment, updated_at = excluded.updated_at"))
        .bind(rowId).bind(task).bind(annotator).bind(flagged ? 1 : 0).bind(comment.isNull() ? QStringLiteral("") : comment)
        .bind(nowIso()).exec("save the note");
}

CardRow cardRow(Project& project, qint64 rowId, const QString& task, const QString& annotator)
{
    QSqlDatabase& db = project.db();
    CardRow c;
    SqlQuery q(db, QStringLiteral(
        "SELECT r.id, r.text, COALESCE(r.split, ''), "
        " (SELECT value FROM labels l WHERE l.row_id = r.id AND l.task = ? AND l.superseded_at IS NULL "
        "  ORDER BY l.annotator = 'adjudicator' DESC, l.created_at DESC, l.id DESC LIMIT 1), "
        " COALESCE(n.flagged, 0), COALESCE(n.comment, '') FROM rows r LEFT JOIN label_notes n ON n.row_id = r.id AND n.task = ? AND n.annotator = ? "
        "WHERE r.id = ?"));
    q.bind(task).bind(task).bind(annotator).bind(rowId).exec("read the row");
    if (!q.next())
        throw Error(QStringLiteral("Row %1 does not exist.").arg(rowId));
    c.id = q.value(0).toLongLong();
    c.text = q.value(1).toString();
    c.split = q.value(2).toString();
    c.gold = q.value(3).toString();
    c.flagged = q.value(4).toInt() != 0;
    c.comment = q.value(5).toString();
    c.mine = currentLabel(db, rowId, task, annotator);
    return c;
}

QList<LabelHistoryEntry> labelHistory(Project& project, qint64 rowId, const QString& task)
{
    QList<LabelHistoryEntry> out;
    SqlQuery q(project.db(), QStringLiteral("SELECT value, annotator, created_at, COALESCE(superseded_at, '') FROM labels "
                                            "WHERE row_id = ? AND task = ? ORDER BY id"));
    q.bind(rowId).bind(task).exec("read the label history");
    while (q.next())
        out.append({q.value(0).toString(), q.value(1).toString(), q.value(2).toString(), q.value(3).toString()});
    return out;
}

QList<qint64> labelingQueue(Project& project, const QString& task, bool unlabeledOnly, const QString& split)
{
    QString sql = QStringLiteral("SELECT r.id FROM rows r WHERE r.removed_by_step IS NULL");
    if (unlabeledOnly)
        sql += QStringLiteral(" AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.row_id = r.id AND l.task = ? AND l.superseded_at IS NULL)");
    if (!split.isEmpty())
        sql += QStringLiteral(" AND r.split = ?");
    sql += QStringLiteral(" ORDER BY r.id");
    SqlQuery q(project.db(), sql);
    if (unlabeledOnly)
        q.bind(task);
    if (!split.isEmpty())
        q.bind(split);
    q.exec("build the labeling queue");
    QList<qint64> ids;
    while (q.next())
        ids << q.value(0).toLongLong();
    return ids;
}

QStringList rowTexts(Project& project, const QList<qint64>& ids)
{
    QHash<qint64, QString> byId;
    byId.reserve(ids.size());
    for (qint64 id : ids)
        byId.insert(id, QString());
    SqlQuery q(project.db(), QStringLiteral("SELECT id, text FROM rows"));
    q.exec("read the texts");
    while (q.next())
        if (const auto it = byId.find(q.value(0).toLongLong()); it != byId.end())
            *it = q.value(1).toString();
    QStringList out;
    out.reserve(ids.size());
    for (qint64 id : ids)
        out << byId.value(id);
    return out;
}

LabelProgress labelProgress(Project& project, const QString& task)
{
    LabelProgress p;
    SqlQuery q(project.db(), QStringLiteral(
        "SELECT COALESCE(r.split, ''), g.value, COUNT(*) FROM rows r LEFT JOIN gold_labels g ON g.row_id = r.id AND g.task = ? "
        "WHERE r.removed_by_step IS NULL GROUP BY 1, 2"));
    q.bind(task).exec("count labels");
    while (q.next()) {
        const QString split = q.value(0).toString();
        const qint64 n = q.value(2).toLongLong();
        const bool labeled = !q.value(1).isNull();
        p.rows += n;
        auto& s = p.perSplit[split];
        s.second += n;
        if (labeled) {
            p.labeled += n;
            s.first += n;
            p.perLabel[q.value(1).toString()] += n;
        }
    }
    return p;
}

} // namespace fts
