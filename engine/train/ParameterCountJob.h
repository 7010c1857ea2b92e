// How many parameters a method would train on a model, counted on the model it would build, as a
// job so the GUI never loads weights on its own thread.
#pragma once

#include "jobs/Job.h"
#include "train/Hyperparameters.h"

#include <QStringList>

namespace fts {

struct MethodParameterCounts
{
    qint64 trainable = 0; // what the optimizer updates: adapters, unfrozen layers, the head
    qint64 total = 0;     // everything the model holds, adapters included (as PEFT counts them)
    int labels = 0;       // the head's outputs the count assumed
};

// The classifier `hp.method` would build on `modelDir` for `labels` (a decoder folder: the decoder
// chat / summarization fine-tuning would train), counted. Throws fts::Error when the folder or the
// settings do not fit, e.g. an unknown LoRA target module.
MethodParameterCounts countMethodParameters(const QString& modelDir, const QStringList& labels,
                                            const Hyperparameters& hp);

// The same for a multi-task run: the first task's classifier and a head for each further task.
MethodParameterCounts countMultiTaskParameters(const QString& modelDir,
                                               const QList<QStringList>& labels,
                                               const Hyperparameters& hp);

// The labels come from the project's `tasks` (empty: its first task; two placeholder labels for a
// task without labels yet).
class ParameterCountJob : public Job
{
public:
    ParameterCountJob(QString projectPath, QString modelDir, Hyperparameters hp,
                      QStringList tasks = {});
    QString title() const override;
    void run(JobContext& ctx) override;
    QString summary() const override;
    const MethodParameterCounts& result() const { return m_result; }
    const Hyperparameters& hyperparameters() const { return m_hp; }
    const QString& modelDir() const { return m_modelDir; }
    const QStringList& tasks() const { return m_tasks; }

private:
    QString m_projectPath;
    QString m_modelDir;
    Hyperparameters m_hp;
    QStringList m_tasks;
    MethodParameterCounts m_result;
};

} // namespace fts
