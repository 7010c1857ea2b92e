// The Deploy page's engine work as jobs: loading a run's model, classifying typed text, batch
// prediction of a file and export. Torch-free, so the GUI can submit them and read results.
#pragma once

#include "deploy/BatchPredict.h"
#include "deploy/DeployModel.h"
#include "deploy/Export.h"
#include "jobs/Job.h"

#include <QList>
#include <QStringList>

#include <functional>
#include <memory>

#include <vector>

namespace fts {

// A run of a project (`source` the project file, `runId` > 0; `task` picks a multi-task run's
// head) or a model folder (`runId` 0). Opens its own read-only connection to the project
// (connections belong to their thread).
class LoadRunModelJob : public Job
{
public:
    LoadRunModelJob(QString source, qint64 runId, QString task = {});
    QString title() const override;
    void run(JobContext& ctx) override;
    QString summary() const override;
    const DeployModel& model() const { return m_model; }

private:
    QString m_source;
    qint64 m_runId;
    QString m_task;
    DeployModel m_model;
};

// One request per generator, answered one after the other (side by side: the run, then what it is
// compared with). `onText(side, piece)` gets the text as it is written, on the engine thread.
class GenerateJob : public Job
{
public:
    struct Side
    {
        std::shared_ptr<TextGenerator> generator;
        GenerateRequest request;
    };
    struct Answer
    {
        GenerateReply reply;
        double seconds = 0;
        // Earlier messages left out so the conversation and the answer fit the model's context.
        int droppedMessages = 0;
    };
    using TextSink = std::function<void(int side, const QString& piece)>;

    GenerateJob(QList<Side> sides, TextSink onText);
    QString title() const override;
    void run(JobContext& ctx) override;
    QString summary() const override;
    // One per side that finished (a cancel leaves the sides done so far, the last one partial).
    const QList<Answer>& answers() const { return m_answers; }

private:
    QList<Side> m_sides;
    TextSink m_onText;
    QList<Answer> m_answers;
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
    // Generation: each row's text is the prompt (with options.chat, a user's message), answered
    // with `request`'s settings into a generated_text column.
    BatchPredictJob(std::shared_ptr<TextGenerator> generator, GenerateRequest request,
                    BatchPredictOptions options);
    QString title() const override;
    void run(JobContext& ctx) override;
    QString summary() const override;
    const BatchPredictStats& stats() const { return m_stats; }

private:
    std::shared_ptr<TextClassifier> m_classifier;
    std::shared_ptr<TextGenerator> m_generator;
    GenerateRequest m_request;
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
