// The loss is computed on the same rendering and cut as the trainer's validation, so a finished
// run's figure on its val split equals its last validation loss; the generations are greedy, so
// an evaluation is reproducible.
#include "align/SftEvaluation.h"

#include "Error.h"
#include "align/SftData.h"
#include "deploy/TextGenerator.h"
#include "models/ModelConfig.h"
#include "project/Project.h"
#include "train/Hyperparameters.h"
#include "train/RunStore.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>

#include <algorithm>

namespace fts {

QJsonObject GenerationEvaluation::toJson() const
{
    const auto score = [](const RougeScore& s) {
        return QJsonObject{{"precision", s.precision}, {"recall", s.recall}, {"f1", s.f1}};
    };
    QJsonArray rows;
    for (const GeneratedAnswer& a : answers)
        rows.append(QJsonObject{{"line", a.line},
                                {"prompt", a.prompt},
                                {"reference", a.reference},
                                {"generated", a.generated},
                                {"rouge_l", a.rougeL}});
    return {{"run_id", runId},
            {"task", task},
            {"split", split},
            {"records", records},
            {"answer_tokens", answerTokens},
            {"loss", loss},
            {"perplexity", perplexity},
            {"rouge1", score(rouge.rouge1)},
            {"rouge2", score(rouge.rouge2)},
            {"rougeL", score(rouge.rougeL)},
            {"exact_match", exactMatch},
            {"answers", rows}};
}

GenerationEvaluation evaluateSftRun(Project& project, qint64 runId, const QString& split,
                                    int maxNewTokens,
                                    const std::function<void(qint64, qint64)>& progress)
{
    const RunRecord run = loadRun(project, runId);
    if (!run.method.startsWith(QLatin1String("sft-")))
        throw Error(QStringLiteral("Run %1 is a %2 run; generation metrics are for chat and "
                                   "summarization runs (method sft-chat or sft-summarization).")
                        .arg(runId)
                        .arg(run.method));
    if (split != QLatin1String("val") && split != QLatin1String("test"))
        throw Error(QStringLiteral("Evaluate on the val or test split, not '%1'.").arg(split));
    if (maxNewTokens < 1 || maxNewTokens > 4096)
        throw Error(QStringLiteral("max_new_tokens is %1; allowed: 1 to 4096.").arg(maxNewTokens));
    const SftTask kind = sftTaskFromName(run.task);
    const QString dataFile = run.snapshot.value(QLatin1String("data_file")).toString();
    if (!QFile::exists(dataFile))
        throw Error(QStringLiteral("Run %1 trained on %2, which is no longer there; put the file "
                                   "back to evaluate the run on it.")
                        .arg(runId)
                        .arg(dataFile));
    std::vector<SftRecord> records;
    for (SftRecord& r : readSftJsonl(dataFile, kind))
        if (r.split == split && !r.messages.isEmpty() &&
            r.messages.constLast().role == QLatin1String("assistant"))
            records.push_back(std::move(r));
    if (records.empty())
        throw Error(QStringLiteral("%1 has no records in the %2 split; give some lines "
                                   "\"split\": \"%2\" to hold them out for evaluation.")
                        .arg(dataFile, split));

    const Hyperparameters hp = Hyperparameters::fromJson(run.hyperparameters);
    const ModelConfig config = ModelConfig::load(run.modelDir);
    const int maxLength = int(std::min<int64_t>(hp.maxLength, config.maxPositions / 8 * 8));
    const std::shared_ptr<TextGenerator> generator = TextGenerator::loadRun(project, runId);

    GenerationEvaluation out;
    out.runId = runId;
    out.task = run.task;
    out.split = split;
    QStringList generated, references;
    double nllSum = 0;
    QCryptographicHash hash(QCryptographicHash::Sha256);
    for (size_t i = 0; i < records.size(); ++i) {
        const SftRecord& r = records[i];
        int64_t tokens = 0;
        const double loss = generator->replyLoss(r.messages, maxLength, &tokens);
        nllSum += loss * double(tokens);
        out.answerTokens += tokens;
        GenerateRequest request;
        request.messages = r.messages.mid(0, r.messages.size() - 1);
        request.maxNewTokens = maxNewTokens;
        const GenerateReply reply = generator->generate(request);
        GeneratedAnswer a;
        a.line = r.line;
        a.prompt = request.messages.isEmpty() ? QString() : request.messages.constLast().content;
        a.reference = r.messages.constLast().content;
        a.generated = reply.text.trimmed();
        a.rougeL = fts::rouge(a.generated, a.reference).rougeL.f1;
        hash.addData(QByteArray::number(a.line) + '\t' + a.prompt.toUtf8() + '\t' +
                     a.reference.toUtf8() + '\n');
        generated << a.generated;
        references << a.reference;
        out.answers << a;
        if (progress)
            progress(qint64(i + 1), qint64(records.size()));
    }
    out.records = qint64(records.size());
    out.loss = out.answerTokens > 0 ? nllSum / double(out.answerTokens) : 0;
    out.perplexity = perplexity(out.loss);
    out.rouge = meanRouge(generated, references);
    out.exactMatch = exactMatch(generated, references);
    out.dataHash = QString::fromLatin1(hash.result().toHex());
    return out;
}

EvaluateSftRunJob::EvaluateSftRunJob(QString projectPath, qint64 runId, QString split, int maxNewTokens)
    : m_projectPath(std::move(projectPath)), m_runId(runId), m_split(std::move(split)),
      m_maxNewTokens(maxNewTokens)
{
}

QString EvaluateSftRunJob::title() const
{
    return QStringLiteral("Evaluating run %1 on the %2 records").arg(m_runId).arg(m_split);
}

void EvaluateSftRunJob::run(JobContext& ctx)
{
    ctx.progress(0, 0, QStringLiteral("Loading run %1").arg(m_runId));
    const std::unique_ptr<Project> project = Project::openWritableIfPossible(m_projectPath);
    m_result = evaluateSftRun(*project, m_runId, m_split, m_maxNewTokens, [&](qint64 done, qint64 total) {
        ctx.checkCancelled();
        ctx.progress(done, total, QStringLiteral("Answering the %1 records").arg(m_split));
    });
    if (!project->isReadOnly()) {
        recordEvaluationReport(*project, m_runId, m_split, m_result.task, m_result.dataHash,
                               m_result.toJson());
        m_stored = true;
    }
}

QString EvaluateSftRunJob::summary() const
{
    return QStringLiteral("Run %1: loss %2, ROUGE-L %3 on %4 %5 records")
        .arg(m_runId)
        .arg(m_result.loss, 0, 'f', 3)
        .arg(m_result.rouge.rougeL.f1, 0, 'f', 3)
        .arg(m_result.records)
        .arg(m_split);
}

} // namespace fts
