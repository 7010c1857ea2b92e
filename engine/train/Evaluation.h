// Evaluating a predictor on a split of the project: per-row predictions plus the metric report.
#pragma once

#include "train/Metrics.h"

#include <functional>

namespace fts {

class Project;

struct RowPrediction
{
    qint64 rowId = 0;
    QString text;
    int truth = -1;
    int predicted = -1;
    std::vector<double> probabilities;
};

struct Evaluation
{
    QString task;
    QString split;
    QString predictor; // e.g. "lexicon baseline", or a run's name
    QList<RowPrediction> rows;
    ClassificationReport report;
};

// Probabilities over `labels` for a text.
using Predictor = std::function<std::vector<double>(const QString& text)>;

// Predicts every active row of `split` that has a gold label in `task` and computes the report.
// Throws fts::Error for an empty split or a gold label outside `labels` (naming it).
Evaluation evaluateOnSplit(Project& project, const QString& task, const QString& split, const QStringList& labels,
                           const QString& predictorName, const Predictor& predict);

// The word-lexicon baseline (label/LexiconSuggester) as a predictor; throws fts::Error when the
// labels are not a sentiment set.
Predictor lexiconPredictor(const QStringList& labels);

} // namespace fts
