// A project's labeled rows for one task, tokenized, and the seeded length-bucketed batch order.
#pragma once

#include <ATen/core/Tensor.h>

#include <QByteArray>
#include <QJsonArray>
#include <QMap>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <vector>

namespace fts {

class Project;
class TextTokenizer;

struct Example
{
    qint64 rowId = 0;
    QString text;
    int label = 0;
    std::vector<int64_t> ids; // with [CLS] ... [SEP]
};

struct TaskData
{
    QString task;
    QStringList labels; // the schema's order, then labels seen only in the data (first appearance)
    QMap<QString, std::vector<Example>> splits; // "train", "val", "test"
    // SHA-256 over every split's row ids, texts and labels, so a run records exactly what it saw.
    QByteArray snapshotHash() const;
};

struct LabeledRow
{
    qint64 rowId = 0;
    QString text;
    QString split; // "" when the row has none
    int label = 0; // index into LabeledRows::labels
};

struct LabeledRows
{
    QString task;
    QStringList labels; // the schema's order, then labels seen only in the data (first appearance)
    std::vector<LabeledRow> rows; // row id order
};

// Active rows (not removed by a curation step) with a gold label for `task` (empty: the first
// task); rows without a split only with `includeUnsplit`. Throws fts::Error when the project has
// no such task or the task is multi-label.
LabeledRows loadLabeledRows(Project& project, const QString& task, bool includeUnsplit);

// Active rows (not removed by a curation step) with a gold label for `task` (empty: the first
// task), by split, in row id order. Throws fts::Error when there is no task, the task is
// multi-label, or the training split is empty.
TaskData loadTaskData(Project& project, const QString& task);
void tokenize(TaskData& data, const TextTokenizer& tokenizer, int maxLength);

// Before a new run: throws fts::Error when every train row has the same label (the classifier
// could only learn to answer it). Returns a warning for each label that has rows in another split
// but none in train, since the model cannot learn it and will get all of them wrong.
QStringList checkLabelCoverage(const TaskData& data);

// One epoch's batches as example indices: shuffled with (seed, epoch), then sorted by length inside
// chunks of 32 batches so each batch pads little, then the batch order shuffled again.
std::vector<std::vector<int>> epochBatches(const std::vector<Example>& examples, int batchSize,
                                           int seed, int epoch);
// An epoch's batch order as a checkpoint stores it, so a resumed run continues the same epoch.
QJsonArray batchesToJson(const std::vector<std::vector<int>>& batches);
std::vector<std::vector<int>> batchesFromJson(const QJsonArray& json);

struct Batch
{
    at::Tensor ids;     // [B, T] int64, T a multiple of 8 (bounded oneDNN shape cache)
    at::Tensor mask;    // [B, T] int64
    at::Tensor labels;  // [B] int64
    int64_t tokens = 0; // real (non-pad) tokens
};
Batch makeBatch(const std::vector<Example>& examples, const std::vector<int>& indices,
                int64_t padId);

} // namespace fts
