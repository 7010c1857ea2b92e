// Cross-validated confident learning over a task's labeled rows (see LabelIssues.h).
#include "label/LabelIssues.h"

#include "Error.h"
#include "label/LogisticRegression.h"
#include "label/TextFeatures.h"
#include "project/Project.h"
#include "train/TrainData.h"

#include <ATen/ATen.h>

#include <QDir>
#include <QFileInfo>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <set>

namespace fts {

ConfidentLearning confidentLearning(const std::vector<std::vector<double>>& probabilities,
                                    const std::vector<int>& given, int classes)
{
    ConfidentLearning out;
    const size_t n = given.size(), k = size_t(classes);
    const auto p = [&](size_t row, int c) { return probabilities[row][size_t(c)]; };
    std::vector<double> sum(k, 0.0);
    std::vector<qint64> count(k, 0);
    for (size_t i = 0; i < n; ++i) {
        sum[size_t(given[i])] += p(i, given[i]);
        ++count[size_t(given[i])];
    }
    out.thresholds.resize(k);
    for (size_t c = 0; c < k; ++c) // a class nobody was given cannot be confidently "true"
        out.thresholds[c] = count[c] ? sum[c] / double(count[c]) : 2.0;
    out.joint.assign(k, std::vector<qint64>(k, 0));
    out.likely.assign(n, -1);
    for (size_t i = 0; i < n; ++i) {
        int best = -1;
        for (int c = 0; c < classes; ++c)
            if (p(i, c) >= out.thresholds[size_t(c)] && (best < 0 || p(i, c) > p(i, best)))
                best = c;
        out.likely[i] = best;
        if (best >= 0)
            ++out.joint[size_t(given[i])][size_t(best)];
    }
    // Prune by noise rate: the joint, calibrated so each row sums to that class's given count,
    // says how many rows given i are really j; flag that many, those with the largest
    // p(j) - p(i). Rows below a threshold thus still count, which a plain off-diagonal test misses.
    std::vector<bool> flagged(n, false);
    for (int gi = 0; gi < classes; ++gi) {
        const auto& row = out.joint[size_t(gi)];
        const qint64 confident = std::accumulate(row.begin(), row.end(), qint64(0));
        if (confident == 0)
            continue;
        std::vector<size_t> members;
        for (size_t i = 0; i < n; ++i)
            if (given[i] == gi)
                members.push_back(i);
        for (int j = 0; j < classes; ++j) {
            if (j == gi)
                continue;
            const auto prune = size_t(std::llround(double(row[size_t(j)]) / double(confident) *
                                                   double(members.size())));
            std::vector<size_t> byMargin = members;
            std::stable_sort(byMargin.begin(), byMargin.end(), [&](size_t a, size_t b) {
                return p(a, j) - p(a, gi) > p(b, j) - p(b, gi);
            });
            for (size_t m = 0; m < std::min(prune, byMargin.size()); ++m) {
                const size_t i = byMargin[m];
                if (flagged[i])
                    continue;
                flagged[i] = true;
            }
        }
    }
    for (size_t i = 0; i < n; ++i) {
        // A row the model itself predicts as its given label is not an issue.
        const auto& pi = probabilities[i];
        const int predicted = int(std::max_element(pi.begin(), pi.end()) - pi.begin());
        if (flagged[i] && predicted != given[i]) {
            out.flagged.push_back(int(i));
            out.likely[i] = predicted; // what the user is shown as the likely label
        }
    }
    std::stable_sort(out.flagged.begin(), out.flagged.end(),
                     [&](int a, int b) { return p(size_t(a), given[size_t(a)]) < p(size_t(b), given[size_t(b)]); });
    return out;
}

std::vector<int> stratifiedFolds(const std::vector<int>& labels, int folds, quint64 seed)
{
    std::vector<int> order(labels.size());
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 rng(seed);
    std::shuffle(order.begin(), order.end(), rng);
    // Sorting the shuffled rows by class and dealing them round-robin spreads each class evenly.
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return labels[size_t(a)] < labels[size_t(b)]; });
    std::vector<int> fold(labels.size());
    for (size_t k = 0; k < order.size(); ++k)
        fold[size_t(order[k])] = int(k % size_t(folds));
    return fold;
}

namespace {

at::Tensor featuresFor(Project& project, const QStringList& texts, const LabelIssueOptions& o,
                       JobContext* ctx, QString* used)
{
    const QString modelDir = project.metaValue(QStringLiteral("model_dir"));
    const bool wantModel = o.features == QLatin1String("model") ||
                           (o.features == QLatin1String("auto") && !modelDir.isEmpty() &&
                            QFileInfo(modelDir).isDir());
    if (o.features == QLatin1String("model") && modelDir.isEmpty())
        throw Error(QStringLiteral("The project has no model yet: choose one on the Model page, or "
                                   "find label issues with word features."));
    if (wantModel) {
        try {
            *used = modelDir;
            return modelFeatures(modelDir, texts, o.maxLength, 32, ctx);
        } catch (const Error& e) {
            if (o.features == QLatin1String("model"))
                throw;
            if (ctx)
                ctx->log(QStringLiteral("The model could not be used (%1); using word features.")
                             .arg(e.message()));
        }
    } else if (o.features != QLatin1String("auto") && o.features != QLatin1String("words")) {
        throw Error(QStringLiteral("Unknown features '%1': use words, model or auto.").arg(o.features));
    }
    *used = QStringLiteral("words");
    return wordFeatures(texts);
}

} // namespace

LabelIssueReport findLabelIssues(Project& project, const QString& task,
                                 const LabelIssueOptions& o, JobContext* ctx)
{
    if (o.folds < 2 || o.folds > 20)
        throw Error(QStringLiteral("Folds must be 2 to 20 (5 is usual); got %1.").arg(o.folds));
    // Every labeled active row, whatever its split (or none): a wrong label hurts everywhere.
    const LabeledRows labeled = loadLabeledRows(project, task, /*includeUnsplit=*/true);
    const QString& taskName = labeled.task;
    const QStringList& labels = labeled.labels;
    const std::vector<LabeledRow>& rows = labeled.rows;
    std::vector<int> given;
    QStringList texts;
    for (const LabeledRow& r : rows) {
        given.push_back(r.label);
        texts << r.text;
    }
    const int classes = int(labels.size());
    const auto distinct = std::set<int>(given.begin(), given.end()).size();
    if (rows.size() < 10 || distinct < 2)
        throw Error(QStringLiteral("Finding label issues needs at least 10 labeled rows in two or "
                                   "more classes; %1 has %2 rows in %3 classes. Label more first.")
                        .arg(taskName)
                        .arg(rows.size())
                        .arg(distinct));
    LabelIssueReport report;
    report.task = taskName;
    report.labels = labels;
    report.rows = int(rows.size());
    report.folds = std::min<int>(o.folds, int(rows.size()) / 2);
    const at::Tensor x = featuresFor(project, texts, o, ctx, &report.features);
    const bool words = report.features == QLatin1String("words");
    LogisticRegressionOptions fit;
    fit.standardize = !words; // 0/1 word features are on one scale already
    fit.l2 = words ? 1e-3 : 1e-2;
    const std::vector<int> fold = stratifiedFolds(given, report.folds, o.seed);
    const at::Tensor y = at::tensor(std::vector<int64_t>(given.begin(), given.end()));
    std::vector<std::vector<double>> probabilities(rows.size());
    for (int f = 0; f < report.folds; ++f) {
        if (ctx) {
            ctx->checkCancelled();
            ctx->progress(f, report.folds, QStringLiteral("Cross-validating, fold %1").arg(f + 1));
        }
        std::vector<int64_t> train, held;
        for (size_t i = 0; i < rows.size(); ++i)
            (fold[i] == f ? held : train).push_back(int64_t(i));
        const at::Tensor trainIdx = at::tensor(train), heldIdx = at::tensor(held);
        const LogisticRegression model = LogisticRegression::fit(
            x.index_select(0, trainIdx), y.index_select(0, trainIdx), classes, fit);
        const at::Tensor p = model.probabilities(x.index_select(0, heldIdx)).to(at::kDouble);
        for (size_t k = 0; k < held.size(); ++k) {
            const at::Tensor row = p[int64_t(k)].contiguous();
            probabilities[size_t(held[k])].assign(row.data_ptr<double>(),
                                                  row.data_ptr<double>() + classes);
        }
    }
    qint64 correct = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
        const auto& p = probabilities[i];
        correct += std::max_element(p.begin(), p.end()) - p.begin() == given[i];
    }
    report.outOfFoldAccuracy = double(correct) / double(rows.size());
    report.learning = confidentLearning(probabilities, given, classes);
    if (report.outOfFoldAccuracy < 0.8)
        report.caution = QStringLiteral(
            "The cross-validated classifier agrees with only %1% of the labels, so many flagged rows "
            "are simply hard to classify, not mislabeled. %2")
                             .arg(report.outOfFoldAccuracy * 100.0, 0, 'f', 0)
                             .arg(words ? QStringLiteral("Choose a pre-trained model on the Model "
                                                         "page and search again for better flags.")
                                        : QStringLiteral("Review the most suspicious rows first."));
    for (int i : report.learning.flagged) {
        const LabeledRow& r = rows[size_t(i)];
        const int likely = report.learning.likely[size_t(i)];
        report.issues.append({r.rowId, r.text, r.split, labels[r.label], labels[likely],
                              probabilities[size_t(i)][size_t(r.label)],
                              probabilities[size_t(i)][size_t(likely)]});
    }
    if (ctx)
        ctx->progress(report.folds, report.folds, QStringLiteral("Done"));
    return report;
}

LabelIssueJob::LabelIssueJob(QString projectPath, QString task, LabelIssueOptions options)
    : m_projectPath(std::move(projectPath)), m_task(std::move(task)), m_options(std::move(options))
{
}

QString LabelIssueJob::title() const
{
    return QStringLiteral("Finding label issues");
}

void LabelIssueJob::run(JobContext& ctx)
{
    auto project = Project::open(m_projectPath, Project::Access::ReadOnly);
    m_result = findLabelIssues(*project, m_task, m_options, &ctx);
}

QString LabelIssueJob::summary() const
{
    return QStringLiteral("%1 of %2 labeled rows look mislabeled (out-of-fold accuracy %3%, %4). %5")
        .arg(m_result.issues.size())
        .arg(m_result.rows)
        .arg(m_result.outOfFoldAccuracy * 100.0, 0, 'f', 1)
        .arg(m_result.features == QLatin1String("words") ? QStringLiteral("word features")
                                                         : QStringLiteral("model features"))
        .arg(m_result.caution)
        .trimmed();
}

} // namespace fts
