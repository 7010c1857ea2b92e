// The SFT trainer: JSONL -> masked examples -> the shared loop with an answer-only loss.
#include "align/SftTrainer.h"

#include "Error.h"
#include "align/AlignLoop.h"
#include "align/LmLoss.h"
#include "align/SftData.h"
#include "tokenize/Tokenizer.h"

#include <ATen/ATen.h>

#include <cmath>

namespace fts {

SftTrainer::SftTrainer(Project& project, AlignOptions options)
    : m_project(project), m_options(std::move(options))
{
}

AlignResult SftTrainer::run()
{
    return train(0);
}

AlignResult SftTrainer::resume(qint64 runId)
{
    const RunRecord record = runToResume(m_project, runId);
    m_options.modelDir = record.modelDir;
    m_options.dataFile = record.snapshot.value(QLatin1String("data_file")).toString();
    m_options.task = record.task;
    m_options.hp = Hyperparameters::fromJson(record.hyperparameters);
    return train(runId);
}

AlignResult SftTrainer::train(qint64 resumeRunId)
{
    const SftTask kind = sftTaskFromName(m_options.task);
    const Hyperparameters& hp = m_options.hp;
    const ModelConfig config = ModelConfig::load(m_options.modelDir);
    if (!config.isDecoder())
        throw Error(QStringLiteral("%1 holds an encoder (%2); chat and summarization fine-tuning "
                                   "need a decoder such as GPT-2 or Llama.")
                        .arg(m_options.modelDir, config.modelType));
    const std::shared_ptr<Tokenizer> tokenizer =
        m_options.tokenizer ? m_options.tokenizer
                            : std::shared_ptr<Tokenizer>(loadTokenizer(m_options.modelDir));
    const ChatFormat format = chatFormatForModel(m_options.modelDir, ChatStyle::Plain);
    const int maxLength = int(std::min<int64_t>(hp.maxLength, config.maxPositions / 8 * 8));

    std::vector<SftExample> train, val;
    int dropped = 0;
    for (const SftRecord& r : readSftJsonl(m_options.dataFile, kind)) {
        SftExample e = encodeSft(*tokenizer, r.messages, format, maxLength);
        e.split = r.split;
        e.line = r.line;
        for (int64_t id : e.ids)
            if (id < 0 || id >= config.vocabSize)
                throw Error(QStringLiteral("Line %1 of %2 encodes to token id %3, which the model "
                                           "(vocabulary %4) does not have; use the tokenizer that "
                                           "belongs to the model.")
                                .arg(r.line)
                                .arg(m_options.dataFile)
                                .arg(id)
                                .arg(config.vocabSize));
        // A reply cut off entirely by max_length teaches nothing (the first token has no target).
        if (std::count(e.target.begin() + 1, e.target.end(), uint8_t(1)) == 0) {
            ++dropped;
            continue;
        }
        // Test rows stay unseen: neither trained on nor used to pick the best checkpoint.
        if (r.split == QLatin1String("train"))
            train.push_back(std::move(e));
        else if (r.split == QLatin1String("val"))
            val.push_back(std::move(e));
    }
    if (dropped > 0 && m_options.callbacks.onLog)
        m_options.callbacks.onLog(QStringLiteral("%1 records were left out: their answer starts "
                                                 "after max_length (%2 tokens).")
                                      .arg(dropped)
                                      .arg(maxLength));
    if (train.empty() && dropped > 0)
        throw Error(QStringLiteral("Every training record of %1 was left out: each answer starts after "
                                   "max_length (%2 tokens), so there is nothing to learn. Raise "
                                   "max_length (the model allows %3) or shorten the prompts.")
                        .arg(m_options.dataFile)
                        .arg(maxLength)
                        .arg(config.maxPositions));
    TrainingContext context;
    context.trainRows = qint64(train.size());
    context.hiddenSize = int(config.hiddenSize);
    context.numLayers = int(config.numLayers);
    hp.validate(context);

    at::manual_seed(uint64_t(hp.seed));
    const std::shared_ptr<DecoderModel> model = loadDecoderForMethod(m_options.modelDir, hp);
    const int64_t padId = tokenizer->batchPadId();

    LoopTask task;
    task.method = QStringLiteral("sft-") + sftTaskName(kind);
    task.task = sftTaskName(kind);
    task.modelDir = m_options.modelDir;
    task.dataFile = m_options.dataFile;
    task.hp = hp;
    task.model = model.get();
    for (const SftExample& e : train)
        task.lengths.push_back(e.ids.size());
    task.trainLoss = [&](const std::vector<int>& indices, int64_t& tokens) {
        const SftBatch b = makeSftBatch(train, indices, padId);
        tokens = b.mask.sum().item<int64_t>();
        return maskedNll(model->forward(b.ids, b.mask), b.ids, b.target); // [B, T, V] -> []
    };
    if (!val.empty())
        task.evaluate = [&]() {
            double nll = 0;
            int64_t count = 0;
            for (size_t start = 0; start < val.size(); start += size_t(hp.batchSize)) {
                std::vector<int> idx;
                for (size_t i = start; i < std::min(val.size(), start + size_t(hp.batchSize)); ++i)
                    idx.push_back(int(i));
                const SftBatch b = makeSftBatch(val, idx, padId);
                int64_t n = 0;
                nll +=
                    maskedNll(model->forward(b.ids, b.mask), b.ids, b.target, &n).item<double>() *
                    double(n);
                count += n;
            }
            const double loss = nll / double(std::max<int64_t>(1, count));
            return Metrics{{QStringLiteral("loss"), loss},
                           {QStringLiteral("perplexity"), std::exp(loss)}};
        };
    task.selectMetric = QStringLiteral("loss");
    task.higherIsBetter = false;
    return runAlignLoop(m_project, task, m_options.callbacks, resumeRunId);
}

} // namespace fts
