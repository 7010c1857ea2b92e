// The recipe machinery: each step runs in a transaction, is recorded with its effect, and can be undone.
#include "data/Curation.h"

#include "Error.h"
#include "data/CurationSteps.h"
#include "project/Project.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

namespace fts {
namespace curation {

QList<ActiveRow> loadActiveRows(QSqlDatabase& db)
{
    QList<ActiveRow> rows;
    QHash<qint64, int> index;
    {
        SqlQuery q(db, QStringLiteral("SELECT id, text, COALESCE(split, '') FROM rows "
                                      "WHERE removed_by_step IS NULL ORDER BY id"));
        q.exec("read the rows");
        while (q.next()) {
            index.insert(q.value(0).toLongLong(), int(rows.size()));
            rows.append({q.value(0).toLongLong(), q.value(1).toString(), q.value(2).toString(), {}});
        }
    }
    SqlQuery q(db, QStringLiteral("SELECT row_id, task, value FROM gold_labels"));
    q.exec("read the labels");
    while (q.next()) {
        const auto it = index.find(q.value(0).toLongLong());
        if (it != index.end())
            rows[*it].labels.insert(q.value(1).toString(), q.value(2).toString());
    }
    return rows;
}

void StepWriter::remove(qint64 rowId)
{
    SqlQuery(m_db, QStringLiteral("UPDATE rows SET removed_by_step = ? WHERE id = ?"))
        .bind(m_step).bind(rowId).exec("remove a row");
}

void StepWriter::recordEdit(qint64 rowId, const char* field, const QString& before, const QString& after)
{
    SqlQuery(m_db, QStringLiteral("INSERT INTO row_edits(step_id, row_id, field, old_value, new_value) "
                                  "VALUES(?, ?, ?, ?, ?)"))
        .bind(m_step).bind(rowId).bind(QLatin1String(field))
        .bind(before.isNull() ? QVariant() : QVariant(before))
        .bind(after.isNull() ? QVariant() : QVariant(after))
        .exec("record an edit");
}

void StepWriter::setText(qint64 rowId, const QString& before, const QString& after)
{
    recordEdit(rowId, "text", before, after);
    SqlQuery(m_db, QStringLiteral("UPDATE rows SET text = ? WHERE id = ?")).bind(after).bind(rowId).exec("edit a row");
}

void StepWriter::setSplit(qint64 rowId, const QString& before, const QString& after)
{
    recordEdit(rowId, "split", before.isEmpty() ? QString() : before, after);
    SqlQuery(m_db, QStringLiteral("UPDATE rows SET split = ? WHERE id = ?"))
        .bind(after.isEmpty() ? QVariant() : QVariant(after)).bind(rowId).exec("set a split");
}

qint64 StepWriter::addRow(const QString& text, const QString& split, const QMap<QString, QString>& labels,
                          qint64 syntheticOf)
{
    SqlQuery q(m_db, QStringLiteral("INSERT INTO rows(text, split, created_at, created_by_step, synthetic_of) "
                                    "VALUES(?, ?, ?, ?, ?)"));
    q.bind(text).bind(split.isEmpty() ? QVariant() : QVariant(split)).bind(nowIso()).bind(m_step).bind(syntheticOf)
        .exec("add a row");
    const qint64 id = q.lastInsertId().toLongLong();
    for (auto it = labels.begin(); it != labels.end(); ++it)
        SqlQuery(m_db, QStringLiteral("INSERT INTO labels(row_id, task, value, annotator, created_at) VALUES(?, ?, ?, ?, ?)"))
            .bind(id).bind(it.key()).bind(it.value()).bind(QStringLiteral("augmentation")).bind(nowIso())
            .exec("label an added row");
    return id;
}

double Params::number(const char* key, double fallback, double min, double max) const
{
    const QJsonValue v = m_json.value(QLatin1String(key));
    if (v.isUndefined() || v.isNull())
        return fallback;
    bool ok = v.isDouble();
    double d = v.toDouble();
    if (v.isString())
        d = v.toString().toDouble(&ok);
    if (!ok || d < min || d > max)
        throw Error(QStringLiteral("%1: '%2' must be a number from %3 to %4 (it is %5).")
                        .arg(m_kind, QLatin1String(key)).arg(min).arg(max)
                        .arg(v.isString() ? v.toString() : QString::number(d)));
    return d;
}

bool Params::flag(const char* key, bool fallback) const
{
    const QJsonValue v = m_json.value(QLatin1String(key));
    if (v.isString())
        return v.toString() == QLatin1String("true") || v.toString() == QLatin1String("1");
    return v.isBool() ? v.toBool() : fallback;
}

QStringList Params::strings(const char* key, const QStringList& fallback) const
{
    const QJsonValue v = m_json.value(QLatin1String(key));
    if (v.isString())
        return v.toString().split(QLatin1Char(','), Qt::SkipEmptyParts);
    if (!v.isArray())
        return fallback;
    QStringList out;
    for (const QJsonValue& s : v.toArray())
        out << s.toString();
    return out;
}

QString Params::string(const char* key, const QString& fallback) const
{
    return m_json.value(QLatin1String(key)).toString(fallback);
}

} // namespace curation

namespace {

using namespace curation;

const QList<QPair<QString, StepFunction>>& stepTable()
{
    static const QList<QPair<QString, StepFunction>> table = {
        {"normalize", normalizeStep}, {"drop-empty", dropEmptyStep}, {"dedupe", dedupeStep},
        {"near-dedupe", nearDedupeStep}, {"length", lengthStep}, {"redact", redactStep},
        {"augment", augmentStep}, {"split", splitStep}};
    return table;
}

StepEffect effectFromJson(const QJsonObject& o)
{
    StepEffect e;
    e.removed = o.value(QLatin1String("removed")).toInteger();
    e.changed = o.value(QLatin1String("changed")).toInteger();
    e.added = o.value(QLatin1String("added")).toInteger();
    e.details = o.value(QLatin1String("details")).toObject();
    return e;
}

QString compact(const QJsonObject& o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

} // namespace

QJsonObject StepEffect::toJson() const
{
    return {{"removed", removed}, {"changed", changed}, {"added", added}, {"details", details}};
}

QString StepEffect::describe() const
{
    QStringList parts;
    if (removed)
        parts << QStringLiteral("removed %1 rows").arg(removed);
    if (changed)
        parts << QStringLiteral("changed %1").arg(changed);
    if (added)
        parts << QStringLiteral("added %1").arg(added);
    return parts.isEmpty() ? QStringLiteral("no rows affected") : parts.join(QStringLiteral(", "));
}

QStringList curationStepKinds()
{
    QStringList kinds;
    for (const auto& [kind, fn] : stepTable())
        kinds << kind;
    return kinds;
}

StepEffect applyCurationStep(Project& project, const QString& kind, const QJsonObject& params,
                             bool preview, JobContext* ctx)
{
    StepFunction fn = nullptr;
    for (const auto& [k, f] : stepTable())
        if (k == kind)
            fn = f;
    if (!fn)
        throw Error(QStringLiteral("'%1' is not a curation step; the steps are: %2.")
                        .arg(kind, curationStepKinds().join(QStringLiteral(", "))));
    if (project.isReadOnly())
        throw Error(QStringLiteral("This project is open read-only; it cannot be changed."));
    QSqlDatabase& db = project.db();
    Transaction tx(db);
    qint64 seq = 1;
    {
        SqlQuery q(db, QStringLiteral("SELECT COALESCE(MAX(seq), 0) + 1 FROM recipe_steps"));
        q.exec("read the recipe");
        if (q.next())
            seq = q.value(0).toLongLong();
    }
    SqlQuery insert(db, QStringLiteral("INSERT INTO recipe_steps(seq, kind, params, effect, created_at) "
                                       "VALUES(?, ?, ?, '{}', ?)"));
    insert.bind(seq).bind(kind).bind(compact(params)).bind(nowIso()).exec("record the step");
    const qint64 stepId = insert.lastInsertId().toLongLong();
    StepWriter writer(db, stepId);
    const Params p(kind, params);
    StepEffect effect = fn(db, writer, p, ctx);
    if (preview)
        return effect; // the transaction rolls back: nothing was changed
    SqlQuery(db, QStringLiteral("UPDATE recipe_steps SET effect = ? WHERE id = ?"))
        .bind(compact(effect.toJson())).bind(stepId).exec("record the step's effect");
    if (ctx)
        ctx->checkCancelled();
    tx.commit();
    return effect;
}

QList<RecipeStep> curationRecipe(Project& project)
{
    QList<RecipeStep> steps;
    SqlQuery q(project.db(), QStringLiteral("SELECT id, seq, kind, params, effect, created_at FROM recipe_steps ORDER BY seq"));
    q.exec("read the recipe");
    while (q.next())
        steps.append({q.value(0).toLongLong(), q.value(1).toInt(), q.value(2).toString(),
                      QJsonDocument::fromJson(q.value(3).toByteArray()).object(),
                      effectFromJson(QJsonDocument::fromJson(q.value(4).toByteArray()).object()),
                      q.value(5).toString()});
    return steps;
}

RecipeStep undoLastCurationStep(Project& project)
{
    const QList<RecipeStep> steps = curationRecipe(project);
    if (steps.isEmpty())
        throw Error(QStringLiteral("There is no curation step to undo."));
    if (project.isReadOnly())
        throw Error(QStringLiteral("This project is open read-only; it cannot be changed."));
    const RecipeStep last = steps.last();
    QSqlDatabase& db = project.db();
    Transaction tx(db);
    {
        // Newest edit first, so a row edited twice in one step ends at its original value.
        SqlQuery q(db, QStringLiteral("SELECT row_id, field, old_value FROM row_edits WHERE step_id = ? ORDER BY id DESC"));
        q.bind(last.id).exec("read the step's edits");
        while (q.next()) {
            const QString sql = q.value(1).toString() == QLatin1String("text")
                                    ? QStringLiteral("UPDATE rows SET text = ? WHERE id = ?")
                                    : QStringLiteral("UPDATE rows SET split = ? WHERE id = ?");
            SqlQuery(db, sql).bind(q.value(2)).bind(q.value(0)).exec("restore an edit");
        }
    }
    SqlQuery(db, QStringLiteral("UPDATE rows SET removed_by_step = NULL WHERE removed_by_step = ?"))
        .bind(last.id).exec("restore removed rows");
    SqlQuery(db, QStringLiteral("DELETE FROM labels WHERE row_id IN (SELECT id FROM rows WHERE created_by_step = ?)"))
        .bind(last.id).exec("remove added labels");
    SqlQuery(db, QStringLiteral("DELETE FROM rows WHERE created_by_step = ?")).bind(last.id).exec("remove added rows");
    SqlQuery(db, QStringLiteral("DELETE FROM row_edits WHERE step_id = ?")).bind(last.id).exec("forget the edits");
    SqlQuery(db, QStringLiteral("DELETE FROM recipe_steps WHERE id = ?")).bind(last.id).exec("remove the step");
    tx.commit();
    return last;
}

QList<StepEffect> replayCurationRecipe(Project& project, const QList<RecipeStep>& steps, JobContext* ctx)
{
    QList<StepEffect> effects;
    for (const RecipeStep& s : steps)
        effects << applyCurationStep(project, s.kind, s.params, false, ctx);
    return effects;
}

CurationJob::CurationJob(QString projectPath, QString kind, QJsonObject params, bool preview)
    : m_projectPath(std::move(projectPath)), m_kind(std::move(kind)), m_params(std::move(params)), m_preview(preview)
{
}

QString CurationJob::title() const
{
    return m_preview ? QStringLiteral("Previewing %1").arg(m_kind) : QStringLiteral("Applying %1").arg(m_kind);
}

void CurationJob::run(JobContext& ctx)
{
    auto project = Project::open(m_projectPath);
    m_effect = applyCurationStep(*project, m_kind, m_params, m_preview, &ctx);
}

QString CurationJob::summary() const
{
    return QStringLiteral("%1 %2: %3.").arg(m_preview ? QStringLiteral("Preview of") : QStringLiteral("Applied"),
                                             m_kind, m_effect.describe());
}

} // namespace fts

namespace fts {

void UndoCurationJob::run(JobContext& ctx)
{
    ctx.checkCancelled();
    auto project = Project::open(m_projectPath);
    m_undone = undoLastCurationStep(*project);
}

QString UndoCurationJob::summary() const
{
    return QStringLiteral("Undid step %1 (%2).").arg(m_undone.seq).arg(m_undone.kind);
}

} // namespace fts
