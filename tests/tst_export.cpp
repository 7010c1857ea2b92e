// Export: a run as a Hugging Face folder (merged weights or a PEFT adapter) loads back and
// predicts exactly what the run predicts; the model card and configs carry the run's record.
#include "Suite.h"
#include "Error.h"
#include "deploy/Export.h"
#include "deploy/TextClassifier.h"
#include "models/Safetensors.h"

#include "DeployFixtures.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace fts;

namespace {

QStringList probeTexts()
{
    return {"the apple is very good",
            "my car was slow today !",
            "banana and grape",
            "a bus , a train and a plane",
            "zebra apple",
            "i hate the sea road",
            "lemon boat"};
}

// The largest probability difference; labels must agree exactly.
double compare(const TextClassifier& a, const TextClassifier& b)
{
    const auto pa = a.classify(probeTexts());
    const auto pb = b.classify(probeTexts());
    double diff = 0;
    for (size_t i = 0; i < pa.size(); ++i) {
        if (pa[i].label != pb[i].label)
            return 1.0;
        for (size_t k = 0; k < pa[i].probabilities.size(); ++k)
            diff = std::max(diff, std::abs(pa[i].probabilities[k] - pb[i].probabilities[k]));
    }
    return diff;
}

QJsonObject readJson(const QString& path)
{
    QFile f(path);
    f.open(QIODevice::ReadOnly);
    return QJsonDocument::fromJson(f.readAll()).object();
}

} // namespace

class TestExport : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void fullExportReloadsIdentically();
    void loraMergedExportReloadsIdentically();
    void adapterOnlyOntoBaseIsIdentical();
    void modelCardDescribesTheRun();
    void refusals();

private:
    std::shared_ptr<TextClassifier> runClassifier(const test::ToyRun& run);
    QTemporaryDir m_dir;
    test::ToyRun m_full, m_lora;
};

void TestExport::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_full = test::trainToyRun(m_dir.path(), QStringLiteral("full"));
    m_lora = test::trainToyRun(m_dir.path(), QStringLiteral("lora"));
    QCOMPARE(m_lora.result.status, QStringLiteral("finished"));
}

std::shared_ptr<TextClassifier> TestExport::runClassifier(const test::ToyRun& run)
{
    auto project = Project::open(run.projectPath, Project::Access::ReadOnly);
    return TextClassifier::loadRun(*project, run.runId);
}

void TestExport::fullExportReloadsIdentically()
{
    auto project = Project::open(m_full.projectPath, Project::Access::ReadOnly);
    ExportOptions o;
    o.outDir = m_dir.filePath(QStringLiteral("export_full"));
    const ExportResult r = exportRun(*project, m_full.runId, o);
    QCOMPARE(r.files, QStringList({"README.md", "config.json", "finetune_studio.json",
                                   "model.safetensors", "vocab.txt"}));
    const QJsonObject config = readJson(o.outDir + "/config.json");
    QCOMPARE(config.value(QLatin1String("id2label")).toObject(),
             QJsonObject({{"0", "food"}, {"1", "travel"}}));
    QCOMPARE(config.value(QLatin1String("label2id")).toObject(),
             QJsonObject({{"food", 0}, {"travel", 1}}));
    QCOMPARE(config.value(QLatin1String("architectures")).toArray(),
             QJsonArray({"BertForSequenceClassification"}));
    const TensorMap weights = loadSafetensors(o.outDir + "/model.safetensors");
    QVERIFY(weights.count("classifier.weight"));
    QCOMPARE(weights.at("classifier.weight").size(0), int64_t(2));
    const double diff = compare(*runClassifier(m_full), *TextClassifier::loadFolder(o.outDir));
    qInfo("full export: max |p_run - p_export| = %.3g", diff);
    QCOMPARE(diff, 0.0);
}

void TestExport::loraMergedExportReloadsIdentically()
{
    auto project = Project::open(m_lora.projectPath, Project::Access::ReadOnly);
    ExportOptions o;
    o.outDir = m_dir.filePath(QStringLiteral("export_lora_merged"));
    exportRun(*project, m_lora.runId, o);
    for (const auto& [name, tensor] : loadSafetensors(o.outDir + "/model.safetensors"))
        QVERIFY2(name.find("lora_") == std::string::npos, name.c_str());
    const double diff = compare(*runClassifier(m_lora), *TextClassifier::loadFolder(o.outDir));
    qInfo("merged LoRA export: max |p_run - p_export| = %.3g", diff);
    QCOMPARE(diff, 0.0);
}

void TestExport::adapterOnlyOntoBaseIsIdentical()
{
    auto project = Project::open(m_lora.projectPath, Project::Access::ReadOnly);
    ExportOptions o;
    o.outDir = m_dir.filePath(QStringLiteral("export_adapter"));
    o.adapterOnly = true;
    const ExportResult r = exportRun(*project, m_lora.runId, o);
    QCOMPARE(r.files, QStringList({"README.md", "adapter_config.json", "adapter_model.safetensors",
                                   "finetune_studio.json", "vocab.txt"}));
    const QJsonObject adapter = readJson(o.outDir + "/adapter_config.json");
    QCOMPARE(adapter.value(QLatin1String("r")).toInt(), 4);
    QCOMPARE(adapter.value(QLatin1String("task_type")).toString(), QStringLiteral("SEQ_CLS"));
    const TensorMap weights = loadSafetensors(o.outDir + "/adapter_model.safetensors");
    QVERIFY(weights.count("base_model.model.classifier.weight"));
    QVERIFY(
        weights.count("base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight"));
    // Onto the base folder named explicitly, and onto the one the adapter records.
    const QString base = m_dir.filePath(QStringLiteral("base_bert"));
    const auto run = runClassifier(m_lora);
    const double diff = compare(*run, *TextClassifier::loadFolder(o.outDir, base));
    qInfo("adapter-only onto base: max |p_run - p_adapter| = %.3g", diff);
    QVERIFY(diff < 1e-6);
    QVERIFY(compare(*run, *TextClassifier::loadFolder(o.outDir)) < 1e-6);
}

void TestExport::modelCardDescribesTheRun()
{
    QFile f(m_dir.filePath(QStringLiteral("export_full/README.md")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QString card = QString::fromUtf8(f.readAll());
    QVERIFY(
        card.startsWith(QStringLiteral("---\nlibrary_name: transformers\nbase_model: base_bert")));
    for (const char* part : {"pipeline_tag: text-classification", "food, travel", "train rows: 96",
                             "val rows: 24", "test rows: 12", "- Method: full", "| lr | 0.002 |",
                             "| epochs | 6 |", "| accuracy |", "| macro_f1 |", "Best checkpoint"})
        QVERIFY2(card.contains(QLatin1String(part)), part);
    const QJsonObject info =
        readJson(m_dir.filePath(QStringLiteral("export_full/finetune_studio.json")));
    QCOMPARE(info.value(QLatin1String("labels")).toArray(), QJsonArray({"food", "travel"}));
    QCOMPARE(info.value(QLatin1String("run_id")).toInteger(), m_full.runId);
}

void TestExport::refusals()
{
    auto project = Project::open(m_full.projectPath, Project::Access::ReadOnly);
    ExportOptions o;
    o.outDir = m_dir.filePath(QStringLiteral("export_full")); // not empty now
    QVERIFY(test::errorOf([&] {
                exportRun(*project, m_full.runId, o);
            }).contains(QStringLiteral("not empty")));
    o.overwrite = true;
    exportRun(*project, m_full.runId, o);
    o.outDir = m_dir.filePath(QStringLiteral("export_adapter_of_full"));
    o.adapterOnly = true;
    QVERIFY(test::errorOf([&] {
                exportRun(*project, m_full.runId, o);
            }).contains(QStringLiteral("no LoRA adapter")));
    o.adapterOnly = false;
    QVERIFY(
        test::errorOf([&] { exportRun(*project, 999, o); }).contains(QStringLiteral("no run 999")));
}

FTS_TEST_SUITE(TestExport)
#include "tst_export.moc"
