// Word and model features (see TextFeatures.h).
#include "label/TextFeatures.h"

#include "Error.h"
#include "jobs/Job.h"
#include "train/TrainData.h"
#include "train/TextTokenizer.h"
#include "train/Trainer.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <QHash>
#include <QSet>

#include <algorithm>

namespace fts {

at::Tensor wordFeatures(const QStringList& texts, int maxWords, int minCount)
{
    QHash<QString, int> documentCount;
    QList<QStringList> words;
    words.reserve(texts.size());
    for (const QString& text : texts) {
        QStringList unique = WordVocabulary::split(text);
        unique.removeDuplicates();
        for (const QString& w : std::as_const(unique))
            ++documentCount[w];
        words << unique;
    }
    QList<QPair<int, QString>> ranked;
    for (auto it = documentCount.cbegin(); it != documentCount.cend(); ++it)
        if (it.value() >= minCount)
            ranked.append({-it.value(), it.key()}); // most frequent first, then alphabetical
    std::sort(ranked.begin(), ranked.end());
    if (ranked.isEmpty())
        throw Error(QStringLiteral("No word occurs in %1 or more of the %2 texts, so there is "
                                   "nothing to compare them by; label more rows first.")
                        .arg(minCount)
                        .arg(texts.size()));
    ranked = ranked.mid(0, maxWords);
    QHash<QString, int64_t> column;
    for (const auto& [count, w] : std::as_const(ranked))
        column.insert(w, column.size());
    at::Tensor x = at::zeros({int64_t(texts.size()), int64_t(column.size())});
    auto a = x.accessor<float, 2>();
    for (qsizetype i = 0; i < words.size(); ++i)
        for (const QString& w : std::as_const(words[i]))
            if (const auto it = column.constFind(w); it != column.cend())
                a[i][*it] = 1.0f;
    return x;
}

at::Tensor modelFeatures(const QString& modelDir, const QStringList& texts, int maxLength,
                         int batchSize, JobContext* ctx)
{
    const std::unique_ptr<TextTokenizer> tokenizer = loadModelTokenizer(modelDir);
    Hyperparameters hp;
    hp.method = QStringLiteral("frozen");
    // The labels only shape the unused head; the backbone is what matters here.
    SequenceClassifier model = buildClassifier(modelDir, {QStringLiteral("a"), QStringLiteral("b")}, hp);
    model->eval();
    std::vector<Example> examples(size_t(texts.size()));
    for (qsizetype i = 0; i < texts.size(); ++i)
        examples[size_t(i)].ids = tokenizer->encodeForClassifier(texts[i], maxLength);
    torch::NoGradGuard noGrad;
    std::vector<at::Tensor> parts;
    for (size_t start = 0; start < examples.size(); start += size_t(batchSize)) {
        if (ctx)
            ctx->checkCancelled();
        std::vector<int> idx;
        for (size_t i = start; i < std::min(examples.size(), start + size_t(batchSize)); ++i)
            idx.push_back(int(i));
        const Batch b = makeBatch(examples, idx, tokenizer->padId());
        const at::Tensor hidden = model->encoder()->forward(b.ids, b.mask); // [B, T, H]
        parts.push_back(poolFeatures(hidden, b.mask, Pooling::Mean));      // [B, H]
        if (ctx)
            ctx->progress(qint64(start + idx.size()), qint64(examples.size()),
                          QStringLiteral("Reading the texts with the model"));
    }
    return at::cat(parts, 0);
}

} // namespace fts
