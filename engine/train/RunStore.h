// The project's record of training runs (table `runs`) and their metric points (`run_metrics`).
#pragma once

#include "train/Evaluation.h"

#include <QJsonObject>
#include <QList>
#include <QString>

namespace fts {

class Project;

struct RunRecord
{
    qint64 id = 0;
    QString createdAt;
    QString status; // running, finished, cancelled, failed
    QString task;
    QString modelDir;
    QString method;
    QJsonObject hyperparameters;
    QJsonObject snapshot; // {"hash": sha256, "train": [row ids], "val": [...], "test": [...]}
    int seed = 0;
    QJsonObject software;
    double trainSeconds = 0;
    double bestMetric = 0;
    qint64 bestStep = -1;
    QString bestCheckpoint; // relative to the artifacts folder
    QString lastCheckpoint;
    QString error;
};

// An evaluation of a run on a split, as kept with the run.
struct StoredEvaluation
{
    qint64 id = 0;
    qint64 runId = 0;
    QString split;
    QString task;
    QString createdAt;
    QString dataHash;   // SHA-256 of the rows (id, text, gold label) evaluated
    QJsonObject report; // ClassificationReport::toJson()
};

struct MetricPoint
{
    qint64 step = 0;
    double epoch = 0;
    QString split; // "train", "val", "test"
    QString name;  // "loss", "lr", "accuracy", "macro_f1", "tokens_per_second"...
    double value = 0;
};

// Whether the run saved any weights (a best or a last checkpoint) to load, evaluate or deploy.
bool hasCheckpoint(const RunRecord& run);

// Each call commits at once, so a killed run leaves every point it reported.
qint64 createRun(Project& project, const RunRecord& run);
RunRecord loadRun(Project& project, qint64 id); // throws fts::Error for an unknown id
QList<RunRecord> listRuns(Project& project);
void addMetric(Project& project, qint64 runId, const MetricPoint& point);
QList<MetricPoint> runMetrics(Project& project, qint64 runId);
// Removes what a run recorded after `step`. A run resumed from its checkpoint at `step` records
// those steps again; a killed process leaves the ones it did after its last checkpoint behind.
void discardMetricsAfter(Project& project, qint64 runId, qint64 step);
void setRunStatus(Project& project, qint64 runId, const QString& status, const QString& error = {});
// Keeps an evaluation with its run (every one is kept, in the order made); `evaluation` must hold
// its rows, which the data hash is computed from. Throws fts::Error when the project is read-only.
void recordEvaluation(Project& project, qint64 runId, const Evaluation& evaluation);
// The same for any report (a chat or summarization run's generation metrics).
void recordEvaluationReport(Project& project, qint64 runId, const QString& split,
                            const QString& task, const QString& dataHash, const QJsonObject& report);
QList<StoredEvaluation> runEvaluations(Project& project, qint64 runId);
void setRunCheckpoints(Project& project, qint64 runId, const QString& last, const QString& best,
                       double bestMetric, qint64 bestStep, double trainSeconds);

} // namespace fts
