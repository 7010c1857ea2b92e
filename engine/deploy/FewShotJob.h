// Few-shot prompting as a job for the engine thread: progress per evaluated row, cancel within the
// row being answered. Torch-free, so the GUI can submit it and read the result.
#pragma once

#include "deploy/FewShot.h"
#include "jobs/Job.h"

namespace fts {

// Opens its own connection to the project (connections belong to their thread): read-write when
// the request keeps a run, read-only otherwise.
class FewShotJob : public Job
{
public:
    FewShotJob(QString projectPath, FewShotRequest request);
    QString title() const override;
    void run(JobContext& ctx) override;
    QString summary() const override;
    const FewShotRequest& request() const { return m_request; }
    const FewShotEvaluation& result() const { return m_result; }

private:
    QString m_projectPath;
    FewShotRequest m_request;
    FewShotEvaluation m_result;
};

// One line for the user, e.g. "Few-shot (k=4, balanced): accuracy 0.412, macro F1 0.305 on 120
// val rows; 7 answers unparsed; kept as run 6".
QString fewShotSummary(const FewShotRequest& request, const FewShotEvaluation& result);

} // namespace fts
