// Metrics against hand-computed values, including the edge cases (a class never predicted, a single
// class, an empty split, tied scores).
#include "Suite.h"
#include "Error.h"
#include "train/Metrics.h"

#include <QtTest>

#include <cmath>

using namespace fts;

class TestMetrics : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void threeClassReport();
    void classNeverPredicted();
    void singleClassAndEmptySplit();
    void rocAucKnownValues();
    void calibrationAndLoss();
    void rougeClassicExample();
    void exactMatchAndPerplexity();
};

void TestMetrics::threeClassReport()
{
    // Confusion [true][pred]: a: 2 1 0 / b: 0 1 1 / c: 0 0 1
    const ClassificationReport r = classificationReport({"a", "b", "c"}, {0, 0, 0, 1, 1, 2}, {0, 0, 1, 1, 2, 2});
    QCOMPARE(r.confusion, (QList<QList<qint64>>{{2, 1, 0}, {0, 1, 1}, {0, 0, 1}}));
    QVERIFY(qAbs(r.accuracy - 4.0 / 6) < 1e-12);
    QVERIFY(qAbs(r.perClass[0].precision - 1.0) < 1e-12);
    QVERIFY(qAbs(r.perClass[0].recall - 2.0 / 3) < 1e-12);
    QVERIFY(qAbs(r.perClass[0].f1 - 0.8) < 1e-12);
    QVERIFY(qAbs(r.perClass[1].f1 - 0.5) < 1e-12);
    QVERIFY(qAbs(r.perClass[2].f1 - 2.0 / 3) < 1e-12);
    QVERIFY(qAbs(r.macroF1 - (0.8 + 0.5 + 2.0 / 3) / 3) < 1e-12);
    QVERIFY(qAbs(r.weightedF1 - (0.8 * 3 + 0.5 * 2 + 2.0 / 3) / 6) < 1e-12);
    QCOMPARE(r.perClass[2].support, 1);
    QCOMPARE(r.perClass[2].predicted, 2);
    QVERIFY(r.loss < 0 && r.ece < 0 && r.rocAuc < 0); // not computed without probabilities
    QCOMPARE(r.toJson().value("confusion_matrix").toArray().size(), 3);
}

void TestMetrics::classNeverPredicted()
{
    const ClassificationReport r = classificationReport({"a", "b"}, {0, 1}, {0, 0});
    QCOMPARE(r.perClass[1].precision, 0.0); // zero division -> 0, not NaN
    QCOMPARE(r.perClass[1].f1, 0.0);
    QVERIFY(qAbs(r.perClass[0].f1 - 2.0 / 3) < 1e-12);
    QVERIFY(std::isfinite(r.macroF1));
}

void TestMetrics::singleClassAndEmptySplit()
{
    const ClassificationReport r = classificationReport({"only"}, {0, 0, 0}, {0, 0, 0});
    QCOMPARE(r.accuracy, 1.0);
    QCOMPARE(r.macroF1, 1.0);
    try {
        classificationReport({"a"}, {}, {});
        QFAIL("evaluated an empty split");
    } catch (const Error& e) {
        QVERIFY(e.message().contains("no labeled rows"));
    }
}

void TestMetrics::rocAucKnownValues()
{
    QVERIFY(qAbs(rocAuc({0, 0, 1, 1}, {0.1, 0.4, 0.35, 0.8}) - 0.75) < 1e-12);
    QCOMPARE(rocAuc({0, 1}, {0.5, 0.5}), 0.5);
    QCOMPARE(rocAuc({0, 1, 1}, {0.1, 0.2, 0.3}), 1.0);
    QCOMPARE(rocAuc({1, 1}, {0.1, 0.2}), -1.0); // undefined with one class
}

void TestMetrics::calibrationAndLoss()
{
    const ClassificationReport r = classificationReport(
        {"neg", "pos"}, {0, 1, 1, 0}, {0, 0, 1, 1}, {{0.9, 0.1}, {0.8, 0.2}, {0.3, 0.7}, {0.4, 0.6}});
    // One item per bin: |1-.9|, |0-.8|, |1-.7|, |0-.6| averaged.
    QVERIFY(qAbs(r.ece - 0.45) < 1e-12);
    QVERIFY(qAbs(r.loss - -(std::log(0.9) + std::log(0.2) + std::log(0.7) + std::log(0.4)) / 4) < 1e-12);
    QCOMPARE(r.calibration[9].count, 1);
    QVERIFY(qAbs(r.calibration[8].confidence - 0.8) < 1e-12);
    QCOMPARE(r.calibration[8].accuracy, 0.0);
    // pos scores .1 .2 .7 .6 for truth 0 1 1 0: positives outrank negatives in 3 of 4 pairs.
    QVERIFY(qAbs(r.rocAuc - 0.75) < 1e-12);
}

void TestMetrics::rougeClassicExample()
{
    // Lin (2004)'s style of example, counted by hand.
    const RougeReport r = rouge("the cat was found under the bed", "The cat was under the bed.");
    QVERIFY(qAbs(r.rouge1.recall - 1.0) < 1e-12);
    QVERIFY(qAbs(r.rouge1.precision - 6.0 / 7) < 1e-12);
    QVERIFY(qAbs(r.rouge2.precision - 4.0 / 6) < 1e-12);
    QVERIFY(qAbs(r.rouge2.recall - 4.0 / 5) < 1e-12);
    QVERIFY(qAbs(r.rouge2.f1 - 2 * (4.0 / 6) * 0.8 / (4.0 / 6 + 0.8)) < 1e-12);
    QVERIFY(qAbs(r.rougeL.f1 - 2 * (6.0 / 7) / (6.0 / 7 + 1)) < 1e-12);
    const RougeReport none = rouge("completely different words", "the cat");
    QCOMPARE(none.rouge1.f1, 0.0);
    QCOMPARE(rouge("", "").rougeL.f1, 0.0);
    const RougeReport mean = meanRouge({"the cat", "a dog"}, {"the cat", "the cat"});
    QVERIFY(qAbs(mean.rouge1.f1 - 0.5) < 1e-12);
    QVERIFY_THROWS_EXCEPTION(Error, meanRouge({}, {}));
}

void TestMetrics::exactMatchAndPerplexity()
{
    QCOMPARE(exactMatch({"Yes ", "no"}, {"yes", "No way"}), 0.5);
    QVERIFY(qAbs(perplexity(std::log(20.0)) - 20.0) < 1e-9);
}

FTS_TEST_SUITE(TestMetrics)
#include "tst_metrics.moc"
