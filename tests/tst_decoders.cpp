// Decoder families vs python3-torch references: logits, left padding, KV cache, tying, I/O, LoRA.
#include "Suite.h"
#include "ModelFixtures.h"
#include "Error.h"
#include "TestUtil.h"
#include "models/Decoder.h"
#include "models/Gpt2.h"
#include "models/Llama.h"
#include "models/Safetensors.h"
#include "models/StateDict.h"

#include <ATen/ATen.h>

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

using namespace fts;
using fts::test::decoderFixtureDir;
using fts::test::decoderReference;
using fts::test::maxAbsDiff;

namespace {

// Outputs of tests/fixtures/models/decoders/make_decoder_fixtures.py (a float64 reference).
constexpr double kLogitTolerance = 1e-4;
constexpr double kCacheTolerance = 1e-5;
constexpr double kBf16Tolerance = 0.5; // measured 0.09-0.23 here; bf16 kernels differ by CPU

TensorMap fixtureWeights(const QString& family)
{
    return loadSafetensors(decoderFixtureDir(family) + QStringLiteral("/model.safetensors"));
}

std::shared_ptr<DecoderModel> fixtureModel(const QString& family)
{
    auto model = loadDecoder(decoderFixtureDir(family));
    model->eval();
    return model;
}

void addFamilies()
{
    QTest::addColumn<QString>("family");
    QTest::newRow("gpt2 (tied)") << "gpt2";
    QTest::newRow("llama (GQA, untied)") << "llama";
    QTest::newRow("qwen2 (qkv bias, tied)") << "qwen2";
}

} // namespace

class TestDecoders : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void logitsMatchReference_data() { addFamilies(); }
    void logitsMatchReference();
    void paddedBatchMatchesReference_data() { addFamilies(); }
    void paddedBatchMatchesReference();
    void kvCacheMatchesFullForward_data() { addFamilies(); }
    void kvCacheMatchesFullForward();
    void bf16ForwardStaysClose_data() { addFamilies(); }
    void bf16ForwardStaysClose();
    void tiedEmbeddingsShareStorage();
    void untiedHeadIsSeparate();
    void saveLoadRoundTrip_data() { addFamilies(); }
    void saveLoadRoundTrip();
    void loraWithZeroBLeavesLogits_data() { addFamilies(); }
    void loraWithZeroBLeavesLogits();
    void loraTrainsOnlyAdapters();
    void missingWeightIsNamed();
    void unexpectedWeightIsNamed();
    void baseModelCheckpointLoads();
    void shardedCheckpointLoads();
    void pickleOnlyFolderIsRefused();
    void accessorsExposeLayers();
    void encoderConfigIsRefused();
    void badInputsAreReported();
};

void TestDecoders::logitsMatchReference()
{
    QFETCH(QString, family);
    torch::NoGradGuard noGrad;
    const TensorMap ref = decoderReference(family);
    const at::Tensor logits = fixtureModel(family)->forward(ref.at("input_ids"));
    QCOMPARE(logits.sizes(), ref.at("logits").sizes());
    const double diff = maxAbsDiff(logits, ref.at("logits"));
    qInfo("%s: max |logit - reference| = %.3g", qPrintable(family), diff);
    QVERIFY2(diff < kLogitTolerance, qPrintable(QString::number(diff)));
}

void TestDecoders::paddedBatchMatchesReference()
{
    QFETCH(QString, family);
    torch::NoGradGuard noGrad;
    const TensorMap ref = decoderReference(family);
    const at::Tensor mask = ref.at("padded_attention_mask");
    const at::Tensor logits = fixtureModel(family)->forward(ref.at("padded_input_ids"), mask);
    // Logits at padding positions mean nothing; the reference stores zeros there.
    const double diff = maxAbsDiff(logits * mask.unsqueeze(-1), ref.at("padded_logits"));
    qInfo("%s (left-padded): max |logit - reference| = %.3g", qPrintable(family), diff);
    QVERIFY2(diff < kLogitTolerance, qPrintable(QString::number(diff)));
}

void TestDecoders::kvCacheMatchesFullForward()
{
    QFETCH(QString, family);
    torch::NoGradGuard noGrad;
    const TensorMap ref = decoderReference(family);
    auto model = fixtureModel(family);
    for (const bool padded : {false, true}) {
        const at::Tensor ids = ref.at(padded ? "padded_input_ids" : "input_ids");
        const at::Tensor mask = padded ? ref.at("padded_attention_mask") : at::ones_like(ids);
        const at::Tensor full = model->forward(ids, mask);
        KvCache cache;
        // Prefill 5 tokens, then 1 token per call; the mask is passed HF-style (cached + new).
        std::vector<at::Tensor> pieces{
            model->forward(ids.slice(1, 0, 5), mask.slice(1, 0, 5), &cache)};
        for (int64_t t = 5; t < ids.size(1); ++t)
            pieces.push_back(
                model->forward(ids.slice(1, t, t + 1), mask.slice(1, 0, t + 1), &cache));
        QCOMPARE(cache.length(), ids.size(1));
        QCOMPARE(int64_t(cache.keys.size()), model->config().numLayers);
        QCOMPARE(cache.keys[0].size(1), model->config().numKvHeads);
        const at::Tensor stepwise = at::cat(pieces, 1) * mask.unsqueeze(-1);
        const double diff = maxAbsDiff(stepwise, full * mask.unsqueeze(-1));
        qInfo("%s%s: max |cached - full| = %.3g", qPrintable(family), padded ? " (padded)" : "",
              diff);
        QVERIFY2(diff < kCacheTolerance, qPrintable(QString::number(diff)));
    }
}

void TestDecoders::bf16ForwardStaysClose()
{
    QFETCH(QString, family);
    torch::NoGradGuard noGrad;
    const TensorMap ref = decoderReference(family);
    auto model = fixtureModel(family);
    model->to(at::kBFloat16);
    QCOMPARE(model->lmHeadWeight().scalar_type(), at::kBFloat16);
    const at::Tensor logits = model->forward(ref.at("input_ids"));
    QCOMPARE(logits.scalar_type(), at::kBFloat16);
    // bf16 keeps ~3 significant digits; the fixture logits spread about 1.8 around 0.
    const double diff = maxAbsDiff(logits, ref.at("logits"));
    qInfo("%s in bf16: max |logit - reference| = %.3g", qPrintable(family), diff);
    QVERIFY2(diff < kBf16Tolerance, qPrintable(QString::number(diff)));
}

void TestDecoders::tiedEmbeddingsShareStorage()
{
    torch::NoGradGuard noGrad;
    for (const QString family : {"gpt2", "qwen2"}) {
        auto model = fixtureModel(family);
        QVERIFY(model->config().tieWordEmbeddings);
        QCOMPARE(model->lmHeadWeight().data_ptr(), model->tokenEmbeddingWeight().data_ptr());
        const at::Tensor ids = decoderReference(family).at("input_ids");
        const at::Tensor before = model->forward(ids);
        model->tokenEmbeddingWeight()[7].add_(1.0);
        QVERIFY(at::equal(model->lmHeadWeight()[7], model->tokenEmbeddingWeight()[7]));
        const at::Tensor after = model->forward(ids);
        QVERIFY(maxAbsDiff(after.select(2, 7), before.select(2, 7)) > 0.1);
        QVERIFY(!model->weightsToSave().count("lm_head.weight"));
    }
}

void TestDecoders::untiedHeadIsSeparate()
{
    torch::NoGradGuard noGrad;
    auto model = fixtureModel("llama");
    QVERIFY(!model->config().tieWordEmbeddings);
    QVERIFY(model->lmHeadWeight().data_ptr() != model->tokenEmbeddingWeight().data_ptr());
    const at::Tensor head = model->lmHeadWeight().clone();
    model->tokenEmbeddingWeight().add_(1.0);
    QVERIFY(at::equal(model->lmHeadWeight(), head));
    QVERIFY(model->weightsToSave().count("lm_head.weight"));
}

void TestDecoders::saveLoadRoundTrip()
{
    QFETCH(QString, family);
    torch::NoGradGuard noGrad;
    auto model = fixtureModel(family);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString out = dir.filePath("saved");
    model->saveFolder(out);
    // The same names as the python-written checkpoint, which follows save_pretrained.
    const TensorMap original = loadSafetensors(decoderFixtureDir(family) + "/model.safetensors");
    const TensorMap saved = loadSafetensors(out + "/model.safetensors");
    QCOMPARE(saved.size(), original.size());
    for (const auto& [name, tensor] : original) {
        QVERIFY2(saved.count(name), name.c_str());
        QVERIFY2(at::equal(saved.at(name), tensor), name.c_str());
    }
    auto reloaded = loadDecoder(out);
    reloaded->eval();
    const at::Tensor ids = decoderReference(family).at("input_ids");
    QVERIFY(at::equal(reloaded->forward(ids), model->forward(ids)));
}

void TestDecoders::loraWithZeroBLeavesLogits()
{
    QFETCH(QString, family);
    torch::NoGradGuard noGrad;
    auto model = fixtureModel(family);
    const at::Tensor ids = decoderReference(family).at("input_ids");
    const at::Tensor before = model->forward(ids);
    int adapted = 0;
    for (const auto& [name, projection] : namedProjections(*model)) {
        const bool target = family == "gpt2" ? name.ends_with("attn.c_attn")
                                             : name.ends_with("q_proj") || name.ends_with("v_proj");
        if (target) {
            projection->enableLora(/*rank=*/4, /*alpha=*/8, /*dropout=*/0.0);
            ++adapted;
        }
    }
    QCOMPARE(adapted, family == "gpt2" ? 2 : 4);
    QVERIFY(at::equal(model->forward(ids), before));
    const std::string loraName = family == "gpt2" ? "transformer.h.1.attn.c_attn.lora_B.weight"
                                                  : "model.layers.1.self_attn.v_proj.lora_A.weight";
    QVERIFY2(model->weightsToSave().count(loraName), loraName.c_str());
}

void TestDecoders::loraTrainsOnlyAdapters()
{
    auto model = fixtureModel("llama");
    for (auto& p : model->parameters())
        p.set_requires_grad(false);
    for (const auto& [name, projection] : namedProjections(*model))
        if (name.ends_with("q_proj"))
            projection->enableLora(2, 4, 0.0);
    const at::Tensor ids = decoderReference("llama").at("input_ids");
    const at::Tensor logits = model->forward(ids);
    // Next-token loss on the fixture batch.
    const at::Tensor loss = at::cross_entropy_loss(logits.slice(1, 0, -1).reshape({-1, 100}),
                                                   ids.slice(1, 1).reshape({-1}));
    loss.backward();
    int withGrad = 0;
    for (const auto& item : model->named_parameters()) {
        const bool lora = item.key().find("lora_") != std::string::npos;
        QCOMPARE(item.value().grad().defined(), lora);
        withGrad += lora;
    }
    QCOMPARE(withGrad, 4);
    // B starts at zero, so only B gets a gradient signal through the product B A.
    const auto projections = namedProjections(*model);
    const auto q = std::find_if(projections.begin(), projections.end(), [](const auto& p) {
        return p.first.ends_with("0.self_attn.q_proj");
    });
    QVERIFY(q->second->loraB.grad().abs().sum().item<double>() > 0);
}

void TestDecoders::missingWeightIsNamed()
{
    TensorMap weights = fixtureWeights("llama");
    weights.erase("model.layers.1.mlp.up_proj.weight");
    auto model = makeDecoder(ModelConfig::load(decoderFixtureDir("llama")));
    try {
        model->loadWeights(weights, "test.safetensors");
        QFAIL("loaded a checkpoint with a missing weight");
    } catch (const Error& e) {
        QVERIFY2(e.message().contains("model.layers.1.mlp.up_proj.weight"),
                 qPrintable(e.message()));
        QVERIFY(e.message().startsWith("test.safetensors lacks 1 weight"));
    }
}

void TestDecoders::unexpectedWeightIsNamed()
{
    TensorMap weights = fixtureWeights("qwen2");
    weights.emplace("model.layers.0.self_attn.o_proj.bias", at::zeros({32}));
    auto model = makeDecoder(ModelConfig::load(decoderFixtureDir("qwen2")));
    try {
        model->loadWeights(weights, "test.safetensors");
        QFAIL("loaded a checkpoint with an extra weight");
    } catch (const Error& e) {
        QVERIFY2(e.message().contains("model.layers.0.self_attn.o_proj.bias"),
                 qPrintable(e.message()));
    }
    // A tied checkpoint that still carries lm_head.weight is fine, as in HF.
    weights.erase("model.layers.0.self_attn.o_proj.bias");
    weights.emplace("lm_head.weight", weights.at("model.embed_tokens.weight").clone());
    model->loadWeights(weights, "test.safetensors");
}

void TestDecoders::baseModelCheckpointLoads()
{
    torch::NoGradGuard noGrad;
    // GPT2Model checkpoints (as on the Hub) lack the "transformer." prefix, may hold mask buffers.
    TensorMap base;
    for (const auto& [name, tensor] : fixtureWeights("gpt2"))
        base.emplace(name.substr(std::string("transformer.").size()), tensor);
    base.emplace("h.0.attn.bias", at::ones({1, 1, 64, 64}));
    base.emplace("h.0.attn.masked_bias", at::tensor(-1e4));
    auto model = makeDecoder(ModelConfig::load(decoderFixtureDir("gpt2")));
    model->loadWeights(base, "gpt2-base.safetensors");
    model->eval();
    const TensorMap ref = decoderReference("gpt2");
    QVERIFY(maxAbsDiff(model->forward(ref.at("input_ids")), ref.at("logits")) < kLogitTolerance);
}

void TestDecoders::shardedCheckpointLoads()
{
    torch::NoGradGuard noGrad;
    QTemporaryDir dir;
    QVERIFY(QFile::copy(decoderFixtureDir("llama") + "/config.json", dir.filePath("config.json")));
    // Layer 1 in a second shard, as model.safetensors.index.json maps it.
    TensorMap first, second;
    QJsonObject map;
    for (const auto& [name, tensor] : fixtureWeights("llama")) {
        const bool late = name.rfind("model.layers.1.", 0) == 0;
        (late ? second : first).emplace(name, tensor);
        map.insert(QString::fromStdString(name),
                   late ? "model-00002-of-00002.safetensors" : "model-00001-of-00002.safetensors");
    }
    saveSafetensors(dir.filePath("model-00001-of-00002.safetensors"), first);
    saveSafetensors(dir.filePath("model-00002-of-00002.safetensors"), second);
    test::writeFile(dir.filePath("model.safetensors.index.json"),
                    QJsonDocument(QJsonObject{{"weight_map", map}}).toJson());
    auto model = loadDecoder(dir.path());
    model->eval();
    const TensorMap ref = decoderReference("llama");
    QVERIFY(maxAbsDiff(model->forward(ref.at("input_ids")), ref.at("logits")) < kLogitTolerance);
}

void TestDecoders::pickleOnlyFolderIsRefused()
{
    QTemporaryDir dir;
    QVERIFY(QFile::copy(decoderFixtureDir("gpt2") + "/config.json", dir.filePath("config.json")));
    QFile bin(dir.filePath("pytorch_model.bin"));
    QVERIFY(bin.open(QIODevice::WriteOnly));
    bin.write("not really a pickle");
    bin.close();
    try {
        loadDecoder(dir.path());
        QFAIL("opened a pickle-only folder");
    } catch (const Error& e) {
        QVERIFY2(e.message().contains("pickle") && e.message().contains("model.safetensors"),
                 qPrintable(e.message()));
    }
    QFile::remove(dir.filePath("pytorch_model.bin"));
    QVERIFY_THROWS_EXCEPTION(Error, loadDecoder(dir.path()));
}

void TestDecoders::accessorsExposeLayers()
{
    auto gpt2 = fixtureModel("gpt2");
    QCOMPARE(int(gpt2->layers().size()), 2);
    QCOMPARE(int(gpt2->embeddings().size()), 2); // wte and wpe
    auto llama = fixtureModel("llama");
    QCOMPARE(int(llama->layers().size()), 2);
    QCOMPARE(int(llama->embeddings().size()), 1);
    // Freezing the first block through the accessor freezes exactly its named parameters.
    for (auto& p : llama->layers()[0]->parameters())
        p.set_requires_grad(false);
    for (const auto& item : llama->named_parameters())
        QCOMPARE(item.value().requires_grad(), item.key().rfind("model.layers.0.", 0) != 0);
    QCOMPARE(int(namedProjections(*llama).size()), 2 * 7);
}

void TestDecoders::encoderConfigIsRefused()
{
    const QJsonObject bert{{"model_type", "bert"},     {"vocab_size", 10},
                           {"hidden_size", 8},         {"num_hidden_layers", 1},
                           {"num_attention_heads", 2}, {"intermediate_size", 8}};
    try {
        makeDecoder(ModelConfig::fromJson(bert));
        QFAIL("made a decoder from a BERT config");
    } catch (const Error& e) {
        QVERIFY2(e.message().contains("encoder"), qPrintable(e.message()));
    }
}

void TestDecoders::badInputsAreReported()
{
    torch::NoGradGuard noGrad;
    auto model = fixtureModel("gpt2");
    QVERIFY_THROWS_EXCEPTION(Error, model->forward(at::zeros({3}, at::kLong)));
    QVERIFY_THROWS_EXCEPTION(Error,
                             model->forward(at::zeros({1, 65}, at::kLong))); // n_positions 64
    QVERIFY_THROWS_EXCEPTION(Error, model->forward(at::zeros({2, 4}, at::kLong), at::ones({2, 3})));
    KvCache cache;
    model->forward(at::zeros({2, 4}, at::kLong), {}, &cache);
    QVERIFY_THROWS_EXCEPTION(Error, model->forward(at::zeros({1, 1}, at::kLong), {}, &cache));
}

FTS_TEST_SUITE(TestDecoders)
#include "tst_decoders.moc"
