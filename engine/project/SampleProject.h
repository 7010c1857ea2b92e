// The bundled sample project: a sentiment project built from the shipped dataset on first use.
#pragma once

#include <QString>
#include <QStringList>

namespace fts {

class JobContext;
class Project;

// Returns the path of the sample project in `folder`, creating it from `datasetCsv` (a file or a
// Qt resource path) if it does not exist yet; `feedbackPairs` (JSONL pairs, optional) fills the
// Feedback page; each of `sideFiles` (files or Qt resource paths, e.g. the chat and summarization
// JSONL the Train page's decoder templates default to) is copied beside the project. Throws
// fts::Error.
QString ensureSampleProject(const QString& folder, const QString& datasetCsv,
                            JobContext* ctx = nullptr, const QString& feedbackPairs = {},
                            const QStringList& sideFiles = {});

// Makes the bundled starter encoder the project's model when it has none and the starter is
// installed; returns whether it did.
bool useStarterModel(Project& project);

constexpr const char* SampleProjectFileName = "Sentiment Sample.ftproj";

} // namespace fts

#include "jobs/Job.h"

namespace fts {

// ensureSampleProject on the engine thread; path() is set when it succeeded.
class SampleProjectJob : public Job
{
public:
    SampleProjectJob(QString folder, QString datasetCsv, QString feedbackPairs = {}, QStringList sideFiles = {})
        : m_folder(std::move(folder)), m_dataset(std::move(datasetCsv)), m_feedback(std::move(feedbackPairs)),
          m_sideFiles(std::move(sideFiles)) {}
    QString title() const override { return QStringLiteral("Preparing the sample project"); }
    void run(JobContext& ctx) override
    {
        m_path = ensureSampleProject(m_folder, m_dataset, &ctx, m_feedback, m_sideFiles);
    }
    QString summary() const override { return QStringLiteral("The sample project is ready."); }
    QString path() const { return m_path; }

private:
    QString m_folder;
    QString m_dataset;
    QString m_feedback;
    QStringList m_sideFiles;
    QString m_path;
};

} // namespace fts
