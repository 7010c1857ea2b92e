// The Deploy page's engine work as jobs: loading a run's model, classifying typed text, batch
// prediction of a file and export. Torch-free, so the GUI can submit them and read results.
#pragma once

#include "deploy/BatchPredict.h"
#include "deploy/DeployModel.h"
#include "deploy/Export.h"
#include "jobs/Job.h"

#include <QStringList>

#include <vector>

namespace fts {

// Opens its own read-only connection to the project (connections belong to their thread).
class LoadRunModelJob : public Job
{
public:
    LoadRunModelJob(QString projectPath, qint64 runId);
    QString title() const override;
    void run(JobContext& ctx) override;
    QString summary() const override;
    const DeployModel& model() const { return m_model; }

private:
    QString m_projectPath;
    qint64 m_runId;
    DeployModel m_model;
};

class ClassifyJob : public Job
{
public:
    ClassifyJob(std::shared_ptr<TextClassifier> classifier, QStringList texts);
    QString title() const override;
    void run(JobContext& ctx) override;
    const QStringList& texts() const { return m_texts; }
    const std::vector<ClassPrediction>& predictions() const { return m_predictions; }

private:
    std::shared_ptr<TextClassifier> m_classifier;
    QStringList m_texts;
    std::vector<ClassPrediction> m_predictions;
};

// Progress in input bytes; cancel leaves the output file as it was.
class BatchPredictJob : public Job
{
public:
    BatchPredictJob(std::shared_ptr<TextClassifier> classifier, BatchPredictOptions options);
    QString title() const override;
    void run(JobContext& ctx) override;
    QString summary() const override;
    const BatchPredictStats& stats() const { return m_stats; }

private:
    std::shared_ptr<TextClassifier> m_classifier;
    BatchPredictOptions m_options;
    BatchPredictStats m_stats;
};

class ExportJob : public Job
{
public:
    ExportJob(QString projectPath, qint64 runId, ExportOptions options);
    QString title() const override;
    void run(JobContext& ctx) override;
    QString summary() const override;

private:
    QString m_projectPath;
    qint64 m_runId;
    ExportOptions m_options;
    ExportResult m_result;
};

} // namespace fts
