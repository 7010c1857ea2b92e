// Both models get the identical request (prompt as a user turn, seed, settings), so the answers
// differ only by what training changed.
#include "feedback/CompareJob.h"

#include "Error.h"
#include "align/RewardTrainer.h"
#include "deploy/TextGenerator.h"
#include "feedback/Feedback.h"
#include "project/Project.h"
#include "train/RunStore.h"

#include <QFileInfo>
#include <QJsonObject>

namespace fts {

QString runOrigin(qint64 runId)
{
    return QStringLiteral("run:%1").arg(runId);
}

QString referenceOrigin(qint64 runId)
{
    return QStringLiteral("reference-of-run:%1").arg(runId);
}

ComparePolicyJob::ComparePolicyJob(QString projectPath, CompareSettings settings)
    : m_projectPath(std::move(projectPath)), m_settings(settings)
{
}

QString ComparePolicyJob::title() const
{
    return QStringLiteral("Comparing run %1 with its starting model").arg(m_settings.runId);
}

void ComparePolicyJob::run(JobContext& ctx)
{
    if (m_settings.maxNewTokens < 1 || m_settings.maxNewTokens > 1024)
        throw Error(QStringLiteral("Answer length must be from 1 to 1024 tokens, not %1.").arg(m_settings.maxNewTokens));
    if (m_settings.temperature < 0 || m_settings.temperature > 2)
        throw Error(QStringLiteral("Temperature must be from 0 (greedy) to 2, not %1.").arg(m_settings.temperature));
    auto project = Project::open(m_projectPath);
    QList<FeedbackPrompt> heldOut;
    for (const FeedbackPrompt& p : feedbackPrompts(*project))
        if (p.split != QLatin1String("train"))
            heldOut << p;
    if (heldOut.isEmpty())
        throw Error(QStringLiteral("There are no held-out (val or test) prompts to compare on. About one "
                                   "prompt in five lands there when prompts are added; add more prompts."));
    const RunRecord record = loadRun(*project, m_settings.runId);
    ctx.progress(0, heldOut.size(), QStringLiteral("Loading both models"));
    const std::shared_ptr<TextGenerator> tuned = TextGenerator::loadRun(*project, m_settings.runId);
    const std::shared_ptr<TextGenerator> reference = TextGenerator::loadFolder(record.modelDir);
    std::unique_ptr<RewardScorer> scorer;
    if (m_settings.rewardRunId > 0)
        scorer = std::make_unique<RewardScorer>(*project, m_settings.rewardRunId);
    const QJsonObject settings{{"temperature", m_settings.temperature},
                               {"max_new_tokens", m_settings.maxNewTokens},
                               {"seed", QString::number(m_settings.seed)}};
    const auto keepGoing = [&ctx](const QString&) { return !ctx.isCancelled(); };
    for (int i = 0; i < heldOut.size(); ++i) {
        ctx.checkCancelled();
        const FeedbackPrompt& p = heldOut[i];
        GenerateRequest request;
        request.messages = {{QStringLiteral("user"), p.text}};
        request.maxNewTokens = m_settings.maxNewTokens;
        request.temperature = m_settings.temperature;
        request.seed = m_settings.seed + quint64(p.id);
        const QString a = tuned->generate(request, keepGoing).text.trimmed();
        const QString b = reference->generate(request, keepGoing).text.trimmed();
        ctx.checkCancelled();
        ++m_result.prompts;
        if (a == b || a.isEmpty() || b.isEmpty()) {
            // Nothing to judge, for people or the reward model: left out of both win rates.
            ++m_result.identical;
        } else {
            QJsonObject tunedSettings = settings, referenceSettings = settings;
            tunedSettings.insert(QStringLiteral("run"), m_settings.runId);
            referenceSettings.insert(QStringLiteral("model"), QFileInfo(record.modelDir).absoluteFilePath());
            Transaction tx(project->db());
            const qint64 tunedId = addFeedbackCandidate(*project, p.id, a, runOrigin(m_settings.runId), tunedSettings);
            const qint64 referenceId =
                addFeedbackCandidate(*project, p.id, b, referenceOrigin(m_settings.runId), referenceSettings);
            recordComparison(*project, m_settings.runId, p.id, tunedId, referenceId);
            tx.commit();
            if (scorer) {
                const std::vector<double> s = scorer->score({p.text, p.text}, {a, b});
                if (s[0] > s[1])
                    ++m_result.rewardWins;
                else if (s[0] < s[1])
                    ++m_result.rewardLosses;
                else
                    ++m_result.rewardTies;
            }
        }
        ctx.progress(i + 1, heldOut.size(), QStringLiteral("Answering held-out prompts"));
    }
}

QString ComparePolicyJob::summary() const
{
    QString s = QStringLiteral("Run %1 and its starting model answered %2 held-out prompt(s)")
                    .arg(m_settings.runId)
                    .arg(m_result.prompts);
    if (m_result.identical > 0)
        s += QStringLiteral(" (%1 the same or empty: nothing to judge)").arg(m_result.identical);
    if (m_settings.rewardRunId > 0)
        s += QStringLiteral("; of the %6 pairs to judge, reward model run %1 prefers the tuned answer %2 time(s), the starting "
                            "model's %3, ties %4: win rate %5")
                 .arg(m_settings.rewardRunId)
                 .arg(m_result.rewardWins)
                 .arg(m_result.rewardLosses)
                 .arg(m_result.rewardTies)
                 .arg(m_result.rewardWinRate(), 0, 'f', 2)
                 .arg(m_result.prompts - m_result.identical);
    return s + QStringLiteral(". Judge the pairs blind in the Choose mode.");
}

} // namespace fts
