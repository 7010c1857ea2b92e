// Lexicon suggestions: negation, intensifiers, contrast, and accuracy on the sample data's test
// split well above chance (measured and printed; the bar is only "clearly better than guessing").
#include "Suite.h"
#include "label/ActiveLearning.h"
#include "label/LexiconSuggester.h"

#include <QFile>
#include <QtTest>

using namespace fts;

class TestSuggestions : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void rules();
    void labelSetsItAppliesTo();
    void accuracyOnSampleTestSplit();
};

void TestSuggestions::rules()
{
    QVERIFY(LexiconSuggester::score("The food was great") > 0);
    QVERIFY(LexiconSuggester::score("The food was not great") < 0);
    QVERIFY(LexiconSuggester::score("Not bad at all") > 0);
    QVERIFY(LexiconSuggester::score("very good") > LexiconSuggester::score("good"));
    QVERIFY(LexiconSuggester::score("The room was nice but the staff were rude and the bed was dirty") < 0);
    QCOMPARE(LexiconSuggester::score("The parcel arrived on Tuesday"), 0.0);
    const LexiconSuggester s({"negative", "neutral", "positive"});
    QCOMPARE(s.suggest("The parcel arrived on Tuesday").labelIndex, 1);
    QCOMPARE(s.suggest("Terrible, slow and rude").labelIndex, 0);
    const Suggestion p = s.suggest("Lovely staff, great breakfast!");
    QCOMPARE(p.labelIndex, 2);
    QVERIFY(p.confidence > 0.6);
    QVERIFY(qAbs(p.probabilities[0] + p.probabilities[1] + p.probabilities[2] - 1.0) < 1e-12);
}

void TestSuggestions::labelSetsItAppliesTo()
{
    QVERIFY(LexiconSuggester({"Positive", "Negative"}).isApplicable());
    QVERIFY(!LexiconSuggester({"billing", "delivery"}).isApplicable());
    QCOMPARE(LexiconSuggester({"billing"}).suggest("great").labelIndex, -1);
}

void TestSuggestions::accuracyOnSampleTestSplit()
{
    QFile f(FTS_SOURCE_DIR "/datasets/sentiment/sentiment.csv");
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QStringList labels = {"negative", "neutral", "positive"};
    const LexiconSuggester s(labels);
    int total = 0, correct = 0;
    QList<std::vector<double>> probs;
    QList<bool> right;
    for (const QByteArray& raw : f.readAll().split('\n').mid(1)) {
        const QByteArray line = raw.trimmed();
        if (!line.endsWith(",test"))
            continue;
        const QList<QByteArray> tail = line.split(',');
        const QString label = QString::fromUtf8(tail[tail.size() - 2]);
        const QString text = QString::fromUtf8(line.left(line.size() - label.size() - 6)).remove('"');
        const Suggestion g = s.suggest(text);
        ++total;
        correct += labels[g.labelIndex] == label;
        probs << g.probabilities;
        right << (labels[g.labelIndex] == label);
    }
    QCOMPARE(total, 132);
    const double accuracy = double(correct) / total;
    // Uncertainty ordering puts the suggester's mistakes first: errors in the most uncertain half.
    const QList<int> order = orderByUncertainty(probs, UncertaintyMeasure::Margin);
    int errorsFirstHalf = 0, errors = 0;
    for (int i = 0; i < order.size(); ++i)
        if (!right[order[i]]) {
            ++errors;
            errorsFirstHalf += i < order.size() / 2;
        }
    qInfo("lexicon suggestions on the sample test split: accuracy %.3f (chance 0.333); %d of %d errors in the "
          "most uncertain half", accuracy, errorsFirstHalf, errors);
    QVERIFY2(accuracy > 0.5, qPrintable(QString::number(accuracy)));
    QVERIFY(errorsFirstHalf * 2 > errors);
}

FTS_TEST_SUITE(TestSuggestions)
#include "tst_suggestions.moc"
