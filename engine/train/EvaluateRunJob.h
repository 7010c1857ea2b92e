// Evaluating a trained run on a split as a job, so the GUI thread never runs the model.
#pragma once

#include "jobs/Job.h"
#include "train/Evaluation.h"

namespace fts {

// Opens its own connection to the project; result() holds every row's prediction when it succeeds.
// The evaluation is kept with the run (train/RunStore's run_evaluations) unless the project is
// read-only.
class EvaluateRunJob : public Job
{
public:
    // `task`: a multi-task run's task (empty: its first).
    EvaluateRunJob(QString projectPath, qint64 runId, QString split, QString task = {});
    QString title() const override;
    void run(JobContext& ctx) override;
    QString summary() const override;
    const Evaluation& result() const { return m_result; }
    qint64 runId() const { return m_runId; }
    bool stored() const { return m_stored; }

private:
    QString m_projectPath;
    qint64 m_runId;
    QString m_split;
    QString m_task;
    Evaluation m_result;
    bool m_stored = false;
};

} // namespace fts
