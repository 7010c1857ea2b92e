// Reading a task's labeled rows from the project and turning them into padded batches.
#include "train/TrainData.h"

#include "Error.h"
#include "label/LabelSchema.h"
#include "project/Project.h"
#include "train/TextTokenizer.h"

#include <ATen/ATen.h>

#include <QCryptographicHash>

#include <algorithm>
#include <random>

namespace fts {

QByteArray TaskData::snapshotHash() const
{
    QCryptographicHash h(QCryptographicHash::Sha256);
    for (auto it = splits.begin(); it != splits.end(); ++it)
        for (const Example& e : it.value()) {
            h.addData(it.key().toUtf8() + '\x1f' + QByteArray::number(e.rowId) + '\x1f');
            h.addData(e.text.toUtf8() + '\x1f' + labels.value(e.label).toUtf8() + '\x1e');
        }
    return h.result().toHex();
}

LabeledRows loadLabeledRows(Project& project, const QString& task, bool includeUnsplit)
{
    LabeledRows out;
    const QStringList tasks = project.tasks();
    if (tasks.isEmpty())
        throw Error(QStringLiteral("The project %1 has no labels yet: import or give labels before "
                                   "training.")
                        .arg(project.path()));
    out.task = task.isEmpty() ? tasks.first() : task;
    if (!tasks.contains(out.task))
        throw Error(QStringLiteral("The project has no task '%1'; its tasks are: %2.")
                        .arg(out.task, tasks.join(QStringLiteral(", "))));
    const LabelSchema schema = loadLabelSchema(project, out.task);
    if (schema.multiLabel)
        throw Error(QStringLiteral("Task '%1' is multi-label; this handles one label per text. "
                                   "Choose a single-label task.")
                        .arg(out.task));
    out.labels = schema.names();
    SqlQuery q(project.db(),
               QStringLiteral("SELECT r.id, r.text, COALESCE(r.split, ''), g.value FROM rows r"
                              " JOIN gold_labels g ON g.row_id = r.id AND g.task = ?"
                              " WHERE r.removed_by_step IS NULL%1 ORDER BY r.id")
                   .arg(includeUnsplit ? QString() : QStringLiteral(" AND r.split IS NOT NULL")));
    q.bind(out.task).exec("read the labeled rows");
    while (q.next()) {
        const QString label = q.value(3).toString();
        if (!out.labels.contains(label))
            out.labels << label;
        out.rows.push_back({q.value(0).toLongLong(), q.value(1).toString(), q.value(2).toString(),
                            int(out.labels.indexOf(label))});
    }
    return out;
}

TaskData loadTaskData(Project& project, const QString& task)
{
    LabeledRows labeled = loadLabeledRows(project, task, /*includeUnsplit=*/false);
    TaskData data;
    data.task = labeled.task;
    data.labels = std::move(labeled.labels);
    for (LabeledRow& r : labeled.rows) {
        Example e;
        e.rowId = r.rowId;
        e.text = std::move(r.text);
        e.label = r.label;
        data.splits[r.split].push_back(std::move(e));
    }
    if (data.splits.value(QStringLiteral("train")).empty())
        throw Error(
            QStringLiteral("Task '%1' has no labeled rows in the train split: assign splits "
                           "(ftstudio-cli split) and label some rows first.")
                .arg(data.task));
    if (data.labels.size() < 2)
        throw Error(QStringLiteral("Task '%1' has only one label (%2); a classifier needs at least "
                                   "two.")
                        .arg(data.task, data.labels.join(QString())));
    return data;
}

QStringList checkLabelCoverage(const TaskData& data)
{
    const auto rows = [](int n) {
        return n == 1 ? QStringLiteral("1 row") : QStringLiteral("%1 rows").arg(n);
    };
    QMap<QString, std::vector<int>> counts; // split -> rows per label
    for (auto it = data.splits.begin(); it != data.splits.end(); ++it) {
        std::vector<int>& c = counts[it.key()];
        c.assign(size_t(data.labels.size()), 0);
        for (const Example& e : it.value())
            ++c[size_t(e.label)];
    }
    const std::vector<int>& train = counts[QStringLiteral("train")];
    const auto present = std::count_if(train.begin(), train.end(), [](int n) { return n > 0; });
    if (present == 1) {
        const auto only = std::find_if(train.begin(), train.end(), [](int n) { return n > 0; });
        throw Error(QStringLiteral("Every row of the train split of task '%1' is labeled '%2' "
                                   "(%3), so a classifier trained on it could only learn to "
                                   "answer '%2' whatever the text. Label train rows with the "
                                   "other labels too, or re-split so the train split gets some.")
                        .arg(data.task, data.labels.at(int(only - train.begin())))
                        .arg(rows(*only)));
    }
    QStringList warnings;
    for (auto it = counts.begin(); it != counts.end(); ++it) {
        if (it.key() == QLatin1String("train"))
            continue;
        for (size_t l = 0; l < it.value().size(); ++l)
            if (it.value()[l] > 0 && train[l] == 0)
                warnings << QStringLiteral("Label '%1' has %2 in the %3 split but none in "
                                           "train: the model cannot learn it and will get them "
                                           "all wrong. Label train rows as '%1', or re-split.")
                                .arg(data.labels.at(int(l)))
                                .arg(rows(it.value()[l]), it.key());
    }
    return warnings;
}

void tokenize(TaskData& data, const TextTokenizer& tokenizer, int maxLength)
{
    for (auto& split : data.splits)
        for (Example& e : split)
            e.ids = tokenizer.encodeForClassifier(e.text, maxLength);
}

std::vector<std::vector<int>> epochBatches(const std::vector<Example>& examples, int batchSize,
                                           int seed, int epoch)
{
    constexpr int kChunkBatches = 32;
    std::mt19937_64 rng(uint64_t(seed) * 1000003ULL + uint64_t(epoch));
    std::vector<int> order(examples.size());
    for (size_t i = 0; i < order.size(); ++i)
        order[i] = int(i);
    std::shuffle(order.begin(), order.end(), rng);
    const size_t chunk = size_t(batchSize) * kChunkBatches;
    std::vector<std::vector<int>> batches;
    for (size_t start = 0; start < order.size(); start += chunk) {
        const auto begin = order.begin() + start;
        const auto end = order.begin() + std::min(order.size(), start + chunk);
        std::stable_sort(begin, end, [&](int a, int b) {
            return examples[a].ids.size() < examples[b].ids.size();
        });
        for (auto it = begin; it < end; it += std::min<ptrdiff_t>(batchSize, end - it))
            batches.emplace_back(it, std::min(it + batchSize, end));
    }
    std::shuffle(batches.begin(), batches.end(), rng);
    return batches;
}

QJsonArray batchesToJson(const std::vector<std::vector<int>>& batches)
{
    QJsonArray out;
    for (const auto& b : batches) {
        QJsonArray a;
        for (int i : b)
            a.append(i);
        out.append(a);
    }
    return out;
}

std::vector<std::vector<int>> batchesFromJson(const QJsonArray& json)
{
    std::vector<std::vector<int>> out;
    for (const QJsonValue& b : json) {
        std::vector<int> v;
        for (const QJsonValue& i : b.toArray())
            v.push_back(i.toInt());
        out.push_back(std::move(v));
    }
    return out;
}

Batch makeBatch(const std::vector<Example>& examples, const std::vector<int>& indices,
                int64_t padId)
{
    size_t longest = 1;
    for (int i : indices)
        longest = std::max(longest, examples[i].ids.size());
    const int64_t t = int64_t((longest + 7) / 8 * 8);
    const int64_t b = int64_t(indices.size());
    Batch batch;
    batch.ids = at::full({b, t}, padId, at::kLong);
    batch.mask = at::zeros({b, t}, at::kLong);
    batch.labels = at::empty({b}, at::kLong);
    auto ids = batch.ids.accessor<int64_t, 2>();
    auto mask = batch.mask.accessor<int64_t, 2>();
    auto labels = batch.labels.accessor<int64_t, 1>();
    for (int64_t r = 0; r < b; ++r) {
        const Example& e = examples[indices[r]];
        for (size_t c = 0; c < e.ids.size(); ++c) {
            ids[r][c] = e.ids[c];
            mask[r][c] = 1;
        }
        labels[r] = e.label;
        batch.tokens += int64_t(e.ids.size());
    }
    return batch;
}

} // namespace fts
