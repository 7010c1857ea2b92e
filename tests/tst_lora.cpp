// LoRA tooling: targets, freezing, counts, merge, PEFT adapter files vs a python reference.
#include "Suite.h"
#include "ModelFixtures.h"
#include "Error.h"
#include "models/Lora.h"
#include "models/Projection.h"
#include "models/Safetensors.h"
#include "models/SequenceClassifier.h"
#include "models/StateDict.h"

#include <ATen/ATen.h>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <set>

using namespace fts;
using fts::test::encoderFixtureDir;

namespace {

struct Batch
{
    at::Tensor ids, mask, types;
};

Batch bertBatch()
{
    const TensorMap ref = loadSafetensors(encoderFixtureDir("bert") + "/reference.safetensors");
    return {ref.at("input_ids"), ref.at("attention_mask"), ref.at("token_type_ids")};
}

at::Tensor logitsOf(SequenceClassifier& model, const Batch& b)
{
    model->eval();
    torch::NoGradGuard noGrad;
    return model->forward(b.ids, b.mask, b.types);
}

LoraConfig bertLora()
{
    LoraConfig c;
    c.rank = 4;
    c.alpha = 8;
    c.targetModules = {"query", "value"};
    c.modulesToSave = {"classifier"};
    c.baseModel = "bert-tiny";
    c.taskType = "SEQ_CLS";
    return c;
}

// Moves every adapter's B (and the head) away from zero, as training would.
void pretendTrained(torch::nn::Module& root)
{
    torch::NoGradGuard noGrad;
    for (auto& item : root.named_parameters())
        if (item.key().find("lora_B") != std::string::npos ||
            item.key().rfind("classifier", 0) == 0)
            item.value().normal_(0.0, 0.3);
}

QString errorOf(const std::function<void()>& f)
{
    try {
        f();
    } catch (const Error& e) {
        return e.message();
    }
    return {};
}

// A GPT-2-like tree: two blocks each with attn.c_attn (Conv1D 8 -> 24) and mlp.c_fc (Conv1D 8 ->
// 16).
struct TinyTreeImpl : torch::nn::Module
{
    TinyTreeImpl()
    {
        auto h = register_module("h", std::make_shared<torch::nn::Module>());
        for (const char* block : {"0", "1"}) {
            auto b = h->register_module(block, std::make_shared<torch::nn::Module>());
            b->register_module("attn", std::make_shared<torch::nn::Module>())
                ->register_module("c_attn", Projection(8, 24, true, WeightLayout::Conv1D));
            b->register_module("mlp", std::make_shared<torch::nn::Module>())
                ->register_module("c_fc", Projection(8, 16, true, WeightLayout::Conv1D));
        }
    }
};

} // namespace

class TestLora : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void zeroBLeavesOutputUnchanged();
    void targetsMatchModulePaths();
    void trainableCountsMatchHandCount_data();
    void trainableCountsMatchHandCount();
    void freezingFirstLayers();
    void gradientsReachOnlyTrainable();
    void mergeEqualsUnmerged();
    void adapterFileLayoutIsPeft();
    void adapterSaveLoadReproducesOutputs();
    void pythonAdapterMatchesReference();
    void unknownTargetNamesTheLayers();
    void adapterForAnotherModelIsRefused();
    void conv1dTreeWorks();
};

void TestLora::zeroBLeavesOutputUnchanged()
{
    SequenceClassifier model = loadSequenceClassifier(encoderFixtureDir("bert"), QStringList());
    const Batch b = bertBatch();
    const at::Tensor before = logitsOf(model, b);
    applyLora(*model, bertLora());
    QVERIFY(at::equal(logitsOf(model, b), before));
}

void TestLora::targetsMatchModulePaths()
{
    SequenceClassifier model = loadSequenceClassifier(encoderFixtureDir("bert"), QStringList());
    LoraConfig c = bertLora();
    c.targetModules = {"query", "attention.output.dense"};
    const std::vector<std::string> adapted = applyLora(*model, c);
    const std::vector<std::string> expected = {
        "bert.encoder.layer.0.attention.self.query", "bert.encoder.layer.0.attention.output.dense",
        "bert.encoder.layer.1.attention.self.query", "bert.encoder.layer.1.attention.output.dense"};
    QCOMPARE(std::set<std::string>(adapted.begin(), adapted.end()),
             std::set<std::string>(expected.begin(), expected.end()));

    // PEFT's string form: one regular expression over the whole module path.
    SequenceClassifier other = loadSequenceClassifier(encoderFixtureDir("bert"), QStringList());
    c.targetModules = {R"(re:bert\.encoder\.layer\.1\.attention\.self\.(query|key))"};
    QCOMPARE(applyLora(*other, c),
             (std::vector<std::string>{"bert.encoder.layer.1.attention.self.query",
                                       "bert.encoder.layer.1.attention.self.key"}));
    QTemporaryDir tmp;
    saveLoraAdapter(*other, c, tmp.path());
    QFile f(tmp.filePath("adapter_config.json"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(QJsonDocument::fromJson(f.readAll()).object().value("target_modules").toString(),
             QStringLiteral(R"(bert\.encoder\.layer\.1\.attention\.self\.(query|key))"));
}

void TestLora::trainableCountsMatchHandCount_data()
{
    QTest::addColumn<QString>("family");
    QTest::addColumn<QStringList>("targets");
    QTest::addColumn<int>("rank");
    QTest::addColumn<bool>("withHead");
    QTest::addColumn<qint64>("adapterElements");
    QTest::addColumn<qint64>("trainable");
    QTest::addColumn<qint64>("baseTotal");
    // BERT (H 32, FFN 64, vocab 100, 64 positions, 2 types, 2 layers, 3 labels):
    //   embeddings 100*32 + 64*32 + 2*32 + 2*32 = 5376; a layer 4*(32*32+32) + 2*64 + (32*64+64)
    //   + (64*32+32) = 8544; pooler 32*32+32 = 1056; classifier 3*32+3 = 99 -> 23619.
    //   LoRA r 4 on query+value: 4 adapters x (4*32 + 32*4) = 1024; with the head 1123.
    QTest::newRow("bert q,v r4 + head") << "bert" << QStringList{"query", "value"} << 4 << true
                                        << qint64(1024) << qint64(1123) << qint64(23619);
    QTest::newRow("bert q,v r4") << "bert" << QStringList{"query", "value"} << 4 << false
                                 << qint64(1024) << qint64(1024) << qint64(23619);
    // DistilBERT (2 labels): embeddings 100*32 + 64*32 + 64 = 5312; a layer 4*1056 + 64 + 2112
    //   + 2080 + 64 = 8544; pre_classifier 1056; classifier 2*32+2 = 66 -> 23522.
    //   r 2 on q_lin+v_lin: 4 x (2*32 + 32*2) = 512; with pre_classifier and classifier 1634.
    QTest::newRow("distilbert q_lin,v_lin r2 + head")
        << "distilbert" << QStringList{"q_lin", "v_lin"} << 2 << true << qint64(512) << qint64(1634)
        << qint64(23522);
}

void TestLora::trainableCountsMatchHandCount()
{
    QFETCH(QString, family);
    QFETCH(QStringList, targets);
    QFETCH(int, rank);
    QFETCH(bool, withHead);
    QFETCH(qint64, adapterElements);
    QFETCH(qint64, trainable);
    QFETCH(qint64, baseTotal);
    SequenceClassifier model = loadSequenceClassifier(encoderFixtureDir(family), QStringList());
    QCOMPARE(countParameters(*model).total, baseTotal);
    QCOMPARE(countParameters(*model).trainable, baseTotal);
    LoraConfig c;
    c.rank = rank;
    c.targetModules = targets;
    applyLora(*model, c);
    freezeAllButAdapters(*model, withHead ? model->headModules() : QStringList());
    const ParameterCounts counts = countParameters(*model);
    QCOMPARE(counts.trainable, trainable);
    QCOMPARE(counts.total, baseTotal + adapterElements);
    for (const auto& item : model->named_parameters()) {
        const bool adapter = item.key().find(".lora_") != std::string::npos;
        const bool head = withHead && !item.key().starts_with(model->encoder()->checkpointPrefix());
        QVERIFY2(item.value().requires_grad() == (adapter || head), item.key().c_str());
    }
}

void TestLora::freezingFirstLayers()
{
    SequenceClassifier model = loadSequenceClassifier(encoderFixtureDir("roberta"), QStringList());
    auto encoder = model->encoder();
    freezeModules({encoder->embeddings(), encoder->layers()[0]});
    for (const auto& item : model->named_parameters()) {
        const bool frozen = item.key().starts_with("roberta.embeddings.") ||
                            item.key().starts_with("roberta.encoder.layer.0.");
        QVERIFY2(item.value().requires_grad() == !frozen, item.key().c_str());
    }
    // Frozen: 100*32 + 64*32 + 1*32 + 64 embeddings + one 8544-element layer.
    QCOMPARE(countParameters(*model).total - countParameters(*model).trainable,
             qint64(5344 + 8544));
}

void TestLora::gradientsReachOnlyTrainable()
{
    SequenceClassifier model = loadSequenceClassifier(encoderFixtureDir("bert"), QStringList());
    applyLora(*model, bertLora());
    freezeAllButAdapters(*model, model->headModules());
    pretendTrained(*model); // with B = 0 the gradient of A is exactly zero
    model->train();
    const Batch b = bertBatch();
    model->loss(model->forward(b.ids, b.mask, b.types), at::tensor({0L, 2L, 1L})).backward();
    for (const auto& item : model->named_parameters()) {
        const at::Tensor grad = item.value().grad();
        if (item.value().requires_grad())
            QVERIFY2(grad.defined() && grad.abs().sum().item<double>() > 0, item.key().c_str());
        else
            QVERIFY2(!grad.defined(), item.key().c_str());
    }
}

void TestLora::mergeEqualsUnmerged()
{
    SequenceClassifier model = loadSequenceClassifier(encoderFixtureDir("bert"), QStringList());
    applyLora(*model, bertLora());
    pretendTrained(*model);
    const Batch b = bertBatch();
    const at::Tensor adapted = logitsOf(model, b);
    QCOMPARE(mergeAllLora(*model), 4);
    const at::Tensor merged = logitsOf(model, b);
    QVERIFY2(at::allclose(adapted, merged, 1e-5, 1e-5),
             qPrintable(QString::number((adapted - merged).abs().max().item<double>())));
    for (const auto& item : model->named_parameters())
        QVERIFY(item.key().find("lora") == std::string::npos);
    // A merged model is a plain HF checkpoint again.
    QTemporaryDir tmp;
    saveSequenceClassifier(*model, tmp.path());
}

void TestLora::adapterFileLayoutIsPeft()
{
    SequenceClassifier model = loadSequenceClassifier(encoderFixtureDir("bert"), QStringList());
    applyLora(*model, bertLora());
    QTemporaryDir tmp;
    saveLoraAdapter(*model, bertLora(), tmp.path());
    std::set<std::string> keys;
    for (const auto& [name, t] : loadSafetensors(tmp.filePath("adapter_model.safetensors")))
        keys.insert(name);
    std::set<std::string> expected = {"base_model.model.classifier.weight",
                                      "base_model.model.classifier.bias"};
    for (const char* layer : {"0", "1"})
        for (const char* proj : {"query", "value"})
            for (const char* ab : {"lora_A", "lora_B"})
                expected.insert(
                    QStringLiteral(
                        "base_model.model.bert.encoder.layer.%1.attention.self.%2.%3.weight")
                        .arg(layer, proj, ab)
                        .toStdString());
    QCOMPARE(keys, expected);
    QFile f(tmp.filePath("adapter_config.json"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject json = QJsonDocument::fromJson(f.readAll()).object();
    QCOMPARE(json.value("peft_type").toString(), QStringLiteral("LORA"));
    QCOMPARE(json.value("r").toInt(), 4);
    QCOMPARE(json.value("lora_alpha").toInt(), 8);
    QCOMPARE(json.value("task_type").toString(), QStringLiteral("SEQ_CLS"));
    QCOMPARE(json.value("base_model_name_or_path").toString(), QStringLiteral("bert-tiny"));
    QCOMPARE(json.value("target_modules").toArray().size(), 2);
    QCOMPARE(json.value("modules_to_save").toArray().first().toString(),
             QStringLiteral("classifier"));
    QVERIFY(!json.value("fan_in_fan_out").toBool(true));
}

void TestLora::adapterSaveLoadReproducesOutputs()
{
    SequenceClassifier model = loadSequenceClassifier(encoderFixtureDir("bert"), QStringList());
    applyLora(*model, bertLora());
    pretendTrained(*model);
    const Batch b = bertBatch();
    const at::Tensor adapted = logitsOf(model, b);
    QTemporaryDir tmp;
    saveLoraAdapter(*model, bertLora(), tmp.path());

    SequenceClassifier fresh = loadSequenceClassifier(encoderFixtureDir("bert"), QStringList());
    QVERIFY(!at::equal(logitsOf(fresh, b), adapted));
    const LoraConfig loaded = loadLoraAdapter(*fresh, tmp.path());
    QCOMPARE(loaded.rank, int64_t(4));
    QCOMPARE(loaded.modulesToSave, QStringList{"classifier"});
    QVERIFY(at::equal(logitsOf(fresh, b), adapted));
}

// bert_lora/ was written by the python script, with logits from its own forward pass with
// W + (alpha / r) B A: loading it must reproduce them, adapted and merged.
void TestLora::pythonAdapterMatchesReference()
{
    const at::Tensor expected =
        loadSafetensors(encoderFixtureDir("bert_lora") + "/reference.safetensors").at("logits");
    SequenceClassifier model = loadSequenceClassifier(encoderFixtureDir("bert"), QStringList());
    const LoraConfig c = loadLoraAdapter(*model, encoderFixtureDir("bert_lora"));
    QCOMPARE(c.alpha, 8.0);
    QCOMPARE(c.dropout, 0.1);
    const Batch b = bertBatch();
    const double adaptedDiff = (logitsOf(model, b) - expected).abs().max().item<double>();
    mergeAllLora(*model);
    const double mergedDiff = (logitsOf(model, b) - expected).abs().max().item<double>();
    qInfo("bert + PEFT adapter: max |diff| logits %.3g adapted, %.3g merged", adaptedDiff,
          mergedDiff);
    QVERIFY(adaptedDiff < 1e-4);
    QVERIFY(mergedDiff < 1e-4);
}

void TestLora::unknownTargetNamesTheLayers()
{
    SequenceClassifier model = loadSequenceClassifier(encoderFixtureDir("bert"), QStringList());
    LoraConfig c;
    c.targetModules = {"q_proj", "v_proj"};
    const QString message = errorOf([&] { applyLora(*model, c); });
    QVERIFY2(message.contains("q_proj") && message.contains("query") && message.contains("value"),
             qPrintable(message));
}

void TestLora::adapterForAnotherModelIsRefused()
{
    SequenceClassifier model = loadSequenceClassifier(encoderFixtureDir("bert"), QStringList());
    applyLora(*model, bertLora());
    QTemporaryDir tmp;
    saveLoraAdapter(*model, bertLora(), tmp.path());
    // Same target names exist in RoBERTa, but under "roberta.": the adapter's keys do not fit.
    SequenceClassifier other = loadSequenceClassifier(encoderFixtureDir("roberta"), QStringList());
    const QString message = errorOf([&] { loadLoraAdapter(*other, tmp.path()); });
    QVERIFY2(message.contains("does not fit") && message.contains("bert-tiny"),
             qPrintable(message));
}

void TestLora::conv1dTreeWorks()
{
    torch::manual_seed(5);
    auto tree = std::make_shared<TinyTreeImpl>();
    LoraConfig c;
    c.rank = 2;
    c.alpha = 4;
    c.targetModules = {"c_attn"};
    QCOMPARE(applyLora(*tree, c), (std::vector<std::string>{"h.0.attn.c_attn", "h.1.attn.c_attn"}));
    freezeAllButAdapters(*tree);
    // 2 adapters x (2*8 + 24*2) = 128 trainable of 2 x (8*24+24 + 8*16+16) + 128 = 848.
    QCOMPARE(countParameters(*tree).trainable, qint64(128));
    QCOMPARE(countParameters(*tree).total, qint64(848));
    pretendTrained(*tree);
    QTemporaryDir tmp;
    saveLoraAdapter(*tree, c, tmp.path());
    QFile f(tmp.filePath("adapter_config.json"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(QJsonDocument::fromJson(f.readAll()).object().value("fan_in_fan_out").toBool());
    const at::Tensor x = at::randn({3, 8});
    auto run = [](TinyTreeImpl& t, const at::Tensor& in) {
        torch::NoGradGuard g;
        auto* p = dynamic_cast<ProjectionImpl*>(t.named_modules()["h.1.attn.c_attn"].get());
        return p->forward(in);
    };
    const at::Tensor adapted = run(*tree, x);
    auto copy = std::make_shared<TinyTreeImpl>();
    loadStateDict(*copy, stateDict(*tree)); // base weights only; lora keys are unexpected there
    loadLoraAdapter(*copy, tmp.path());
    QVERIFY(at::equal(run(*copy, x), adapted));
    mergeAllLora(*copy);
    QVERIFY(at::allclose(run(*copy, x), adapted, 1e-5, 1e-5));
}

FTS_TEST_SUITE(TestLora)
#include "tst_lora.moc"
