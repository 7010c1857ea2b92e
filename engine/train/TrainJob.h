// Training (or resuming) a classification run as a job on the engine thread.
#pragma once

#include "jobs/Job.h"
#include "train/TrainTypes.h"

namespace fts {

// Opens its own connection to the project (connections belong to their thread). Progress reports
// optimizer steps with an ETA; the log gets loss, learning rate and tokens per second. A cancelled
// run saves its last checkpoint first, so `resume` continues it exactly.
class TrainJob : public Job
{
public:
    // `resumeRunId` > 0 continues that run; `options` then only supplies callbacks and a tokenizer.
    TrainJob(QString projectPath, TrainerOptions options, qint64 resumeRunId = 0);
    QString title() const override;
    void run(JobContext& ctx) override;
    QString summary() const override;
    const TrainResult& result() const { return m_result; }
    // Pause (in memory, between steps) and Continue; safe from any thread.
    void setPaused(bool paused) { m_pause->store(paused); }
    bool isPaused() const { return m_pause->load(); }

private:
    std::shared_ptr<std::atomic<bool>> m_pause = std::make_shared<std::atomic<bool>>(false);
    QString m_projectPath;
    TrainerOptions m_options;
    qint64 m_resume;
    TrainResult m_result;
};

} // namespace fts
