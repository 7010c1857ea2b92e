// Definitions follow the usual references: scikit-learn's classification_report conventions,
// Naeini et al. 2015 for ECE, Lin 2004 for ROUGE (LCS-based ROUGE-L at sentence level).
#include "train/Metrics.h"

#include "Error.h"

#include <QJsonArray>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

namespace fts {
namespace {

double safeDiv(double a, double b)
{
    return b > 0 ? a / b : 0.0;
}

double f1Of(double p, double r)
{
    return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

QStringList tokens(const QString& text)
{
    static const QRegularExpression nonWord(QStringLiteral("[^\\p{L}\\p{N}]+"));
    return text.toLower().split(nonWord, Qt::SkipEmptyParts);
}

RougeScore overlapScore(double overlap, double candidateCount, double referenceCount)
{
    RougeScore s;
    s.precision = safeDiv(overlap, candidateCount);
    s.recall = safeDiv(overlap, referenceCount);
    s.f1 = f1Of(s.precision, s.recall);
    return s;
}

RougeScore ngramScore(const QStringList& c, const QStringList& r, int n)
{
    auto grams = [n](const QStringList& t) {
        std::map<QString, int> out;
        for (qsizetype i = 0; i + n <= t.size(); ++i)
            ++out[t.mid(i, n).join(QLatin1Char(' '))];
        return out;
    };
    const auto cg = grams(c), rg = grams(r);
    double overlap = 0, cc = 0, rc = 0;
    for (const auto& [g, k] : cg) {
        cc += k;
        const auto it = rg.find(g);
        if (it != rg.end())
            overlap += std::min(k, it->second); // clipped counts
    }
    for (const auto& [g, k] : rg)
        rc += k;
    return overlapScore(overlap, cc, rc);
}

int lcsLength(const QStringList& a, const QStringList& b)
{
    std::vector<int> prev(b.size() + 1, 0), cur(b.size() + 1, 0);
    for (qsizetype i = 1; i <= a.size(); ++i) {
        for (qsizetype j = 1; j <= b.size(); ++j)
            cur[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1 : std::max(prev[j], cur[j - 1]);
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

} // namespace

QJsonObject ClassificationReport::toJson() const
{
    QJsonArray classes, matrix, bins;
    for (const ClassMetrics& c : perClass)
        classes.append(QJsonObject{{"label", c.label}, {"precision", c.precision}, {"recall", c.recall},
                                   {"f1", c.f1}, {"support", c.support}, {"predicted", c.predicted}});
    for (const auto& row : confusion) {
        QJsonArray r;
        for (qint64 v : row)
            r.append(v);
        matrix.append(r);
    }
    for (const CalibrationBin& b : calibration)
        bins.append(QJsonObject{{"lower", b.lower}, {"upper", b.upper}, {"count", b.count},
                                {"confidence", b.confidence}, {"accuracy", b.accuracy}});
    QJsonObject o{{"labels", QJsonArray::fromStringList(labels)}, {"total", total}, {"accuracy", accuracy},
                  {"macro_f1", macroF1}, {"weighted_f1", weightedF1}, {"per_class", classes},
                  {"confusion_matrix", matrix}};
    if (unanswered > 0)
        o.insert(QStringLiteral("unanswered"), unanswered);
    if (loss >= 0)
        o.insert(QStringLiteral("loss"), loss);
    if (rocAuc >= 0)
        o.insert(QStringLiteral("roc_auc"), rocAuc);
    if (ece >= 0) {
        o.insert(QStringLiteral("ece"), ece);
        o.insert(QStringLiteral("calibration"), bins);
    }
    return o;
}

ClassificationReport ClassificationReport::fromJson(const QJsonObject& json)
{
    ClassificationReport r;
    for (const QJsonValue& v : json.value(QLatin1String("labels")).toArray())
        r.labels << v.toString();
    r.total = json.value(QLatin1String("total")).toInteger();
    r.accuracy = json.value(QLatin1String("accuracy")).toDouble();
    r.macroF1 = json.value(QLatin1String("macro_f1")).toDouble();
    r.weightedF1 = json.value(QLatin1String("weighted_f1")).toDouble();
    r.loss = json.value(QLatin1String("loss")).toDouble(-1);
    r.rocAuc = json.value(QLatin1String("roc_auc")).toDouble(-1);
    r.ece = json.value(QLatin1String("ece")).toDouble(-1);
    r.unanswered = json.value(QLatin1String("unanswered")).toInteger();
    for (const QJsonValue& v : json.value(QLatin1String("per_class")).toArray()) {
        const QJsonObject c = v.toObject();
        r.perClass << ClassMetrics{c.value(QLatin1String("label")).toString(),
                                   c.value(QLatin1String("precision")).toDouble(),
                                   c.value(QLatin1String("recall")).toDouble(),
                                   c.value(QLatin1String("f1")).toDouble(),
                                   c.value(QLatin1String("support")).toInteger(),
                                   c.value(QLatin1String("predicted")).toInteger()};
    }
    for (const QJsonValue& row : json.value(QLatin1String("confusion_matrix")).toArray()) {
        QList<qint64> counts;
        for (const QJsonValue& v : row.toArray())
            counts << v.toInteger();
        r.confusion << counts;
    }
    for (const QJsonValue& v : json.value(QLatin1String("calibration")).toArray()) {
        const QJsonObject b = v.toObject();
        r.calibration << CalibrationBin{b.value(QLatin1String("lower")).toDouble(),
                                        b.value(QLatin1String("upper")).toDouble(),
                                        b.value(QLatin1String("count")).toInteger(),
                                        b.value(QLatin1String("confidence")).toDouble(),
                                        b.value(QLatin1String("accuracy")).toDouble()};
    }
    return r;
}

double rocAuc(const std::vector<int>& truth, const std::vector<double>& scores)
{
    // Mann-Whitney U: the probability that a random positive outranks a random negative.
    std::vector<size_t> order(scores.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
    double rankSumPos = 0;
    qint64 pos = 0, neg = 0;
    for (size_t i = 0; i < order.size();) {
        size_t j = i;
        while (j < order.size() && scores[order[j]] == scores[order[i]])
            ++j;
        const double avgRank = (double(i) + double(j - 1)) / 2.0 + 1.0; // ties share their mean rank
        for (size_t k = i; k < j; ++k)
            if (truth[order[k]] == 1)
                rankSumPos += avgRank;
        i = j;
    }
    for (int t : truth)
        (t == 1 ? pos : neg)++;
    if (pos == 0 || neg == 0)
        return -1; // undefined with one class
    return (rankSumPos - double(pos) * (pos + 1) / 2.0) / (double(pos) * neg);
}

ClassificationReport classificationReport(const QStringList& labels, const std::vector<int>& truth,
                                          const std::vector<int>& predicted,
                                          const std::vector<std::vector<double>>& probabilities, int calibrationBins)
{
    if (truth.empty())
        throw Error(QStringLiteral("There is nothing to evaluate: the chosen split has no labeled rows."));
    if (truth.size() != predicted.size() || (!probabilities.empty() && probabilities.size() != truth.size()))
        throw Error(QStringLiteral("Internal error: predictions and labels differ in number."));
    const int k = int(labels.size());
    ClassificationReport r;
    r.labels = labels;
    r.total = qint64(truth.size());
    r.confusion = QList<QList<qint64>>(k, QList<qint64>(k, 0));
    qint64 correct = 0;
    std::vector<qint64> support(size_t(k), 0);
    for (size_t i = 0; i < truth.size(); ++i) {
        if (truth[i] < 0 || truth[i] >= k || predicted[i] < -1 || predicted[i] >= k)
            throw Error(QStringLiteral("Internal error: a label index is outside the label set."));
        ++support[size_t(truth[i])];
        if (predicted[i] < 0) {
            ++r.unanswered;
            continue;
        }
        ++r.confusion[truth[i]][predicted[i]];
        correct += truth[i] == predicted[i];
    }
    r.accuracy = double(correct) / double(r.total);
    for (int c = 0; c < k; ++c) {
        ClassMetrics m;
        m.label = labels[c];
        m.support = support[size_t(c)];
        for (int j = 0; j < k; ++j)
            m.predicted += r.confusion[j][c];
        m.precision = safeDiv(double(r.confusion[c][c]), double(m.predicted));
        m.recall = safeDiv(double(r.confusion[c][c]), double(m.support));
        m.f1 = f1Of(m.precision, m.recall);
        r.macroF1 += m.f1 / k;
        r.weightedF1 += m.f1 * double(m.support) / double(r.total);
        r.perClass << m;
    }
    if (probabilities.empty())
        return r;

    double loss = 0;
    r.calibration.resize(calibrationBins);
    for (int b = 0; b < calibrationBins; ++b) {
        r.calibration[b].lower = double(b) / calibrationBins;
        r.calibration[b].upper = double(b + 1) / calibrationBins;
    }
    for (size_t i = 0; i < truth.size(); ++i) {
        const auto& p = probabilities[i];
        loss -= std::log(std::max(p[truth[i]], 1e-12));
        const auto top = std::max_element(p.begin(), p.end());
        const double conf = *top;
        const int bin = std::min(calibrationBins - 1, int(conf * calibrationBins));
        CalibrationBin& cb = r.calibration[bin];
        ++cb.count;
        cb.confidence += conf;
        cb.accuracy += int(top - p.begin()) == truth[i] ? 1.0 : 0.0;
    }
    r.loss = loss / double(r.total);
    r.ece = 0;
    for (CalibrationBin& cb : r.calibration)
        if (cb.count) {
            cb.confidence /= double(cb.count);
            cb.accuracy /= double(cb.count);
            r.ece += double(cb.count) / double(r.total) * std::abs(cb.accuracy - cb.confidence);
        }
    if (k == 2) {
        std::vector<double> scores;
        for (const auto& p : probabilities)
            scores.push_back(p[1]);
        r.rocAuc = fts::rocAuc(truth, scores);
    }
    return r;
}

RougeReport rouge(const QString& candidate, const QString& reference)
{
    const QStringList c = tokens(candidate), ref = tokens(reference);
    RougeReport r;
    r.rouge1 = ngramScore(c, ref, 1);
    r.rouge2 = ngramScore(c, ref, 2);
    r.rougeL = overlapScore(lcsLength(c, ref), c.size(), ref.size());
    return r;
}

RougeReport meanRouge(const QStringList& candidates, const QStringList& references)
{
    if (candidates.size() != references.size() || candidates.isEmpty())
        throw Error(QStringLiteral("ROUGE needs one reference per generated text, and at least one pair."));
    RougeReport m;
    auto add = [](RougeScore& a, const RougeScore& b, double w) {
        a.precision += b.precision * w;
        a.recall += b.recall * w;
        a.f1 += b.f1 * w;
    };
    const double w = 1.0 / double(candidates.size());
    for (qsizetype i = 0; i < candidates.size(); ++i) {
        const RougeReport r = rouge(candidates[i], references[i]);
        add(m.rouge1, r.rouge1, w);
        add(m.rouge2, r.rouge2, w);
        add(m.rougeL, r.rougeL, w);
    }
    return m;
}

double exactMatch(const QStringList& candidates, const QStringList& references)
{
    if (candidates.size() != references.size() || candidates.isEmpty())
        throw Error(QStringLiteral("Exact match needs one reference per answer, and at least one pair."));
    int same = 0;
    for (qsizetype i = 0; i < candidates.size(); ++i)
        same += candidates[i].simplified().compare(references[i].simplified(), Qt::CaseInsensitive) == 0;
    return double(same) / double(candidates.size());
}

double perplexity(double meanTokenLoss)
{
    return std::exp(meanTokenLoss);
}

} // namespace fts
