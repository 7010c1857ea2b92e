// Internal to the curation recipe: what a step sees (active rows) and how it records changes.
#pragma once

#include "data/Curation.h"

#include <QJsonObject>
#include <QMap>
#include <QSqlDatabase>

namespace fts::curation {

struct ActiveRow
{
    qint64 id = 0;
    QString text;
    QString split; // "" when unassigned
    QMap<QString, QString> labels; // task -> current label
};

// Rows not removed by an earlier step, in id order, with their current labels.
QList<ActiveRow> loadActiveRows(QSqlDatabase& db);

// Every change a step makes goes through here, so undo can revert it exactly.
class StepWriter
{
public:
    StepWriter(QSqlDatabase& db, qint64 stepId) : m_db(db), m_step(stepId) {}
    void remove(qint64 rowId);
    void setText(qint64 rowId, const QString& before, const QString& after);
    void setSplit(qint64 rowId, const QString& before, const QString& after);
    qint64 addRow(const QString& text, const QString& split, const QMap<QString, QString>& labels,
                  qint64 syntheticOf);

private:
    void recordEdit(qint64 rowId, const char* field, const QString& before, const QString& after);
    QSqlDatabase& m_db;
    qint64 m_step;
};

// Reads a parameter with a default and an allowed range; throws fts::Error naming both.
class Params
{
public:
    Params(QString kind, const QJsonObject& json) : m_kind(std::move(kind)), m_json(json) {}
    double number(const char* key, double fallback, double min, double max) const;
    bool flag(const char* key, bool fallback) const;
    QStringList strings(const char* key, const QStringList& fallback = {}) const;
    QString string(const char* key, const QString& fallback) const;
    bool has(const char* key) const { return m_json.contains(QLatin1String(key)); }

private:
    QString m_kind;
    const QJsonObject& m_json;
};

using StepFunction = StepEffect (*)(QSqlDatabase&, StepWriter&, const Params&, JobContext*);

StepEffect normalizeStep(QSqlDatabase&, StepWriter&, const Params&, JobContext*);
StepEffect dropEmptyStep(QSqlDatabase&, StepWriter&, const Params&, JobContext*);
StepEffect dedupeStep(QSqlDatabase&, StepWriter&, const Params&, JobContext*);
StepEffect nearDedupeStep(QSqlDatabase&, StepWriter&, const Params&, JobContext*);
StepEffect lengthStep(QSqlDatabase&, StepWriter&, const Params&, JobContext*);
StepEffect redactStep(QSqlDatabase&, StepWriter&, const Params&, JobContext*);
StepEffect augmentStep(QSqlDatabase&, StepWriter&, const Params&, JobContext*);
StepEffect splitStep(QSqlDatabase&, StepWriter&, const Params&, JobContext*);

} // namespace fts::curation
