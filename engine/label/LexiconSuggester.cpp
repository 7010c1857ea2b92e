// Word lists written for this project (common English opinion words, not taken from a published
// lexicon). Rules: a negator flips the next three words; an intensifier scales the next word; after
// "but" the clause counts more, as the writer's conclusion usually follows it.
#include "label/LexiconSuggester.h"

#include <QHash>
#include <QRegularExpression>
#include <QSet>

#include <cmath>

namespace fts {
namespace {

const QHash<QString, double>& lexicon()
{
    static const QHash<QString, double> words = [] {
        QHash<QString, double> w;
        for (const char* p : {"good", "great", "excellent", "amazing", "awesome", "love", "loved", "loves", "lovely",
                              "perfect", "perfectly", "fantastic", "wonderful", "best", "nice", "happy", "pleased",
                              "delighted", "recommend", "recommended", "friendly", "helpful", "fast", "quick",
                              "easy", "comfortable", "clean", "beautiful", "delicious", "fresh", "brilliant",
                              "superb", "solid", "reliable", "smooth", "enjoyed", "enjoy", "fun", "worth",
                              "impressive", "impressed", "glad", "satisfied", "outstanding", "cozy", "tasty",
                              "quiet", "thanks", "thank", "polite", "works", "well", "better", "favourite",
                              "favorite", "gem", "wow", "stunning", "charming", "generous", "spotless", "attentive",
                              "intuitive", "responsive", "affordable", "bargain", "flawless", "sturdy", "gorgeous"})
            w.insert(QString::fromLatin1(p), 1.0);
        for (const char* n : {"bad", "terrible", "awful", "horrible", "worst", "hate", "hated", "poor", "broken",
                              "broke", "disappointed", "disappointing", "disappointment", "rude", "slow", "dirty",
                              "noisy", "cold", "late", "expensive", "overpriced", "useless", "waste", "wasted",
                              "refund", "crash", "crashes", "crashed", "bug", "buggy", "fail", "failed", "fails",
                              "problem", "problems", "issue", "issues", "annoying", "boring", "complaint",
                              "never", "cancelled", "canceled", "lost", "missing", "wrong", "leaks", "leaking",
                              "stale", "bland", "cheap", "flimsy", "unhelpful", "unfriendly", "mess", "nightmare",
                              "avoid", "worse", "sadly", "unfortunately", "faulty", "defective", "stopped",
                              "ignored", "delayed", "delay", "damaged", "overcooked", "greasy", "cramped", "filthy"})
            w.insert(QString::fromLatin1(n), -1.0);
        return w;
    }();
    return words;
}

const QSet<QString>& negators()
{
    static const QSet<QString> n = {"not", "no", "never", "nothing", "hardly", "without", "isn't", "wasn't", "don't",
                                    "doesn't", "didn't", "won't", "can't", "couldn't", "aren't", "weren't", "nor"};
    return n;
}

const QSet<QString>& intensifiers()
{
    static const QSet<QString> i = {"very", "really", "so", "extremely", "super", "totally", "absolutely", "incredibly", "truly"};
    return i;
}

int findLabel(const QStringList& labels, std::initializer_list<const char*> names)
{
    for (int i = 0; i < labels.size(); ++i)
        for (const char* n : names)
            if (labels[i].trimmed().compare(QLatin1String(n), Qt::CaseInsensitive) == 0)
                return i;
    return -1;
}

} // namespace

LexiconSuggester::LexiconSuggester(const QStringList& labels) : m_labels(int(labels.size()))
{
    m_negative = findLabel(labels, {"negative", "neg", "bad", "no"});
    m_positive = findLabel(labels, {"positive", "pos", "good", "yes"});
    m_neutral = findLabel(labels, {"neutral", "neu", "mixed"});
}

double LexiconSuggester::score(const QString& text)
{
    static const QRegularExpression tokenizer(QStringLiteral("[\\p{L}']+"));
    QStringList tokens;
    for (auto it = tokenizer.globalMatch(text.toLower()); it.hasNext();)
        tokens << it.next().captured(0);
    double total = 0, weight = 1.0, boost = 1.0;
    int negateFor = 0;
    for (const QString& t : std::as_const(tokens)) {
        if (t == QLatin1String("but") || t == QLatin1String("however") || t == QLatin1String("although")) {
            total *= 0.5; // what came before the contrast matters less than what follows
            weight = 1.5;
            continue;
        }
        if (negators().contains(t) || t.endsWith(QLatin1String("n't"))) {
            negateFor = 3;
            continue;
        }
        if (intensifiers().contains(t)) {
            boost = 1.5;
            continue;
        }
        const double polarity = lexicon().value(t, 0.0);
        if (polarity != 0) {
            // "never" is itself negative only when it does not negate an opinion word after it.
            total += (negateFor > 0 ? -0.8 : 1.0) * polarity * boost * weight;
            negateFor = 0;
        } else if (negateFor > 0) {
            --negateFor;
        }
        boost = 1.0;
    }
    if (text.contains(QLatin1Char('!')) && total != 0)
        total *= 1.2;
    return total;
}

Suggestion LexiconSuggester::suggest(const QString& text) const
{
    Suggestion s;
    if (!isApplicable())
        return s;
    const double x = score(text);
    // Softmax over (negative, neutral, positive) evidence; neutral wins when there is little evidence.
    const double neg = std::exp(std::max(-x, 0.0) * 1.5), pos = std::exp(std::max(x, 0.0) * 1.5);
    const double neu = m_neutral >= 0 ? std::exp(1.0 - std::min(std::abs(x), 1.0)) : 0.0;
    const double sum = neg + pos + neu;
    s.probabilities.assign(m_labels, 0.0);
    s.probabilities[m_negative] = neg / sum;
    s.probabilities[m_positive] = pos / sum;
    if (m_neutral >= 0)
        s.probabilities[m_neutral] = neu / sum;
    for (int i = 0; i < m_labels; ++i)
        if (s.labelIndex < 0 || s.probabilities[i] > s.probabilities[s.labelIndex])
            s.labelIndex = i;
    s.confidence = s.probabilities[s.labelIndex];
    return s;
}

} // namespace fts
