// Hyperparameters: every refused value with its message, cross-field validation, presets, JSON
// round trip, and the learning-rate schedules at known points.
#include "Suite.h"
#include "Error.h"
#include "train/Hyperparameters.h"

#include <QtTest>

#include <cmath>

using namespace fts;

class TestHyperparameters : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void refusedValues_data();
    void refusedValues();
    void crossFieldValidation_data();
    void crossFieldValidation();
    void everyKeyHasHelpAndRoundTrips();
    void presetsFitTheData();
    void schedules();
};

void TestHyperparameters::refusedValues_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("expected");
    QTest::newRow("unknown key") << "learning_rate" << "1e-5" << "'learning_rate' is not a hyperparameter. Known: method, lr";
    QTest::newRow("lr too big") << "lr" << "5" << "lr must be from 1e-07 to 1 (it is 5)";
    QTest::newRow("lr text") << "lr" << "fast" << "lr must be a number";
    QTest::newRow("lr nan") << "lr" << "nan" << "lr must be a number";
    QTest::newRow("epochs zero") << "epochs" << "0" << "epochs must be from 1 to 1000";
    QTest::newRow("epochs fraction") << "epochs" << "2.5" << "epochs must be a whole number";
    QTest::newRow("batch") << "batch_size" << "-4" << "batch_size must be from 1 to 4096";
    QTest::newRow("schedule") << "schedule" << "step" << "schedule must be one of constant, linear, cosine";
    QTest::newRow("precision") << "precision" << "fp16" << "precision must be one of fp32, bf16";
    QTest::newRow("method") << "method" << "adapter" << "method must be one of frozen, full, freeze, lora";
    QTest::newRow("warmup") << "warmup_ratio" << "0.9" << "warmup_ratio must be from 0 to 0.5";
    QTest::newRow("lora rank") << "lora_rank" << "0" << "lora_rank must be from 1 to 1024";
}

void TestHyperparameters::refusedValues()
{
    QFETCH(QString, key);
    QFETCH(QString, value);
    QFETCH(QString, expected);
    Hyperparameters h;
    const QJsonObject before = h.toJson();
    try {
        h.set(key, value);
        QFAIL("accepted a bad value");
    } catch (const Error& e) {
        QVERIFY2(e.message().contains(expected), qPrintable(e.message()));
    }
    QCOMPARE(h.toJson(), before); // nothing changed
}

void TestHyperparameters::crossFieldValidation_data()
{
    QTest::addColumn<QStringList>("sets");
    QTest::addColumn<qint64>("rows");
    QTest::addColumn<QString>("expected");
    QTest::newRow("empty train") << QStringList{} << qint64(0) << "The training split is empty";
    QTest::newRow("batch > rows") << QStringList{"batch_size=64"} << qint64(40) << "batch_size (64) is larger than the training split (40 rows)";
    QTest::newRow("lora rank > hidden") << QStringList{"method=lora", "lora_rank=256"} << qint64(100) << "lora_rank (256) is larger than the model's hidden size (128)";
    QTest::newRow("freeze all") << QStringList{"method=freeze", "freeze_layers=4"} << qint64(100) << "freeze_layers (4) must be smaller than the model's 4 layers";
    QTest::newRow("freeze none") << QStringList{"method=freeze"} << qint64(100) << "set freeze_layers to at least 1";
    QTest::newRow("checkpoint cadence") << QStringList{"eval_every=10", "checkpoint_every=15"} << qint64(100) << "should be a multiple of eval_every";
}

void TestHyperparameters::crossFieldValidation()
{
    QFETCH(QStringList, sets);
    QFETCH(qint64, rows);
    QFETCH(QString, expected);
    Hyperparameters h;
    h.batchSize = 8;
    for (const QString& s : sets)
        h.set(s.section('=', 0, 0), s.section('=', 1));
    try {
        h.validate({rows, 128, 4, true});
        QFAIL("accepted an impossible combination");
    } catch (const Error& e) {
        QVERIFY2(e.message().contains(expected), qPrintable(e.message()));
    }
    Hyperparameters ok;
    ok.batchSize = 8;
    ok.validate({100, 128, 4, true});
    ok.precision = "bf16";
    QVERIFY_THROWS_EXCEPTION(Error, ok.validate({100, 128, 4, false}));
}

void TestHyperparameters::everyKeyHasHelpAndRoundTrips()
{
    Hyperparameters h;
    h.set("lr", "3e-4");
    h.set("method", "lora");
    h.set("lora_targets", "q_proj, v_proj");
    h.set("seed", "7");
    for (const HyperparameterInfo& i : Hyperparameters::catalog()) {
        QVERIFY2(i.help.size() > 20, qPrintable(i.key));
        QVERIFY2(h.toJson().contains(i.key), qPrintable(i.key));
    }
    const Hyperparameters back = Hyperparameters::fromJson(h.toJson());
    QCOMPARE(back.toJson(), h.toJson());
    QCOMPARE(back.loraTargets, (QStringList{"q_proj", "v_proj"}));
    QCOMPARE(h.get("lr"), QString("0.0003"));
    QCOMPARE(h.get("lora_targets"), QString("q_proj,v_proj"));
}

void TestHyperparameters::presetsFitTheData()
{
    const Hyperparameters small = Hyperparameters::preset("balanced", 600);
    QCOMPARE(small.epochs, 5);
    QCOMPARE(small.batchSize, 16);
    QCOMPARE(Hyperparameters::preset("quick", 10).batchSize, 10); // never larger than the data
    QVERIFY(Hyperparameters::preset("careful", 50000).patience > 0);
    QVERIFY_THROWS_EXCEPTION(Error, Hyperparameters::preset("yolo", 10));
    for (const QString& p : Hyperparameters::presetNames())
        Hyperparameters::preset(p, 618).validate({618, 128, 4, true});
}

void TestHyperparameters::schedules()
{
    QCOMPARE(learningRateFactor("linear", 0, 100, 10), 0.0);
    QCOMPARE(learningRateFactor("linear", 5, 100, 10), 0.5);
    QCOMPARE(learningRateFactor("linear", 10, 100, 10), 1.0);
    QCOMPARE(learningRateFactor("linear", 55, 100, 10), 0.5);
    QCOMPARE(learningRateFactor("linear", 100, 100, 10), 0.0);
    QCOMPARE(learningRateFactor("constant", 90, 100, 10), 1.0);
    QVERIFY(qAbs(learningRateFactor("cosine", 55, 100, 10) - 0.5) < 1e-12);
    QVERIFY(qAbs(learningRateFactor("cosine", 100, 100, 10)) < 1e-12);
    QVERIFY(qAbs(learningRateFactor("cosine", 35, 110, 10) - 0.5 * (1 + std::cos(M_PI / 4))) < 1e-12); // a quarter of the decay
}

FTS_TEST_SUITE(TestHyperparameters)
#include "tst_hyperparameters.moc"
