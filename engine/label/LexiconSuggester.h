// Label suggestions before any model is trained: a sentiment lexicon with negation and intensifiers.
// A cold start for sentiment labeling (issue: the model helps), replaced by a trained model later.
#pragma once

#include <QString>
#include <QStringList>

#include <vector>

namespace fts {

struct Suggestion
{
    int labelIndex = -1;              // into the label list given; -1 when no suggestion is possible
    double confidence = 0;
    std::vector<double> probabilities; // one per label, for uncertainty ordering
};

class LexiconSuggester
{
public:
    // Works when the labels include negative/positive (and optionally neutral), in any order and
    // case; isApplicable() is false otherwise (topics, say).
    explicit LexiconSuggester(const QStringList& labels);
    bool isApplicable() const { return m_negative >= 0 && m_positive >= 0; }
    // Polarity score of the text: > 0 positive, < 0 negative, near 0 neutral.
    static double score(const QString& text);
    Suggestion suggest(const QString& text) const;

private:
    int m_negative = -1;
    int m_neutral = -1;
    int m_positive = -1;
    int m_labels = 0;
};

} // namespace fts
