// Pre-training as a job on the engine thread: progress with ETA, loss and perplexity in the log.
#pragma once

#include "jobs/Job.h"
#include "pretrain/Pretrainer.h"

namespace fts {

// A cancelled job saves its checkpoint first; running the same job again resumes it.
class PretrainJob : public Job
{
public:
    explicit PretrainJob(PretrainOptions options);
    QString title() const override;
    void run(JobContext& ctx) override;
    QString summary() const override;
    const PretrainResult& result() const { return m_result; }

private:
    PretrainOptions m_options;
    PretrainResult m_result;
};

} // namespace fts
