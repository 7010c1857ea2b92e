// Reading and writing run records and metric points in the project database.
#include "train/RunStore.h"

#include "Error.h"
#include "project/Project.h"

#include <QCryptographicHash>
#include <QJsonDocument>

namespace fts {
namespace {

QString jsonText(const QJsonObject& o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

QJsonObject jsonObject(const QVariant& v)
{
    return QJsonDocument::fromJson(v.toString().toUtf8()).object();
}

const char* kRunColumns = "id, created_at, status, task, model_dir, method, hyperparameters, "
                          "snapshot, seed, software, train_seconds, best_metric, best_step, "
                          "best_checkpoint, last_checkpoint, error";

RunRecord readRun(SqlQuery& q)
{
    RunRecord r;
    r.id = q.value(0).toLongLong();
    r.createdAt = q.value(1).toString();
    r.status = q.value(2).toString();
    r.task = q.value(3).toString();
    r.modelDir = q.value(4).toString();
    r.method = q.value(5).toString();
    r.hyperparameters = jsonObject(q.value(6));
    r.snapshot = jsonObject(q.value(7));
    r.seed = q.value(8).toInt();
    r.software = jsonObject(q.value(9));
    r.trainSeconds = q.value(10).toDouble();
    r.bestMetric = q.value(11).toDouble();
    r.bestStep = q.value(12).isNull() ? -1 : q.value(12).toLongLong();
    r.bestCheckpoint = q.value(13).toString();
    r.lastCheckpoint = q.value(14).toString();
    r.error = q.value(15).toString();
    return r;
}

} // namespace

bool hasCheckpoint(const RunRecord& run)
{
    return !run.bestCheckpoint.isEmpty() || !run.lastCheckpoint.isEmpty();
}

qint64 createRun(Project& project, const RunRecord& run)
{
    SqlQuery q(project.db(),
               QStringLiteral("INSERT INTO runs (created_at, status, task, model_dir, method, "
                              "hyperparameters, snapshot, seed, software, started_at) "
                              "VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?)"));
    const QString now = nowIso();
    q.bind(now)
        .bind(run.task)
        .bind(run.modelDir)
        .bind(run.method)
        .bind(jsonText(run.hyperparameters));
    q.bind(jsonText(run.snapshot)).bind(run.seed).bind(jsonText(run.software)).bind(now);
    q.exec("record the new training run");
    return q.lastInsertId().toLongLong();
}

RunRecord loadRun(Project& project, qint64 id)
{
    SqlQuery q(project.db(), QStringLiteral("SELECT %1 FROM runs WHERE id = ?").arg(kRunColumns));
    q.bind(id).exec("read a training run");
    if (!q.next())
        throw Error(QStringLiteral("The project has no run %1; 'ftstudio-cli info' lists its runs.")
                        .arg(id));
    return readRun(q);
}

QList<RunRecord> listRuns(Project& project)
{
    SqlQuery q(project.db(), QStringLiteral("SELECT %1 FROM runs ORDER BY id").arg(kRunColumns));
    q.exec("list the training runs");
    QList<RunRecord> runs;
    while (q.next())
        runs << readRun(q);
    return runs;
}

void addMetric(Project& project, qint64 runId, const MetricPoint& p)
{
    SqlQuery q(project.db(), QStringLiteral("INSERT INTO run_metrics (run_id, step, epoch, split, "
                                            "name, value) VALUES (?, ?, ?, ?, ?, ?)"));
    q.bind(runId).bind(p.step).bind(p.epoch).bind(p.split).bind(p.name).bind(p.value);
    q.exec("record a training metric");
}

void discardMetricsAfter(Project& project, qint64 runId, qint64 step)
{
    SqlQuery q(project.db(), QStringLiteral("DELETE FROM run_metrics WHERE run_id = ? AND step > ?"));
    q.bind(runId).bind(step);
    q.exec("discard the metrics recorded after a run's checkpoint");
}

QList<MetricPoint> runMetrics(Project& project, qint64 runId)
{
    SqlQuery q(project.db(),
               QStringLiteral("SELECT step, epoch, split, name, value FROM run_metrics "
                              "WHERE run_id = ? ORDER BY id"));
    q.bind(runId).exec("read a run's metrics");
    QList<MetricPoint> points;
    while (q.next())
        points << MetricPoint{q.value(0).toLongLong(), q.value(1).toDouble(), q.value(2).toString(),
                              q.value(3).toString(), q.value(4).toDouble()};
    return points;
}

void setRunStatus(Project& project, qint64 runId, const QString& status, const QString& error)
{
    SqlQuery q(project.db(),
               QStringLiteral("UPDATE runs SET status = ?, error = ?, finished_at = ? "
                              "WHERE id = ?"));
    q.bind(status).bind(error.isEmpty() ? QVariant() : QVariant(error));
    q.bind(status == QLatin1String("running") ? QVariant() : QVariant(nowIso())).bind(runId);
    q.exec("update the run's status");
}

void setRunCheckpoints(Project& project, qint64 runId, const QString& last, const QString& best,
                       double bestMetric, qint64 bestStep, double trainSeconds)
{
    SqlQuery q(project.db(),
               QStringLiteral("UPDATE runs SET last_checkpoint = ?, best_checkpoint = ?,"
                              " best_metric = ?, best_step = ?, train_seconds = ? "
                              "WHERE id = ?"));
    q.bind(last).bind(best.isEmpty() ? QVariant() : QVariant(best));
    q.bind(bestStep < 0 ? QVariant() : QVariant(bestMetric));
    q.bind(bestStep < 0 ? QVariant() : QVariant(bestStep)).bind(trainSeconds).bind(runId);
    q.exec("record the run's checkpoints");
}

void recordEvaluation(Project& project, qint64 runId, const Evaluation& evaluation)
{
    QCryptographicHash hash(QCryptographicHash::Sha256);
    for (const RowPrediction& row : evaluation.rows) {
        hash.addData(QByteArray::number(row.rowId) + '\t');
        hash.addData(row.text.toUtf8() + '\t');
        hash.addData(evaluation.report.labels.value(row.truth).toUtf8() + '\n');
    }
    recordEvaluationReport(project, runId, evaluation.split, evaluation.task,
                           QString::fromLatin1(hash.result().toHex()), evaluation.report.toJson());
}

void recordEvaluationReport(Project& project, qint64 runId, const QString& split,
                            const QString& task, const QString& dataHash, const QJsonObject& report)
{
    project.requireWritable(QStringLiteral("keep the evaluation with the run"));
    SqlQuery q(project.db(), QStringLiteral("INSERT INTO run_evaluations (run_id, split, task, "
                                            "created_at, data_hash, report) VALUES (?, ?, ?, ?, ?, ?)"));
    q.bind(runId).bind(split).bind(task).bind(nowIso()).bind(dataHash).bind(jsonText(report));
    q.exec("keep the evaluation with the run");
}

QList<StoredEvaluation> runEvaluations(Project& project, qint64 runId)
{
    SqlQuery q(project.db(), QStringLiteral("SELECT id, split, task, created_at, data_hash, report "
                                            "FROM run_evaluations WHERE run_id = ? ORDER BY id"));
    q.bind(runId).exec("read the run's evaluations");
    QList<StoredEvaluation> out;
    while (q.next()) {
        StoredEvaluation e;
        e.id = q.value(0).toLongLong();
        e.runId = runId;
        e.split = q.value(1).toString();
        e.task = q.value(2).toString();
        e.createdAt = q.value(3).toString();
        e.dataHash = q.value(4).toString();
        e.report = QJsonDocument::fromJson(q.value(5).toString().toUtf8()).object();
        out << e;
    }
    return out;
}

} // namespace fts
