// Model building blocks: Projection layouts and LoRA (identity at B = 0, merge), config.json mapping and errors.
#include "Suite.h"
#include "Error.h"
#include "models/ModelConfig.h"
#include "models/ModelInspect.h"
#include "models/Safetensors.h"
#include "models/Projection.h"
#include "models/StateDict.h"

#include <ATen/ATen.h>

#include <QJsonDocument>
#include <QTemporaryDir>
#include <QtTest>

using namespace fts;

class TestModelCore : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void conv1dLayoutMatchesLinear();
    void loraWithZeroBIsIdentity();
    void mergeKeepsOutput();
    void loraParameterNamesFollowPeft();
    void loraRankOutOfRangeIsRefused();
    void configMapsFamilies();
    void configErrorsNameTheField_data();
    void configErrorsNameTheField();
    void inspectCountsFromHeaders();
    void inspectRefusesPickles();
};

void TestModelCore::conv1dLayoutMatchesLinear()
{
    torch::manual_seed(1);
    Projection lin(6, 4, true), conv(6, 4, true, WeightLayout::Conv1D);
    {
        torch::NoGradGuard g;
        conv->weight.copy_(lin->weight.t());
        conv->bias.copy_(lin->bias);
    }
    const at::Tensor x = at::randn({2, 3, 6});
    QVERIFY(at::allclose(lin(x), conv(x), 1e-6, 1e-6));
    QCOMPARE(conv->weightOutIn().sizes(), lin->weight.sizes());
}

void TestModelCore::loraWithZeroBIsIdentity()
{
    torch::manual_seed(2);
    Projection p(8, 5, true);
    const at::Tensor x = at::randn({4, 8});
    const at::Tensor before = p(x).detach();
    p->enableLora(2, 16, 0.0);
    QVERIFY(at::equal(p(x), before));
    QVERIFY(!at::equal(p->loraA, at::zeros_like(p->loraA)));
}

void TestModelCore::mergeKeepsOutput()
{
    torch::manual_seed(3);
    for (WeightLayout layout : {WeightLayout::Linear, WeightLayout::Conv1D}) {
        Projection p(8, 6, true, layout);
        p->enableLora(3, 6, 0.0);
        {
            torch::NoGradGuard g;
            p->loraB.normal_(); // as if trained
        }
        const at::Tensor x = at::randn({5, 8});
        const at::Tensor adapted = p(x).detach();
        // The hand-written LoRA formula: W x + b + (alpha / r) B A x.
        const at::Tensor expected = at::linear(x, p->weightOutIn(), p->bias) +
                                    2.0 * at::linear(at::linear(x, p->loraA), p->loraB);
        QVERIFY(at::allclose(adapted, expected, 1e-5, 1e-5));
        p->mergeLora();
        QVERIFY(!p->hasLora());
        QVERIFY(at::allclose(p(x), adapted, 1e-5, 1e-5));
        QCOMPARE(int(p->named_parameters().size()), 2);
    }
}

void TestModelCore::loraParameterNamesFollowPeft()
{
    Projection p(4, 4, false);
    p->enableLora(2, 4, 0.1);
    const TensorMap sd = stateDict(*p, "q_proj.");
    QVERIFY(sd.count("q_proj.weight"));
    QVERIFY(sd.count("q_proj.lora_A.weight"));
    QVERIFY(sd.count("q_proj.lora_B.weight"));
    QCOMPARE(sd.at("q_proj.lora_A.weight").sizes(), at::IntArrayRef({2, 4}));
    QCOMPARE(sd.at("q_proj.lora_B.weight").sizes(), at::IntArrayRef({4, 2}));
}

void TestModelCore::loraRankOutOfRangeIsRefused()
{
    Projection p(16, 4, true);
    try {
        p->enableLora(5, 8, 0);
        QFAIL("accepted rank 5 on a 4-wide layer");
    } catch (const Error& e) {
        QVERIFY2(e.message().contains("between 1 and 4"), qPrintable(e.message()));
    }
    QVERIFY_THROWS_EXCEPTION(Error, p->enableLora(0, 8, 0));
    QVERIFY_THROWS_EXCEPTION(Error, p->enableLora(2, 8, 1.0));
}

void TestModelCore::configMapsFamilies()
{
    const auto parse = [](const char* json) {
        return ModelConfig::fromJson(QJsonDocument::fromJson(json).object());
    };
    const ModelConfig gpt2 = parse(R"({"model_type":"gpt2","vocab_size":100,"n_embd":32,"n_layer":2,"n_head":4,"n_positions":64})");
    QCOMPARE(gpt2.family, ModelFamily::Gpt2);
    QCOMPARE(gpt2.intermediateSize, 128);
    QCOMPARE(gpt2.headDim, 8);
    QVERIFY(gpt2.tieWordEmbeddings);
    const ModelConfig qwen = parse(R"({"model_type":"qwen2","vocab_size":100,"hidden_size":32,"num_hidden_layers":2,
        "num_attention_heads":4,"num_key_value_heads":2,"intermediate_size":64,"rope_theta":1000000.0,
        "use_sliding_window":false,"sliding_window":32,"eos_token_id":[5,6]})");
    QCOMPARE(qwen.family, ModelFamily::Llama);
    QVERIFY(qwen.attentionBias && qwen.qkvBiasOnly);
    QCOMPARE(qwen.numKvHeads, 2);
    QCOMPARE(qwen.ropeTheta, 1e6);
    QCOMPARE(qwen.eosTokenIds, (std::vector<int64_t>{5, 6}));
    const ModelConfig distil = parse(R"({"model_type":"distilbert","vocab_size":100,"dim":32,"n_layers":2,"n_heads":4,
        "hidden_dim":64,"id2label":{"0":"neg","1":"pos"}})");
    QCOMPARE(distil.labels, (QStringList{"neg", "pos"}));
    QCOMPARE(distil.toJson().value("label2id").toObject().value("pos").toInt(), 1);
    const ModelConfig roberta = parse(R"({"model_type":"roberta","vocab_size":100,"hidden_size":32,"num_hidden_layers":2,
        "num_attention_heads":4,"intermediate_size":64})");
    QCOMPARE(roberta.padTokenId, 1);
    QCOMPARE(roberta.layerNormEps, 1e-5);
}

void TestModelCore::configErrorsNameTheField_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("expected");
    QTest::newRow("unknown type") << QByteArray(R"({"model_type":"xlnet"})") << "model_type \"xlnet\" is not supported. Supported: bert";
    QTest::newRow("no type") << QByteArray(R"({"hidden_size":3})") << "\"model_type\" is missing";
    QTest::newRow("missing field") << QByteArray(R"({"model_type":"bert","vocab_size":10})") << "\"hidden_size\" is missing";
    QTest::newRow("heads") << QByteArray(R"({"model_type":"bert","vocab_size":10,"hidden_size":30,"num_hidden_layers":1,"num_attention_heads":4,"intermediate_size":8})") << "(4) must divide the hidden size (30)";
    QTest::newRow("kv heads") << QByteArray(R"({"model_type":"llama","vocab_size":10,"hidden_size":32,"num_hidden_layers":1,"num_attention_heads":4,"num_key_value_heads":3,"intermediate_size":8})") << "num_key_value_heads (3)";
    QTest::newRow("zero layers") << QByteArray(R"({"model_type":"gpt2","vocab_size":10,"n_embd":32,"n_layer":0,"n_head":4})") << "\"n_layer\" must be at least 1";
    QTest::newRow("rope scaling") << QByteArray(R"({"model_type":"llama","vocab_size":10,"hidden_size":32,"num_hidden_layers":1,"num_attention_heads":4,"intermediate_size":8,"rope_scaling":{"type":"linear","factor":2}})") << "rope_scaling";
    QTest::newRow("sliding window") << QByteArray(R"({"model_type":"mistral","vocab_size":10,"hidden_size":32,"num_hidden_layers":1,"num_attention_heads":4,"intermediate_size":8,"max_position_embeddings":4096,"sliding_window":1024})") << "sliding-window";
    QTest::newRow("activation") << QByteArray(R"({"model_type":"bert","vocab_size":10,"hidden_size":32,"num_hidden_layers":1,"num_attention_heads":4,"intermediate_size":8,"hidden_act":"mish"})") << "activation \"mish\"";
    QTest::newRow("fraction") << QByteArray(R"({"model_type":"bert","vocab_size":10.5})") << "\"vocab_size\" must be a whole number";
}

void TestModelCore::configErrorsNameTheField()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, expected);
    try {
        ModelConfig::fromJson(QJsonDocument::fromJson(json).object(), "model/config.json");
        QFAIL("accepted a bad config");
    } catch (const Error& e) {
        QVERIFY2(e.message().contains(expected), qPrintable(e.message()));
        QVERIFY(e.message().startsWith("model/config.json: "));
    }
}

void TestModelCore::inspectCountsFromHeaders()
{
    const QString dir = FTS_FIXTURES_DIR "/models/encoders/bert";
    const ModelInspection m = inspectModelFolder(dir);
    qint64 loaded = 0;
    for (const auto& [name, t] : loadSafetensors(dir + "/model.safetensors"))
        loaded += t.numel();
    QCOMPARE(m.parameters, loaded);
    qint64 rows = 0;
    for (const LayerRow& r : m.layers)
        rows += r.parameters;
    QCOMPARE(rows, m.parameters);
    QCOMPARE(m.layers.first().name, QString("embeddings"));
    QCOMPARE(m.layers[1].name, QString("layer 0"));
    QCOMPARE(m.layers[2].name, QString("layer 1"));
    QCOMPARE(m.config.modelType, QString("bert"));
    QVERIFY(m.toText().contains("parameters"));
    QCOMPARE(m.toJson().value("layers").toInt(), 2);
}

void TestModelCore::inspectRefusesPickles()
{
    QTemporaryDir dir;
    QFile cfg(dir.filePath("config.json"));
    QVERIFY(cfg.open(QIODevice::WriteOnly));
    cfg.write(R"({"model_type":"gpt2","vocab_size":10,"n_embd":8,"n_layer":1,"n_head":2})");
    cfg.close();
    QFile pickle(dir.filePath("pytorch_model.bin"));
    QVERIFY(pickle.open(QIODevice::WriteOnly));
    pickle.write("not really a pickle");
    pickle.close();
    try {
        inspectModelFolder(dir.path());
        QFAIL("accepted pickled weights");
    } catch (const Error& e) {
        QVERIFY2(e.message().contains("can run any code") && e.message().contains("safetensors"), qPrintable(e.message()));
    }
}

FTS_TEST_SUITE(TestModelCore)
#include "tst_modelcore.moc"
