// The prompt is sent as a user turn (the model's chat format), as the DPO and PPO trainers
// encode it, so people judge answers from the distribution those trainers then move.
#include "feedback/CandidateJob.h"

#include "Error.h"
#include "deploy/TextGenerator.h"
#include "feedback/Feedback.h"
#include "project/Project.h"

#include <QFileInfo>
#include <QJsonObject>
#include <QSet>

namespace fts {

void validateCandidateSettings(const CandidateSettings& s)
{
    if (s.modelDir.isEmpty())
        throw Error(QStringLiteral("Choose a decoder model (GPT-2 or Llama family) to write the "
                                   "candidate answers."));
    if (s.perPrompt < 2 || s.perPrompt > 16)
        throw Error(QStringLiteral("Answers per prompt must be from 2 to 16, not %1.").arg(s.perPrompt));
    if (s.maxNewTokens < 1 || s.maxNewTokens > 1024)
        throw Error(QStringLiteral("Max new tokens must be from 1 to 1024, not %1.").arg(s.maxNewTokens));
    if (!(s.temperature > 0) || s.temperature > 2)
        throw Error(QStringLiteral("Temperature must be above 0 and at most 2 (answers to compare "
                                   "must differ, so greedy decoding is not offered); got %1.")
                        .arg(s.temperature));
    if (!(s.topP > 0) || s.topP > 1)
        throw Error(QStringLiteral("Top-p must be above 0 and at most 1, not %1.").arg(s.topP));
    if (s.topK < 0)
        throw Error(QStringLiteral("Top-k must be 0 (off) or more, not %1.").arg(s.topK));
}

GenerateCandidatesJob::GenerateCandidatesJob(QString projectPath, CandidateSettings settings)
    : m_projectPath(std::move(projectPath)), m_settings(std::move(settings))
{
}

QString GenerateCandidatesJob::title() const
{
    return QStringLiteral("Writing candidate answers with %1").arg(QFileInfo(m_settings.modelDir).fileName());
}

void GenerateCandidatesJob::run(JobContext& ctx)
{
    validateCandidateSettings(m_settings);
    auto project = Project::open(m_projectPath);
    const QSet<qint64> wanted(m_settings.promptIds.begin(), m_settings.promptIds.end());
    struct Todo
    {
        FeedbackPrompt prompt;
        int missing;
    };
    QList<Todo> todo;
    qint64 total = 0;
    for (const FeedbackPrompt& p : feedbackPrompts(*project)) {
        if (!wanted.isEmpty() && !wanted.contains(p.id))
            continue;
        const int missing = m_settings.perPrompt - p.candidates;
        if (missing > 0) {
            todo.push_back({p, missing});
            total += missing;
        }
    }
    if (todo.isEmpty()) {
        ctx.log(QStringLiteral("Every prompt already has %1 or more answers.").arg(m_settings.perPrompt));
        return;
    }
    ctx.progress(0, total, QStringLiteral("Loading the model"));
    const std::shared_ptr<TextGenerator> generator = TextGenerator::loadFolder(m_settings.modelDir);
    const QJsonObject origin{{"model", QFileInfo(m_settings.modelDir).absoluteFilePath()},
                             {"temperature", m_settings.temperature},
                             {"top_p", m_settings.topP},
                             {"top_k", m_settings.topK},
                             {"max_new_tokens", m_settings.maxNewTokens}};
    qint64 done = 0;
    for (const Todo& t : todo) {
        QSet<QString> seen;
        const quint64 base = m_settings.seed + quint64(t.prompt.id) * 1000003ULL;
        quint64 first = 0; // draws already stored are not drawn again: a top-up adds new answers
        for (const FeedbackCandidate& c : feedbackCandidates(*project, t.prompt.id)) {
            seen.insert(c.text);
            const quint64 used = c.settings.value(QLatin1String("seed")).toString().toULongLong();
            if (c.origin == QLatin1String("generated") && used >= base && used - base < (1ULL << 32))
                first = std::max(first, used - base + 1);
        }
        // A few extra draws per answer: a small model often repeats itself, and two equal answers
        // teach nothing when compared.
        int made = 0;
        for (int attempt = 0; made < t.missing && attempt < t.missing * 3; ++attempt) {
            ctx.checkCancelled();
            GenerateRequest request;
            request.messages = {{QStringLiteral("user"), t.prompt.text}};
            request.maxNewTokens = m_settings.maxNewTokens;
            request.temperature = m_settings.temperature;
            request.topP = m_settings.topP;
            request.topK = m_settings.topK;
            request.seed = base + first + quint64(attempt);
            const GenerateReply reply =
                generator->generate(request, [&ctx](const QString&) { return !ctx.isCancelled(); });
            ctx.checkCancelled();
            const QString text = reply.text.trimmed();
            if (text.isEmpty() || seen.contains(text)) {
                ++m_duplicates;
                continue;
            }
            seen.insert(text);
            QJsonObject settings = origin;
            settings.insert(QStringLiteral("seed"), QString::number(request.seed));
            addFeedbackCandidate(*project, t.prompt.id, text, QStringLiteral("generated"), settings);
            ++made;
            ++m_generated;
            ctx.progress(++done, total, QStringLiteral("Writing answers"));
        }
        done += t.missing - made; // gave up on this prompt's remaining answers
        if (made < t.missing)
            ctx.log(QStringLiteral("Prompt %1: only %2 different answers out of %3 tries; add "
                                   "answers by hand or raise the temperature.")
                        .arg(t.prompt.id)
                        .arg(made)
                        .arg(t.missing * 3));
    }
}

QString GenerateCandidatesJob::summary() const
{
    QString s = QStringLiteral("Wrote %1 candidate answer(s)").arg(m_generated);
    if (m_duplicates > 0)
        s += QStringLiteral(" (%1 empty or repeated draw(s) discarded)").arg(m_duplicates);
    return s;
}

} // namespace fts
