// Evaluation metrics: classification (accuracy, per-class P/R/F1, macro/weighted F1, confusion
// matrix, ROC-AUC, calibration) and generation (ROUGE-1/2/L, exact match, perplexity).
#pragma once

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <vector>

namespace fts {

struct ClassMetrics
{
    QString label;
    double precision = 0;
    double recall = 0;
    double f1 = 0;
    qint64 support = 0; // true instances
    qint64 predicted = 0;
};

struct CalibrationBin
{
    double lower = 0, upper = 0;
    qint64 count = 0;
    double confidence = 0; // mean predicted confidence in the bin
    double accuracy = 0;   // share correct in the bin
};

struct ClassificationReport
{
    QStringList labels;
    qint64 total = 0;
    double accuracy = 0;
    double macroF1 = 0;
    double weightedF1 = 0;
    double loss = -1;   // mean cross-entropy when probabilities were given
    double rocAuc = -1; // binary tasks with probabilities
    double ece = -1;    // expected calibration error with probabilities
    QList<ClassMetrics> perClass;
    QList<QList<qint64>> confusion; // [true][predicted]
    QList<CalibrationBin> calibration;
    // Items predicted -1 (a few-shot answer naming no label): wrong, counted in their true class's
    // support, in no confusion column, so such a row of the matrix sums to less than its support.
    qint64 unanswered = 0;
    QJsonObject toJson() const;
    // The report as toJson() wrote it (an evaluation kept with a run).
    static ClassificationReport fromJson(const QJsonObject& json);
};

// `truth` and `predicted` are label indices into `labels`; a predicted -1 means no answer (see
// ClassificationReport::unanswered). `probabilities` (optional) holds one
// distribution per item; it enables loss, ROC-AUC (two labels) and calibration. A class never
// predicted has precision 0 (scikit-learn's zero_division=0 convention). Throws fts::Error for an
// empty split or mismatched sizes.
ClassificationReport classificationReport(const QStringList& labels, const std::vector<int>& truth,
                                          const std::vector<int>& predicted,
                                          const std::vector<std::vector<double>>& probabilities = {},
                                          int calibrationBins = 10);

// Area under the ROC curve from scores of the positive class (ties count half).
double rocAuc(const std::vector<int>& truth, const std::vector<double>& positiveScores);

struct RougeScore
{
    double precision = 0, recall = 0, f1 = 0;
};

struct RougeReport
{
    RougeScore rouge1, rouge2, rougeL;
};

// ROUGE (Lin 2004) on lower-cased word tokens (letters and digits), F-measure with beta = 1.
RougeReport rouge(const QString& candidate, const QString& reference);
// Mean ROUGE over pairs.
RougeReport meanRouge(const QStringList& candidates, const QStringList& references);

// Case- and whitespace-insensitive exact match share.
double exactMatch(const QStringList& candidates, const QStringList& references);

double perplexity(double meanTokenLoss);

} // namespace fts
