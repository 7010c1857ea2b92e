// Sentence features for the label tools: binary word features (no model needed) or the mean of a
// frozen model's last hidden states (what the project's model already knows about the text).
#pragma once

#include <ATen/core/Tensor.h>

#include <QString>
#include <QStringList>

namespace fts {

class JobContext;

// [N, V] 0/1: the `maxWords` most frequent words of `texts` seen in at least `minCount` of them.
// Throws fts::Error when no word qualifies.
at::Tensor wordFeatures(const QStringList& texts, int maxWords = 2048, int minCount = 2);

// [N, H]: mean-pooled last hidden states of the model folder's encoder (any supported family),
// inputs cut to `maxLength` tokens. Reports progress to `ctx` and stops there when cancelled.
at::Tensor modelFeatures(const QString& modelDir, const QStringList& texts, int maxLength = 128,
                         int batchSize = 32, JobContext* ctx = nullptr);

} // namespace fts
