// How well a chat or summarization run answers held-out records of its own data file: the loss
// and perplexity of the reference answers (teacher-forced, as the trainer's validation computes
// them), and greedy generations scored against the references with ROUGE-1/2/L and exact match.
#pragma once

#include "jobs/Job.h"
#include "train/Metrics.h"

#include <QJsonObject>
#include <QList>
#include <QString>

#include <functional>

namespace fts {

class Project;

struct GeneratedAnswer
{
    int line = 0; // in the data file
    QString prompt;    // the last user turn (a summarization's document)
    QString reference; // the record's answer
    QString generated;
    double rougeL = 0; // F1 against the reference
};

struct GenerationEvaluation
{
    qint64 runId = 0;
    QString task;  // chat, summarization
    QString split; // val, test
    qint64 records = 0;
    qint64 answerTokens = 0;
    double loss = 0;       // mean negative log-likelihood per reference answer token
    double perplexity = 0; // exp(loss)
    RougeReport rouge;     // mean over records
    double exactMatch = 0; // share of generations equal to the reference (case, spacing ignored)
    QList<GeneratedAnswer> answers;
    QJsonObject toJson() const; // every figure, and the answers
    QString dataHash; // SHA-256 of the records evaluated (line, prompt, reference)
};

// Evaluates run `runId` (method sft-chat or sft-summarization) on the records of `split` in the
// data file it trained on. `progress(done, total)` is called after each record and may throw
// fts::Cancelled. Throws fts::Error for another kind of run, a missing data file, or a split
// without records (naming what to do).
GenerationEvaluation evaluateSftRun(Project& project, qint64 runId, const QString& split,
                                    int maxNewTokens = 64,
                                    const std::function<void(qint64, qint64)>& progress = {});

// evaluateSftRun on the engine thread, the result kept with the run unless the project is
// read-only.
class EvaluateSftRunJob : public Job
{
public:
    EvaluateSftRunJob(QString projectPath, qint64 runId, QString split, int maxNewTokens = 64);
    QString title() const override;
    void run(JobContext& ctx) override;
    QString summary() const override;
    const GenerationEvaluation& result() const { return m_result; }
    bool stored() const { return m_stored; }

private:
    QString m_projectPath;
    qint64 m_runId;
    QString m_split;
    int m_maxNewTokens;
    GenerationEvaluation m_result;
    bool m_stored = false;
};

} // namespace fts
