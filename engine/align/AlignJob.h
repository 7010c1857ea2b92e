// Running (or resuming) an SFT, reward-model, DPO or PPO run as a job on the engine thread.
#pragma once

#include "align/AlignTypes.h"
#include "jobs/Job.h"

namespace fts {

enum class AlignKind { Sft, Reward, Dpo, Ppo };

// Opens its own connection to the project (connections belong to their thread). Progress reports
// optimizer steps; the log gets loss, learning rate and tokens per second, and the validation
// metrics. A cancelled run saves its last checkpoint first, so a resume continues it exactly.
class AlignJob : public Job
{
public:
    AlignJob(AlignKind kind, QString projectPath, AlignOptions options, qint64 resumeRunId = 0);
    QString title() const override;
    void run(JobContext& ctx) override;
    QString summary() const override;
    const AlignResult& result() const { return m_result; }
    // Pause (in memory, between steps) and Continue; safe from any thread.
    void setPaused(bool paused) { m_pause->store(paused); }
    bool isPaused() const { return m_pause->load(); }

private:
    std::shared_ptr<std::atomic<bool>> m_pause = std::make_shared<std::atomic<bool>>(false);
    AlignKind m_kind;
    QString m_projectPath;
    AlignOptions m_options;
    qint64 m_resume;
    AlignResult m_result;
};

} // namespace fts
