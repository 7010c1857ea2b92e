// Job wrappers around the deployment functions, reporting progress and honouring cancel.
#include "deploy/DeployJobs.h"

#include "Error.h"
#include "project/Project.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>

#include <algorithm>

namespace fts {

LoadRunModelJob::LoadRunModelJob(QString source, qint64 runId, QString task)
    : m_source(std::move(source)), m_runId(runId), m_task(std::move(task))
{
}

QString LoadRunModelJob::title() const
{
    return m_runId > 0 ? QStringLiteral("Loading run %1").arg(m_runId)
                       : QStringLiteral("Loading %1").arg(QFileInfo(m_source).fileName());
}

void LoadRunModelJob::run(JobContext& ctx)
{
    ctx.progress(0, 1, title());
    m_model = loadDeployModel(m_source, m_runId, {}, m_task);
    ctx.progress(1, 1, title());
}

namespace {

// A long chat outgrows the context: the oldest user/assistant exchanges go first (a system message
// stays), as chat front ends do, so the newest question is still answered in full.
int dropOldestTurnsToFit(const TextGenerator& generator, GenerateRequest& request)
{
    int dropped = 0;
    while (request.messages.size() > 1 && !generator.leavesRoomForAnswer(request)) {
        const int first = request.messages.first().role == QLatin1String("system") ? 1 : 0;
        if (request.messages.size() - first <= 1)
            break; // only the newest message is left: the generator's own message says it is too long
        // A whole exchange goes, so the conversation still opens with a user's message.
        const bool pair = request.messages.size() - first > 2 &&
                          request.messages[first].role == QLatin1String("user") &&
                          request.messages[first + 1].role == QLatin1String("assistant");
        request.messages.remove(first, pair ? 2 : 1);
        dropped += pair ? 2 : 1;
    }
    return dropped;
}

} // namespace

GenerateJob::GenerateJob(QList<Side> sides, TextSink onText)
    : m_sides(std::move(sides)), m_onText(std::move(onText))
{
}

QString GenerateJob::title() const
{
    return m_sides.size() > 1 ? QStringLiteral("Writing %1 answers side by side").arg(m_sides.size())
                              : QStringLiteral("Writing an answer");
}

void GenerateJob::run(JobContext& ctx)
{
    for (int i = 0; i < m_sides.size(); ++i) {
        ctx.checkCancelled();
        ctx.progress(i, m_sides.size(), title());
        QElapsedTimer clock;
        clock.start();
        Answer a;
        GenerateRequest request = m_sides[i].request;
        a.droppedMessages = dropOldestTurnsToFit(*m_sides[i].generator, request);
        a.reply = m_sides[i].generator->generate(
            request,
            [&](const QString& piece) {
                if (m_onText)
                    m_onText(i, piece);
                return true;
            },
            ctx.cancelFlag());
        a.seconds = clock.elapsed() / 1000.0;
        m_answers << a;
    }
    ctx.progress(m_sides.size(), m_sides.size(), title());
    ctx.checkCancelled(); // a stopped answer is kept in answers(), but the job reads as cancelled
}

QString GenerateJob::summary() const
{
    QStringList parts;
    for (const Answer& a : m_answers)
        parts << QStringLiteral("%1 tokens in %2 s").arg(a.reply.tokens.size()).arg(a.seconds, 0, 'f', 2);
    return QStringLiteral("Wrote %1").arg(parts.join(QStringLiteral(", ")));
}

QString LoadRunModelJob::summary() const
{
    return QStringLiteral("Loaded %1").arg(m_model.description());
}

ClassifyJob::ClassifyJob(std::shared_ptr<TextClassifier> classifier, QStringList texts)
    : m_classifier(std::move(classifier)), m_texts(std::move(texts))
{
}

QString ClassifyJob::title() const
{
    return QStringLiteral("Classifying %1 text(s)").arg(m_texts.size());
}

void ClassifyJob::run(JobContext& ctx)
{
    ctx.checkCancelled();
    m_predictions = m_classifier->classify(m_texts);
}

BatchPredictJob::BatchPredictJob(std::shared_ptr<TextClassifier> classifier,
                                 BatchPredictOptions options)
    : m_classifier(std::move(classifier)), m_options(std::move(options))
{
}

BatchPredictJob::BatchPredictJob(std::shared_ptr<TextGenerator> generator, GenerateRequest request,
                                 BatchPredictOptions options)
    : m_generator(std::move(generator)), m_request(std::move(request)), m_options(std::move(options))
{
}

QString BatchPredictJob::title() const
{
    return QStringLiteral("%1 %2").arg(m_generator ? QStringLiteral("Answering") : QStringLiteral("Predicting"),
                                       QFileInfo(m_options.input).fileName());
}

void BatchPredictJob::run(JobContext& ctx)
{
    const BatchProgress progress = [&](qint64, qint64 done, qint64 total) {
        ctx.progress(done, total, title());
        return !ctx.isCancelled();
    };
    m_stats = m_generator ? generateFile(*m_generator, m_request, m_options, progress)
                          : predictFile(*m_classifier, m_options, progress);
}

QString BatchPredictJob::summary() const
{
    return QStringLiteral("Wrote %1 rows to %2")
        .arg(m_stats.rows)
        .arg(QDir::toNativeSeparators(m_options.output));
}

ExportJob::ExportJob(QString projectPath, qint64 runId, ExportOptions options)
    : m_projectPath(std::move(projectPath)), m_runId(runId), m_options(std::move(options))
{
}

QString ExportJob::title() const
{
    return QStringLiteral("Exporting run %1").arg(m_runId);
}

void ExportJob::run(JobContext& ctx)
{
    ctx.progress(0, 1, title());
    auto project = Project::open(m_projectPath, Project::Access::ReadOnly);
    m_result = exportRun(*project, m_runId, m_options);
    ctx.progress(1, 1, title());
}

QString ExportJob::summary() const
{
    return QStringLiteral("Exported to %1").arg(QDir::toNativeSeparators(m_result.dir));
}

} // namespace fts
