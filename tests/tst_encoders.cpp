// Encoder families and heads vs python3-torch references from an independent forward pass.
#include "Suite.h"
#include "ModelFixtures.h"
#include "Error.h"
#include "models/Activations.h"
#include "models/Bert.h"
#include "models/DistilBert.h"
#include "models/Encoder.h"
#include "models/Roberta.h"
#include "models/Safetensors.h"
#include "models/SequenceClassifier.h"
#include "models/StateDict.h"

#include "TestUtil.h"

#include <ATen/ATen.h>

#include <QDir>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <set>

using namespace fts;
using fts::test::encoderFixtureDir;
using fts::test::encoderReference;
using fts::test::maxAbsDiff;

namespace {

// fp32 agreement required with the python reference (two different summation orders).
constexpr double kTolerance = 1e-4;

at::Tensor tokenTypes(const TensorMap& ref)
{
    const auto it = ref.find("token_type_ids");
    return it == ref.end() ? at::Tensor() : it->second;
}

std::set<std::string> keysOf(const TensorMap& map)
{
    std::set<std::string> out;
    for (const auto& [name, tensor] : map)
        out.insert(name);
    return out;
}

void copyConfig(const QString& family, const QString& toDir)
{
    QFile::copy(encoderFixtureDir(family) + QStringLiteral("/config.json"),
                toDir + QStringLiteral("/config.json"));
}

using test::errorOf;

} // namespace

class TestEncoders : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void activationsMatchHandValues_data();
    void activationsMatchHandValues();
    void unknownActivationIsNamed();
    void familiesMatchReference_data();
    void familiesMatchReference();
    void paddingDoesNotChangeTokens_data();
    void paddingDoesNotChangeTokens();
    void robertaPositionsSkipPadding();
    void distilbertSinusoidalPositions();
    void dropoutFollowsTrainEval();
    void headNamesEqualCheckpoint_data();
    void headNamesEqualCheckpoint();
    void saveLoadRoundTrip_data();
    void saveLoadRoundTrip();
    void baseCheckpointWithPretrainingHeads_data();
    void baseCheckpointWithPretrainingHeads();
    void missingWeightsAreNamed();
    void missingPoolerIsInitialised();
    void pickledWeightsAreRefused();
    void shardedCheckpointLoads();
    void bf16PaddingStaysFinite();
    void decoderIsNotAnEncoder();
    void lossesMatchHandValues();
    void poolingMatchesHandValues();
    void meanPoolingHead_data();
    void meanPoolingHead();
    void unknownPoolingIsRefused();
    void encoderExposesLayers();
};

void TestEncoders::activationsMatchHandValues_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<double>("at1");
    QTest::addColumn<double>("atMinus1");
    // Values from the closed forms: 0.5 x (1 + erf(x/sqrt2)), the tanh form, max(0, x), x
    // sigmoid(x).
    QTest::newRow("gelu") << "gelu" << 0.8413447460685429 << -0.15865525393145707;
    QTest::newRow("gelu_new") << "gelu_new" << 0.8411919906082768 << -0.15880800939172324;
    QTest::newRow("gelu_pytorch_tanh")
        << "gelu_pytorch_tanh" << 0.8411919906082768 << -0.15880800939172324;
    QTest::newRow("relu") << "relu" << 1.0 << 0.0;
    QTest::newRow("silu") << "silu" << 0.7310585786300049 << -0.2689414213699951;
    QTest::newRow("swish") << "swish" << 0.7310585786300049 << -0.2689414213699951;
}

void TestEncoders::activationsMatchHandValues()
{
    QFETCH(QString, name);
    QFETCH(double, at1);
    QFETCH(double, atMinus1);
    const at::Tensor y = activationByName(name)(at::tensor({1.0, -1.0}, at::kDouble));
    QVERIFY(std::abs(y[0].item<double>() - at1) < 1e-12);
    QVERIFY(std::abs(y[1].item<double>() - atMinus1) < 1e-12);
}

void TestEncoders::unknownActivationIsNamed()
{
    const QString message = errorOf([] { activationByName(QStringLiteral("mish")); });
    QVERIFY(message.contains(QLatin1String("mish")));
    QVERIFY(message.contains(QLatin1String("gelu_new")));
}

void TestEncoders::familiesMatchReference_data()
{
    QTest::addColumn<QString>("family");
    QTest::newRow("bert") << "bert";
    QTest::newRow("distilbert") << "distilbert";
    QTest::newRow("roberta") << "roberta";
}

void TestEncoders::familiesMatchReference()
{
    QFETCH(QString, family);
    ClassifierLoadReport report;
    SequenceClassifier model = loadSequenceClassifier(encoderFixtureDir(family), QStringList(),
                                                      ProblemType::SingleLabel, &report);
    QVERIFY(report.unused.empty());
    QVERIFY(report.initialised.empty());
    model->eval();
    torch::NoGradGuard noGrad;
    const TensorMap ref = encoderReference(family);
    const at::Tensor ids = ref.at("input_ids"), mask = ref.at("attention_mask");
    const at::Tensor hidden = model->encoder()->forward(ids, mask, tokenTypes(ref));
    const at::Tensor logits = model->forward(ids, mask, tokenTypes(ref));
    QCOMPARE(hidden.sizes(), ref.at("last_hidden_state").sizes());
    const double hiddenDiff = maxAbsDiff(hidden, ref.at("last_hidden_state"));
    const double logitDiff = maxAbsDiff(logits, ref.at("logits"));
    qInfo("%s: max |diff| last_hidden_state %.3g, logits %.3g", qPrintable(family), hiddenDiff,
          logitDiff);
    QVERIFY2(hiddenDiff < kTolerance, qPrintable(QString::number(hiddenDiff)));
    QVERIFY2(logitDiff < kTolerance, qPrintable(QString::number(logitDiff)));
}

void TestEncoders::paddingDoesNotChangeTokens_data()
{
    familiesMatchReference_data();
}

// Each padded row, run alone without its padding, gives the same hidden states for its tokens.
void TestEncoders::paddingDoesNotChangeTokens()
{
    QFETCH(QString, family);
    SequenceClassifier model = loadSequenceClassifier(encoderFixtureDir(family), QStringList());
    model->eval();
    torch::NoGradGuard noGrad;
    const TensorMap ref = encoderReference(family);
    const at::Tensor ids = ref.at("input_ids"), mask = ref.at("attention_mask");
    const at::Tensor types = tokenTypes(ref);
    const at::Tensor batched = model->encoder()->forward(ids, mask, types);
    for (int64_t row = 0; row < ids.size(0); ++row) {
        const int64_t n = mask[row].sum().item<int64_t>();
        QVERIFY(n < ids.size(1) || row == 0);
        const at::Tensor rowIds = ids.slice(0, row, row + 1).slice(1, 0, n);
        const at::Tensor rowTypes =
            types.defined() ? types.slice(0, row, row + 1).slice(1, 0, n) : types;
        const at::Tensor alone = model->encoder()->forward(rowIds, at::Tensor(), rowTypes);
        QVERIFY(maxAbsDiff(alone[0], batched[row].slice(0, 0, n)) < 1e-5);
    }
}

void TestEncoders::robertaPositionsSkipPadding()
{
    // Hand-computed: pad id 1; real tokens count up from 2, padding keeps position 1.
    const at::Tensor ids = at::tensor({0, 5, 6, 2, 1, 1}, at::kLong).view({1, 6});
    const at::Tensor expected = at::tensor({2, 3, 4, 5, 1, 1}, at::kLong).view({1, 6});
    QVERIFY(at::equal(RobertaModelImpl::positionIds(ids, 1), expected));
}

void TestEncoders::distilbertSinusoidalPositions()
{
    const at::Tensor expected = encoderReference(QStringLiteral("distilbert")).at("sinusoidal_positions");
    const at::Tensor table =
        DistilBertModelImpl::sinusoidalPositions(expected.size(0), expected.size(1));
    QVERIFY(maxAbsDiff(table, expected) < 1e-6);
    ModelConfig config = ModelConfig::load(encoderFixtureDir(QStringLiteral("distilbert")));
    config.sinusoidalPositions = true;
    DistilBertModel model(config);
    const TensorMap sd = stateDict(*model);
    const at::Tensor weight = sd.at("embeddings.position_embeddings.weight");
    QVERIFY(maxAbsDiff(weight, expected) < 1e-6);
    for (const auto& item : model->named_parameters())
        if (item.key() == "embeddings.position_embeddings.weight")
            QVERIFY(!item.value().requires_grad());
}

void TestEncoders::dropoutFollowsTrainEval()
{
    SequenceClassifier model =
        loadSequenceClassifier(encoderFixtureDir(QStringLiteral("bert")), QStringList());
    const TensorMap ref = encoderReference(QStringLiteral("bert"));
    torch::NoGradGuard noGrad;
    torch::manual_seed(7);
    model->train();
    const at::Tensor a = model->forward(ref.at("input_ids"), ref.at("attention_mask"));
    const at::Tensor b = model->forward(ref.at("input_ids"), ref.at("attention_mask"));
    QVERIFY(!at::equal(a, b));
    model->eval();
    QVERIFY(at::equal(model->forward(ref.at("input_ids"), ref.at("attention_mask")),
                      model->forward(ref.at("input_ids"), ref.at("attention_mask"))));
}

void TestEncoders::headNamesEqualCheckpoint_data()
{
    familiesMatchReference_data();
}

// The fixtures are named by the python script after HF's *ForSequenceClassification layouts.
void TestEncoders::headNamesEqualCheckpoint()
{
    QFETCH(QString, family);
    const TensorMap file =
        loadSafetensors(encoderFixtureDir(family) + QStringLiteral("/model.safetensors"));
    SequenceClassifier model = loadSequenceClassifier(encoderFixtureDir(family), QStringList());
    QVERIFY(keysOf(stateDict(*model)) == keysOf(file));
}

void TestEncoders::saveLoadRoundTrip_data()
{
    familiesMatchReference_data();
}

void TestEncoders::saveLoadRoundTrip()
{
    QFETCH(QString, family);
    const QStringList labels{"spam", "ham", "eggs", "bacon"};
    SequenceClassifier model =
        loadSequenceClassifier(encoderFixtureDir(family), labels, ProblemType::MultiLabel);
    model->eval();
    QTemporaryDir tmp;
    saveSequenceClassifier(*model, tmp.path());
    ClassifierLoadReport report;
    SequenceClassifier again =
        loadSequenceClassifier(tmp.path(), QStringList(), ProblemType::MultiLabel, &report);
    again->eval();
    QVERIFY(report.unused.empty() && report.initialised.empty());
    const TensorMap ref = encoderReference(family);
    torch::NoGradGuard noGrad;
    QVERIFY(
        at::equal(model->forward(ref.at("input_ids"), ref.at("attention_mask"), tokenTypes(ref)),
                  again->forward(ref.at("input_ids"), ref.at("attention_mask"), tokenTypes(ref))));
    QFile f(tmp.filePath(QStringLiteral("config.json")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject json = QJsonDocument::fromJson(f.readAll()).object();
    QCOMPARE(json.value("id2label").toObject().value("2").toString(), QStringLiteral("eggs"));
    QCOMPARE(json.value("label2id").toObject().value("bacon").toInt(), 3);
    QCOMPARE(json.value("problem_type").toString(), QStringLiteral("multi_label_classification"));
    QCOMPARE(json.value("architectures").toArray().first().toString(),
             model->config().architectures.first());
    QVERIFY(json.value("architectures")
                .toArray()
                .first()
                .toString()
                .endsWith("ForSequenceClassification"));
}

void TestEncoders::baseCheckpointWithPretrainingHeads_data()
{
    QTest::addColumn<bool>("prefixed");
    QTest::newRow("bert.-prefixed keys (BertForPreTraining)") << true;
    QTest::newRow("bare keys (BertModel)") << false;
}

// A pre-training checkpoint: backbone plus cls.* heads, no classifier. The classifier is new.
void TestEncoders::baseCheckpointWithPretrainingHeads()
{
    QFETCH(bool, prefixed);
    TensorMap base;
    for (const auto& [name, t] : loadSafetensors(encoderFixtureDir("bert") + "/model.safetensors"))
        if (name.rfind("bert.", 0) == 0)
            base.emplace(prefixed ? name : name.substr(5), t);
    base.emplace("cls.predictions.bias", at::zeros({100}));
    base.emplace("cls.predictions.transform.dense.weight", at::zeros({32, 32}));
    QTemporaryDir tmp;
    saveSafetensors(tmp.filePath("model.safetensors"), base);
    copyConfig("bert", tmp.path());

    ClassifierLoadReport report;
    SequenceClassifier model = loadSequenceClassifier(tmp.path(), QStringList{"a", "b"},
                                                      ProblemType::SingleLabel, &report);
    QCOMPARE(
        std::set<std::string>(report.unused.begin(), report.unused.end()),
        (std::set<std::string>{"cls.predictions.bias", "cls.predictions.transform.dense.weight"}));
    QCOMPARE(std::set<std::string>(report.initialised.begin(), report.initialised.end()),
             (std::set<std::string>{"classifier.bias", "classifier.weight"}));
    const TensorMap sd = stateDict(*model);
    QVERIFY(at::equal(sd.at("classifier.bias"), at::zeros({2})));
    const double std = sd.at("classifier.weight").std().item<double>();
    QVERIFY2(std > 0.01 && std < 0.04,
             qPrintable(QString::number(std))); // normal(0, 0.02), 64 draws
    model->eval();
    torch::NoGradGuard noGrad;
    const TensorMap ref = encoderReference("bert");
    const at::Tensor hidden = model->encoder()->forward(
        ref.at("input_ids"), ref.at("attention_mask"), ref.at("token_type_ids"));
    QVERIFY(maxAbsDiff(hidden, ref.at("last_hidden_state")) < kTolerance);
}

void TestEncoders::missingWeightsAreNamed()
{
    TensorMap weights = loadSafetensors(encoderFixtureDir("roberta") + "/model.safetensors");
    weights.erase("roberta.encoder.layer.1.output.dense.weight");
    QTemporaryDir tmp;
    saveSafetensors(tmp.filePath("model.safetensors"), weights);
    copyConfig("roberta", tmp.path());
    const QString message = errorOf([&] { loadSequenceClassifier(tmp.path(), QStringList()); });
    QVERIFY2(message.contains("roberta.encoder.layer.1.output.dense.weight"), qPrintable(message));
    QVERIFY(message.contains("config.json"));
}

// HF re-initialises a pooler a checkpoint lacks (with a warning): so does the studio, and says so.
void TestEncoders::missingPoolerIsInitialised()
{
    TensorMap weights = loadSafetensors(encoderFixtureDir("bert") + "/model.safetensors");
    weights.erase("bert.pooler.dense.weight");
    weights.erase("bert.pooler.dense.bias");
    QTemporaryDir tmp;
    saveSafetensors(tmp.filePath("model.safetensors"), weights);
    copyConfig("bert", tmp.path());
    ClassifierLoadReport report;
    SequenceClassifier model =
        loadSequenceClassifier(tmp.path(), QStringList(), ProblemType::SingleLabel, &report);
    QCOMPARE(std::set<std::string>(report.initialised.begin(), report.initialised.end()),
             (std::set<std::string>{"bert.pooler.dense.bias", "bert.pooler.dense.weight"}));
    QVERIFY(report.unused.empty());
    QVERIFY(at::equal(stateDict(*model).at("bert.pooler.dense.bias"), at::zeros({32})));
}

void TestEncoders::pickledWeightsAreRefused()
{
    QTemporaryDir tmp;
    copyConfig("distilbert", tmp.path());
    test::writeFile(tmp.filePath("pytorch_model.bin"), "not read");
    const QString message = errorOf([&] { loadSequenceClassifier(tmp.path(), 2); });
    QVERIFY2(message.contains("pickle") && message.contains("safetensors"), qPrintable(message));
}

void TestEncoders::shardedCheckpointLoads()
{
    // Two shards and the index HF writes for large models (weight name -> shard file).
    TensorMap first, second;
    QJsonObject weightMap;
    for (const auto& [name, t] : loadSafetensors(encoderFixtureDir("distilbert") + "/model.safetensors")) {
        const bool early = name.find("layer.1.") == std::string::npos;
        (early ? first : second).emplace(name, t);
        weightMap.insert(QString::fromStdString(name), early ? "model-00001-of-00002.safetensors"
                                                             : "model-00002-of-00002.safetensors");
    }
    QTemporaryDir tmp;
    saveSafetensors(tmp.filePath("model-00001-of-00002.safetensors"), first);
    saveSafetensors(tmp.filePath("model-00002-of-00002.safetensors"), second);
    test::writeFile(
        tmp.filePath("model.safetensors.index.json"),
        QJsonDocument(QJsonObject{{"metadata", QJsonObject()}, {"weight_map", weightMap}})
            .toJson());
    copyConfig("distilbert", tmp.path());
    SequenceClassifier model = loadSequenceClassifier(tmp.path(), QStringList());
    model->eval();
    torch::NoGradGuard noGrad;
    const TensorMap ref = encoderReference("distilbert");
    const at::Tensor logits = model->forward(ref.at("input_ids"), ref.at("attention_mask"));
    QVERIFY(maxAbsDiff(logits, ref.at("logits")) < kTolerance);
}

// In bf16 the padding bias must stay finite (float's lowest value rounds to -inf in bf16).
void TestEncoders::bf16PaddingStaysFinite()
{
    SequenceClassifier model = loadSequenceClassifier(encoderFixtureDir("bert"), QStringList());
    model->eval();
    model->to(at::kBFloat16);
    torch::NoGradGuard noGrad;
    const TensorMap ref = encoderReference("bert");
    const at::Tensor logits =
        model->forward(ref.at("input_ids"), ref.at("attention_mask"), ref.at("token_type_ids"));
    QVERIFY(at::isfinite(logits).all().item<bool>());
    // bf16 keeps ~3 significant digits; the fp32 reference logits are below 1 in magnitude.
    QVERIFY(maxAbsDiff(logits.to(at::kFloat), ref.at("logits")) < 0.1);
    const at::Tensor bias = attentionBias(ref.at("attention_mask"), at::kBFloat16);
    QVERIFY(at::isfinite(bias).all().item<bool>());
}

void TestEncoders::decoderIsNotAnEncoder()
{
    const ModelConfig gpt2 = ModelConfig::fromJson(QJsonObject{
        {"model_type", "gpt2"}, {"vocab_size", 10}, {"n_embd", 8}, {"n_layer", 1}, {"n_head", 2}});
    QVERIFY(errorOf([&] { makeEncoder(gpt2); }).contains("gpt2"));
}

void TestEncoders::lossesMatchHandValues()
{
    SequenceClassifier single = loadSequenceClassifier(encoderFixtureDir("bert"), 3);
    SequenceClassifier multi =
        loadSequenceClassifier(encoderFixtureDir("bert"), 2, ProblemType::MultiLabel);
    SequenceClassifier regression =
        loadSequenceClassifier(encoderFixtureDir("bert"), QStringList(), ProblemType::Regression);
    QCOMPARE(regression->numLabels(), int64_t(1));
    // Cross-entropy of logits (2, 0, 0) for class 0: log(1 + 2 e^-2) = 0.2395447...
    const double ce =
        single->loss(at::tensor({2.0f, 0.0f, 0.0f}).view({1, 3}), at::tensor({0L})).item<double>();
    QVERIFY(std::abs(ce - 0.23954472) < 1e-6);
    // Binary cross-entropy of logit 0 (p = 0.5) is log 2 whatever the target.
    const double bce =
        multi->loss(at::zeros({1, 2}), at::tensor({1.0f, 0.0f}).view({1, 2})).item<double>();
    QVERIFY(std::abs(bce - 0.69314718) < 1e-6);
    // Squared errors (3 - 1)^2 and (0 - 0)^2, mean 2.
    const double mse =
        regression->loss(at::tensor({3.0f, 0.0f}).view({2, 1}), at::tensor({1.0f, 0.0f}))
            .item<double>();
    QVERIFY(std::abs(mse - 2.0) < 1e-6);
    QVERIFY(std::abs(multi->predict(at::zeros({1, 2}))[0][1].item<double>() - 0.5) < 1e-7);
}

void TestEncoders::poolingMatchesHandValues()
{
    // Two rows of 3 tokens, H = 2; row 1 has one padding token.
    const at::Tensor h =
        at::tensor({1.f, 2.f, 3.f, 4.f, 5.f, 6.f, 7.f, 8.f, 9.f, 10.f, 100.f, 100.f})
            .view({2, 3, 2});
    const at::Tensor mask = at::tensor({1L, 1L, 1L, 1L, 1L, 0L}).view({2, 3});
    const at::Tensor mean = poolFeatures(h, mask, Pooling::Mean);
    QVERIFY(at::allclose(mean, at::tensor({3.f, 4.f, 8.f, 9.f}).view({2, 2})));
    const at::Tensor first = poolFeatures(h, mask, Pooling::FirstToken);
    QVERIFY(at::equal(first, at::tensor({1.f, 2.f, 7.f, 8.f}).view({2, 2})));
}

void TestEncoders::meanPoolingHead_data()
{
    familiesMatchReference_data();
}

// classifier_pooling "mean": the head reads the masked mean of the last hidden state, so padding
// does not move a row's logits; the setting survives a save.
void TestEncoders::meanPoolingHead()
{
    QFETCH(QString, family);
    QTemporaryDir tmp;
    for (const QFileInfo& f : QDir(encoderFixtureDir(family)).entryInfoList(QDir::Files))
        QVERIFY(QFile::copy(f.filePath(), tmp.filePath(f.fileName())));
    ModelConfig config = ModelConfig::load(tmp.path());
    QCOMPARE(config.classifierPooling, QStringLiteral("cls"));
    config.classifierPooling = QStringLiteral("mean");
    config.save(tmp.path());
    SequenceClassifier model = loadSequenceClassifier(tmp.path(), QStringList());
    QCOMPARE(model->config().classifierPooling, QStringLiteral("mean"));
    SequenceClassifier firstToken = loadSequenceClassifier(encoderFixtureDir(family), QStringList());
    model->eval();
    firstToken->eval();
    torch::NoGradGuard noGrad;
    const TensorMap ref = encoderReference(family);
    const at::Tensor ids = ref.at("input_ids"), mask = ref.at("attention_mask");
    const at::Tensor types = tokenTypes(ref);
    const at::Tensor logits = model->forward(ids, mask, types);
    const at::Tensor hidden = model->encoder()->forward(ids, mask, types);
    const at::Tensor m = mask.to(at::kFloat).unsqueeze(-1);
    const at::Tensor expected = model->headOnFeatures((hidden * m).sum(1) / m.sum(1));
    QVERIFY(maxAbsDiff(logits, expected) < 1e-6);
    QVERIFY(maxAbsDiff(logits, firstToken->forward(ids, mask, types)) > 1e-4);
    for (int64_t row = 0; row < ids.size(0); ++row) {
        const int64_t n = mask[row].sum().item<int64_t>();
        const at::Tensor rowTypes =
            types.defined() ? types.slice(0, row, row + 1).slice(1, 0, n) : types;
        const at::Tensor alone =
            model->forward(ids.slice(0, row, row + 1).slice(1, 0, n), at::Tensor(), rowTypes);
        QVERIFY(maxAbsDiff(alone[0], logits[row]) < 1e-5);
    }
    QTemporaryDir saved;
    saveSequenceClassifier(*model, saved.path());
    QCOMPARE(ModelConfig::load(saved.path()).classifierPooling, QStringLiteral("mean"));
}

void TestEncoders::unknownPoolingIsRefused()
{
    QFile f(encoderFixtureDir(QStringLiteral("bert")) + QStringLiteral("/config.json"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QJsonObject json = QJsonDocument::fromJson(f.readAll()).object();
    json.insert(QStringLiteral("classifier_pooling"), QStringLiteral("max"));
    const QString message = errorOf([&] { ModelConfig::fromJson(json, QStringLiteral("c.json")); });
    QVERIFY2(message.contains(QLatin1String("classifier_pooling")) &&
                 message.contains(QLatin1String("\"mean\"")) &&
                 message.contains(QLatin1String("\"max\"")),
             qPrintable(message));
}

void TestEncoders::encoderExposesLayers()
{
    for (const QString& family : {"bert", "distilbert", "roberta"}) {
        const ModelConfig config = ModelConfig::load(encoderFixtureDir(family));
        const auto encoder = makeEncoder(config);
        QCOMPARE(encoder->numLayers(), int64_t(2));
        QCOMPARE(encoder->hiddenSize(), int64_t(32));
        QCOMPARE(int(encoder->layers().size()), 2);
        // 100 x 32 word embeddings are inside embeddings(), whatever the family.
        bool found = false;
        for (const auto& p : encoder->embeddings()->parameters())
            found = found || p.sizes().equals({100, 32});
        QVERIFY(found);
    }
}

FTS_TEST_SUITE(TestEncoders)
#include "tst_encoders.moc"
