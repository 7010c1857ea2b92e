// Generating the candidate answers people judge on the Feedback page: k samples per prompt from a
// decoder, each stored with the model and sampling settings that produced it.
#pragma once

#include "jobs/Job.h"

#include <QList>
#include <QString>

namespace fts {

struct CandidateSettings
{
    QString modelDir;         // a decoder folder (GPT-2 or Llama family) with its tokenizer
    int perPrompt = 4;        // k: a prompt that already has some gets only the missing ones
    int maxNewTokens = 48;
    double temperature = 0.9; // > 0: candidates must differ to be worth comparing
    double topP = 0.95;
    int topK = 0;
    quint64 seed = 1;
    QList<qint64> promptIds; // empty: every prompt
};

// Checks the settings before a job starts; throws fts::Error naming the field and allowed range.
void validateCandidateSettings(const CandidateSettings& settings);

// Opens its own connection to the project; each answer is committed as soon as it is generated,
// so a cancel keeps what was made. Progress counts answers, with an ETA.
class GenerateCandidatesJob : public Job
{
public:
    GenerateCandidatesJob(QString projectPath, CandidateSettings settings);
    QString title() const override;
    void run(JobContext& ctx) override;
    QString summary() const override;
    int generated() const { return m_generated; }

private:
    QString m_projectPath;
    CandidateSettings m_settings;
    int m_generated = 0;
    int m_duplicates = 0;
};

} // namespace fts
