// Label suggestions from a trained run: every active row's class probabilities, computed once on
// the engine thread and then looked up instantly by the Label page (cards and uncertainty order).
#pragma once

#include "jobs/Job.h"

#include <QHash>
#include <QStringList>

#include <vector>

namespace fts {

class Project;

struct ModelSuggestions
{
    qint64 runId = 0;
    QString task;
    QStringList labels; // the order of every probability vector (the label schema's)
    QHash<qint64, std::vector<double>> byRow;
    bool isEmpty() const { return byRow.isEmpty(); }
};

// The newest run of `task` that has a checkpoint and did not fail; 0 when there is none.
qint64 newestUsableRun(Project& project, const QString& task);

// Predicts every active row with run `runId`; probabilities are reordered to `schemaLabels`
// (a label the run never saw gets 0). Throws fts::Error when the run cannot be loaded.
ModelSuggestions suggestFromRun(Project& project, qint64 runId, const QString& task,
                                const QStringList& schemaLabels);

// suggestFromRun on the engine thread; runId 0 takes the newest usable run (result() stays empty
// when there is none).
class SuggestJob : public Job
{
public:
    SuggestJob(QString projectPath, QString task, QStringList schemaLabels, qint64 runId = 0);
    QString title() const override;
    void run(JobContext& ctx) override;
    QString summary() const override;
    const ModelSuggestions& result() const { return m_result; }

private:
    QString m_projectPath, m_task;
    QStringList m_labels;
    qint64 m_runId;
    ModelSuggestions m_result;
};

} // namespace fts
