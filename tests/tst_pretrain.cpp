// Pre-training: the corpus builder on a slice, tokenizer training through the sentencepiece shim,
// packing boundaries, MLM masking statistics, the loop (resume == uninterrupted, NaN guard) and
// output folders that load back through the studio's own loaders.
#include "Suite.h"
#include "Error.h"
#include "models/Decoder.h"
#include "models/Safetensors.h"
#include "models/SequenceClassifier.h"
#include "models/StateDict.h"
#include "pretrain/Corpus.h"
#include "pretrain/MaskedLm.h"
#include "pretrain/Packing.h"
#include "pretrain/Pretrainer.h"
#include "pretrain/TokenizerTraining.h"
#include "tokenize/Tokenizer.h"
#include "train/TextTokenizer.h"

#include "TestUtil.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace fts;

namespace {

const QString kCorpusDir = QStringLiteral(FTS_FIXTURES_DIR "/corpus");

QStringList sampleDocuments()
{
    return readCorpus({kCorpusDir + QStringLiteral("/wordnet-sample.txt")});
}

PretrainOptions tinyOptions(const QString& family, const QString& outDir)
{
    PretrainOptions o;
    o.documents = sampleDocuments();
    o.outDir = outDir;
    o.family = family;
    o.preset = QStringLiteral("tiny");
    o.tokenizer.vocabSize = 400;
    o.tokenizer.threads = 1;
    o.blockSize = 32;
    o.batchSize = 8;
    o.maxSteps = 4;
    o.lr = 1e-3;
    o.evalBlocks = 8;
    o.checkpointEvery = 0;
    o.seed = 3;
    return o;
}

} // namespace

class TestPretrain : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_tmp;
    QString m_bert, m_llama; // tiny models made by fromScratch*, reused as bases

private Q_SLOTS:
    void corpusBuilderOnSlice();
    void readCorpusLinesAndParagraphs();
    void tokenizerTrainingBertStyle();
    void tokenizerTrainingLlamaStyleBpe();
    void packingKeepsBoundaries();
    void mlmHeadMatchesReference();
    void maskingStatistics();
    void maskingIsReproducible();
    void fromScratchBert();
    void fromScratchLlama();
    void resumeEqualsUninterrupted_data();
    void resumeEqualsUninterrupted();
    void nanGuard();
    void resumeRefusesOtherSettings();
    void finishNowWritesTheCheckpoint();
    void heldOutPerplexityDuringTheRun();
    void validationNamesTheRange_data();
    void validationNamesTheRange();
    void validationChecksTheBaseModel();
};

void TestPretrain::corpusBuilderOnSlice()
{
    if (QStandardPaths::findExecutable(QStringLiteral("python3")).isEmpty())
        QSKIP("python3 is not installed; the corpus builder needs it");
    const QString out = m_tmp.filePath(QStringLiteral("slice.txt"));
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("WORDNET_DIR"), kCorpusDir + QStringLiteral("/wordnet"));
    env.insert(QStringLiteral("GCIDE_DICT"), kCorpusDir + QStringLiteral("/gcide-slice.txt"));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(FTS_SOURCE_DIR "/scripts/build-corpus.sh"), {out});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 0);
    QFile got(out), expected(kCorpusDir + QStringLiteral("/expected-corpus.txt"));
    QVERIFY(got.open(QIODevice::ReadOnly) && expected.open(QIODevice::ReadOnly));
    const QByteArray text = got.readAll();
    QCOMPARE(text, expected.readAll());
    // Markup gone, the duplicate entry dropped.
    QVERIFY(!text.contains("[1913 Webster]") && !text.contains('{') && !text.contains('\\'));
    QCOMPARE(text.count("Quiet (a)"), 1);
}

void TestPretrain::readCorpusLinesAndParagraphs()
{
    const QString file = m_tmp.filePath(QStringLiteral("docs/a.txt"));
    QDir().mkpath(m_tmp.filePath(QStringLiteral("docs/sub")));
    test::writeFile(file, "first  line\nsecond line\n\n  third\tline  \nfourth\n");
    test::writeFile(m_tmp.filePath(QStringLiteral("docs/sub/b.md")), "from b\n");
    test::writeFile(m_tmp.filePath(QStringLiteral("docs/ignored.csv")), "x,y\n");
    QCOMPARE(readCorpus({file}),
             QStringList({"first line", "second line", "third line", "fourth"}));
    CorpusOptions paragraphs;
    paragraphs.paragraphs = true;
    QCOMPARE(readCorpus({file}, paragraphs),
             QStringList({"first line second line", "third line fourth"}));
    QCOMPARE(readCorpus({m_tmp.filePath(QStringLiteral("docs"))}).size(), 5);
    CorpusOptions limited;
    limited.maxDocuments = 2;
    QCOMPARE(readCorpus({file}, limited).size(), 2);
    QVERIFY(test::errorOf([&] {
                readCorpus({m_tmp.filePath(QStringLiteral("nope"))});
            }).contains(QStringLiteral("does not exist")));
}

void TestPretrain::tokenizerTrainingBertStyle()
{
    const QString dir = m_tmp.filePath(QStringLiteral("tok-bert"));
    TokenizerTrainingOptions o;
    o.vocabSize = 300;
    o.threads = 1;
    // One rare character among thousands: sentencepiece's 0.9995 coverage would map it to [UNK].
    QStringList docs = sampleDocuments();
    docs << QStringLiteral("what a wonderful day!");
    trainTokenizer(docs, dir, o);
    for (const char* f : {"tokenizer.model", "tokenizer_config.json", "special_tokens_map.json"})
        QVERIFY2(QFile::exists(QDir(dir).filePath(QLatin1String(f))), f);
    const auto tok = loadTokenizer(dir);
    QCOMPARE(tok->kind(), QStringLiteral("sentencepiece"));
    QCOMPARE(tok->vocabSize(), 300);
    QCOMPARE(tok->padId(), 0);
    QCOMPARE(tok->unkId(), 1);
    QCOMPARE(tok->clsId(), 2);
    QCOMPARE(tok->sepId(), 3);
    QCOMPARE(tok->maskId(), 4);
    QCOMPARE(tok->idToToken(4), QStringLiteral("[MASK]"));
    const QString text = QStringLiteral("a general concept formed by extracting features");
    const Encoding e = tok->encode(text);
    QCOMPARE(e.ids.front(), 2);
    QCOMPARE(e.ids.back(), 3);
    QCOMPARE(tok->decode(e.ids, /*skipSpecialTokens=*/true), text);
    const Encoding bang = tok->encode(QStringLiteral("great!"));
    QVERIFY(std::find(bang.ids.begin(), bang.ids.end(), tok->unkId()) == bang.ids.end());
    QCOMPARE(tok->decode(bang.ids, true), QStringLiteral("great!"));
    o.characterCoverage = 0.5;
    QVERIFY_THROWS_EXCEPTION(Error, trainTokenizer(docs, dir + QStringLiteral("-bad"), o));
    // The classifier frames its inputs with the same tokens.
    const auto model = loadModelTokenizer(dir);
    QCOMPARE(model->clsId(), 2);
    QCOMPARE(model->sepId(), 3);
    QCOMPARE(model->padId(), 0);
}

void TestPretrain::tokenizerTrainingLlamaStyleBpe()
{
    const QString dir = m_tmp.filePath(QStringLiteral("tok-llama"));
    TokenizerTrainingOptions o;
    o.vocabSize = 300;
    o.algorithm = QStringLiteral("bpe");
    o.style = TokenizerStyle::Llama;
    o.threads = 1;
    // 256 byte pieces + the sample's characters do not fit in 300: the message says what does.
    const QString tooSmall = test::errorOf([&] { trainTokenizer(sampleDocuments(), dir, o); });
    QVERIFY2(tooSmall.contains("too small") && tooSmall.contains("256 byte pieces"), qPrintable(tooSmall));
    o.vocabSize = 400;
    trainTokenizer(sampleDocuments(), dir, o);
    const auto tok = loadTokenizer(dir);
    QCOMPARE(tok->unkId(), 0);
    QCOMPARE(tok->bosId(), 1);
    QCOMPARE(tok->eosId(), 2);
    QCOMPARE(tok->idToToken(1), QStringLiteral("<s>"));
    const Encoding e = tok->encode(QStringLiteral("the operation"));
    QCOMPARE(e.ids.front(), 1);
    QVERIFY(e.ids.back() != 2); // Llama adds no </s>
    QCOMPARE(tok->decode(e.ids, true), QStringLiteral("the operation"));
    // Byte fallback and no normalisation: unseen characters and line breaks come back as written.
    const QString unseen = QStringLiteral("Thanks.\n\n— Support, 12 €");
    const Encoding u = tok->encode(unseen);
    QVERIFY(std::find(u.ids.begin(), u.ids.end(), tok->unkId()) == u.ids.end());
    QCOMPARE(tok->decode(u.ids, true), unseen);
    o.algorithm = QStringLiteral("wordpiece");
    QVERIFY(test::errorOf([&] { trainTokenizer({"x"}, dir, o); }).contains("unigram or bpe"));
}

void TestPretrain::packingKeepsBoundaries()
{
    const std::vector<std::vector<int64_t>> docs = {{1, 2, 3}, {4, 5}, {}, {6, 7, 8, 9, 10}};
    // BERT: [CLS] starts every block, [SEP] ends every document; a long document continues.
    PackingFrame bert;
    bert.blockStart = 100;
    bert.documentEnd = 101;
    PackedBlocks b = packDocuments(docs, 5, bert);
    QCOMPARE(b.count, 3);
    QCOMPARE(b.ids, (std::vector<int64_t>{100, 1, 2, 3, 101, //
                                          100, 4, 5, 101, 6, //
                                          100, 7, 8, 9, 10}));
    QCOMPARE(b.droppedTokens, 2); // [CLS] [SEP] of the unfinished last block
    // Llama: <s> doc </s> back to back, no padding anywhere.
    PackingFrame llama;
    llama.documentStart = 1;
    llama.documentEnd = 2;
    b = packDocuments(docs, 4, llama);
    QCOMPARE(b.count, 4);
    QCOMPARE(b.ids, (std::vector<int64_t>{1, 1, 2, 3, 2, 1, 4, 5, 2, 1, 6, 7, 8, 9, 10, 2}));
    QCOMPARE(b.droppedTokens, 0);
}

void TestPretrain::mlmHeadMatchesReference()
{
    // Reference logits from python3-torch (tests/fixtures/models/encoders/make_mlm_fixture.py).
    const QString dir = QStringLiteral(FTS_FIXTURES_DIR "/models/encoders/bert_mlm");
    const TensorMap weights = loadSafetensors(dir + QStringLiteral("/model.safetensors"));
    const TensorMap ref = loadSafetensors(dir + QStringLiteral("/reference.safetensors"));
    BertForMaskedLm model(ModelConfig::load(dir));
    const LoadReport report = loadStateDict(*model, weights);
    QVERIFY(report.missing.empty());
    QVERIFY(report.unexpected.empty());
    model->eval();
    torch::NoGradGuard noGrad;
    const at::Tensor logits = model->forward(ref.at("input_ids"), ref.at("attention_mask"));
    const double diff = (logits - ref.at("logits")).abs().max().item<double>();
    qInfo("MLM logits: max abs difference to python3-torch %.3g", diff);
    QVERIFY2(diff < 1e-4, qPrintable(QString::number(diff)));
    // The training path projects only the chosen positions; those rows equal the full logits.
    const at::Tensor ids = ref.at("input_ids");
    at::Tensor labels = at::full(ids.sizes(), -100, at::kLong);
    labels.view(-1).index_put_({at::tensor({1L, ids.numel() - 2})}, at::tensor({7L, 9L}));
    const at::Tensor some = model->forwardMasked(ids, labels, ref.at("attention_mask"));
    QCOMPARE(some.size(0), 2);
    const at::Tensor flat = logits.reshape({-1, logits.size(-1)});
    QVERIFY(at::allclose(some[0], flat[1], 1e-5, 1e-5));
    QVERIFY(at::allclose(some[1], flat[ids.numel() - 2], 1e-5, 1e-5));
    // Saving writes back exactly the checkpoint's names: the tied decoder is not duplicated.
    const TensorMap saved = stateDict(*model);
    QCOMPARE(saved.size(), weights.size());
    for (const auto& [name, t] : weights)
        QVERIFY2(saved.count(name) && saved.at(name).equal(t), name.c_str());
}

void TestPretrain::maskingStatistics()
{
    const int64_t rows = 400, cols = 250, vocab = 5000, cls = 2, sep = 3, pad = 0, mask = 4;
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(123);
    at::Tensor ids = at::randint(10, vocab, {rows, cols}, gen, at::kLong);
    ids.select(1, 0).fill_(cls);
    ids.narrow(1, 100, 1).fill_(sep);
    ids.narrow(1, 240, 10).fill_(pad);
    const MaskedBatch m = maskTokens(ids, mask, vocab, {cls, sep, pad}, 0.15, gen);
    const at::Tensor chosen = m.labels.ne(-100);
    const at::Tensor special = ids.eq(cls) | ids.eq(sep) | ids.eq(pad);
    QCOMPARE((chosen & special).sum().item<int64_t>(), 0);               // specials never masked
    QVERIFY(m.inputs.eq(ids).masked_select(special).all().item<bool>()); // nor changed
    QVERIFY(m.labels.masked_select(chosen).equal(ids.masked_select(chosen)));
    QVERIFY(m.inputs.masked_select(~chosen).equal(ids.masked_select(~chosen)));
    const double eligible = double((~special).sum().item<int64_t>());
    const double n = double(chosen.sum().item<int64_t>());
    // Expected fractions: 0.15 chosen; of those 0.8 [MASK], 0.1 random, 0.1 unchanged (a random
    // id equal to the original, p = 1/5000, counts as unchanged). Bounds are ~4 standard errors.
    QVERIFY2(std::abs(n / eligible - 0.15) < 0.005, qPrintable(QString::number(n / eligible)));
    const double masked = double((m.inputs.eq(mask) & chosen).sum().item<int64_t>()) / n;
    const double same = double((m.inputs.eq(ids) & chosen).sum().item<int64_t>()) / n;
    const double random = 1.0 - masked - same;
    QVERIFY2(std::abs(masked - 0.8) < 0.015, qPrintable(QString::number(masked)));
    QVERIFY2(std::abs(same - 0.1) < 0.012, qPrintable(QString::number(same)));
    QVERIFY2(std::abs(random - 0.1) < 0.012, qPrintable(QString::number(random)));
}

void TestPretrain::maskingIsReproducible()
{
    const at::Tensor ids = at::arange(5, 205, at::kLong).view({4, 50});
    at::Generator a = at::make_generator<at::CPUGeneratorImpl>(9);
    at::Generator b = at::make_generator<at::CPUGeneratorImpl>(9);
    const MaskedBatch x = maskTokens(ids, 4, 300, {}, 0.15, a);
    const MaskedBatch y = maskTokens(ids, 4, 300, {}, 0.15, b);
    QVERIFY(x.inputs.equal(y.inputs) && x.labels.equal(y.labels));
}

void TestPretrain::fromScratchBert()
{
    m_bert = m_tmp.filePath(QStringLiteral("bert-scratch"));
    PretrainOptions o = tinyOptions(QStringLiteral("bert"), m_bert);
    std::vector<double> losses;
    o.onStep = [&](const PretrainProgress& p) { losses.push_back(p.loss); };
    const PretrainResult r = pretrain(o);
    QCOMPARE(r.status, QStringLiteral("finished"));
    QCOMPARE(r.objective, QStringLiteral("masked_lm"));
    QCOMPARE(r.steps, 4);
    QCOMPARE(r.tokensSeen, 4 * 8 * 32);
    QCOMPARE(int(losses.size()), 4);
    // A freshly initialised model (N(0, 0.02) weights) predicts about uniformly: loss ~ ln(V).
    QVERIFY2(std::abs(losses.front() - std::log(400.0)) < 0.3,
             qPrintable(QString::number(losses.front())));
    QVERIFY(r.evalPerplexity > 1 && std::isfinite(r.evalPerplexity));
    const QDir d(m_bert);
    QVERIFY(!d.exists(QStringLiteral("checkpoint")));
    QVERIFY(d.exists(QStringLiteral("pretrain_result.json")));
    const TensorMap w = loadSafetensors(d.filePath(QStringLiteral("model.safetensors")));
    for (const char* name :
         {"bert.embeddings.word_embeddings.weight", "cls.predictions.bias",
          "cls.predictions.transform.dense.weight", "cls.predictions.transform.LayerNorm.weight",
          "cls.predictions.transform.LayerNorm.bias"})
        QVERIFY2(w.count(name), name);
    QVERIFY(!w.count("cls.predictions.decoder.weight")); // tied to the word embeddings
    int64_t total = 0;
    for (const auto& [k, v] : w)
        total += v.numel();
    QCOMPARE(total, r.parameters);
    // The folder is a model the classifier trainer can start from.
    const ModelConfig config = ModelConfig::load(m_bert);
    QCOMPARE(config.modelType, QStringLiteral("bert"));
    QCOMPARE(config.vocabSize, 400);
    QCOMPARE(config.classifierPooling, QStringLiteral("mean")); // nothing trained the pooler
    SequenceClassifier clf = loadSequenceClassifier(m_bert, QStringList{"neg", "pos"});
    const auto tok = loadModelTokenizer(m_bert);
    const std::vector<int64_t> ids = tok->encodeForClassifier(QStringLiteral("a calm day"), 16);
    clf->eval();
    const at::Tensor logits = clf->forward(at::tensor(ids, at::kLong).unsqueeze(0));
    QCOMPARE(logits.size(1), 2);
    QVERIFY(at::isfinite(logits).all().item<bool>());
}

void TestPretrain::fromScratchLlama()
{
    m_llama = m_tmp.filePath(QStringLiteral("llama-scratch"));
    PretrainOptions o = tinyOptions(QStringLiteral("llama"), m_llama);
    o.tokenizer.algorithm = QStringLiteral("bpe");
    double first = 0;
    o.onStep = [&](const PretrainProgress& p) {
        if (p.step == 1)
            first = p.loss;
    };
    const PretrainResult r = pretrain(o);
    QCOMPARE(r.objective, QStringLiteral("causal_lm"));
    QVERIFY2(std::abs(first - std::log(400.0)) < 0.3, qPrintable(QString::number(first)));
    const std::shared_ptr<DecoderModel> model = loadDecoder(m_llama);
    QCOMPARE(model->config().modelType, QStringLiteral("llama"));
    QVERIFY(model->config().tieWordEmbeddings);
    const auto tok = loadTokenizer(m_llama);
    const Encoding e = tok->encode(QStringLiteral("cause to be calm"));
    QCOMPARE(e.ids.front(), tok->bosId());
    torch::NoGradGuard noGrad;
    model->eval();
    const at::Tensor logits = model->forward(at::tensor(e.ids, at::kLong).unsqueeze(0));
    QCOMPARE(logits.size(2), 400);
    int64_t total = 0;
    for (const auto& [k, v] : loadSafetensors(QDir(m_llama).filePath("model.safetensors")))
        total += v.numel();
    QCOMPARE(total, r.parameters);
}

void TestPretrain::resumeEqualsUninterrupted_data()
{
    QTest::addColumn<QString>("family");
    QTest::newRow("bert masked LM") << QStringLiteral("bert");
    QTest::newRow("llama causal LM") << QStringLiteral("llama");
}

void TestPretrain::resumeEqualsUninterrupted()
{
    QFETCH(QString, family);
    const QString base = family == QLatin1String("bert") ? m_bert : m_llama;
    QVERIFY2(!base.isEmpty(), "fromScratch* must run first");
    const auto options = [&](const QString& name) {
        PretrainOptions o = tinyOptions(family, m_tmp.filePath(family + name));
        o.baseModel = base;
        o.maxSteps = 6;
        o.checkpointEvery = 2;
        return o;
    };
    const PretrainResult whole = pretrain(options(QStringLiteral("-whole")));
    QCOMPARE(whole.steps, 6);

    PretrainOptions o = options(QStringLiteral("-split"));
    // Measuring the held-out perplexity at every step must not change what is trained.
    o.evalEvery = 1;
    std::atomic<bool> cancel{false};
    o.cancel = &cancel;
    o.onStep = [&](const PretrainProgress& p) { cancel = p.step == 3; };
    PretrainResult first = pretrain(o);
    QCOMPARE(first.status, QStringLiteral("cancelled"));
    QCOMPARE(first.steps, 3);
    QVERIFY(QDir(o.outDir).exists(QStringLiteral("checkpoint")));
    // Scramble the global RNG, as a new process would have it: resume must restore it.
    at::manual_seed(999);
    o.onStep = {};
    cancel = false;
    const PretrainResult second = pretrain(o);
    QVERIFY(second.resumed);
    QCOMPARE(second.steps, 6);
    QCOMPARE(second.tokensSeen, whole.tokensSeen);
    QCOMPARE(second.lastLoss, whole.lastLoss);
    const TensorMap a = loadSafetensors(m_tmp.filePath(family + "-whole/model.safetensors"));
    const TensorMap b = loadSafetensors(o.outDir + "/model.safetensors");
    QCOMPARE(a.size(), b.size());
    for (const auto& [name, t] : a)
        QVERIFY2(t.equal(b.at(name)), name.c_str());
}

void TestPretrain::nanGuard()
{
    PretrainOptions o = tinyOptions(QStringLiteral("bert"), m_tmp.filePath(QStringLiteral("nan")));
    o.baseModel = m_bert;
    o.injectNanAtStep = 2;
    const QString message = test::errorOf([&] { pretrain(o); });
    QVERIFY2(message.contains(QStringLiteral("NaN")) &&
                 message.contains(QStringLiteral("learning rate")),
             qPrintable(message));
}

void TestPretrain::resumeRefusesOtherSettings()
{
    PretrainOptions o =
        tinyOptions(QStringLiteral("bert"), m_tmp.filePath(QStringLiteral("other")));
    o.baseModel = m_bert;
    std::atomic<bool> cancel{true};
    o.cancel = &cancel;
    QCOMPARE(pretrain(o).status, QStringLiteral("cancelled"));
    o.cancel = nullptr;
    o.lr = 5e-3;
    QVERIFY(test::errorOf([&] { pretrain(o); }).contains(QStringLiteral("other settings")));
}

void TestPretrain::finishNowWritesTheCheckpoint()
{
    PretrainOptions o =
        tinyOptions(QStringLiteral("bert"), m_tmp.filePath(QStringLiteral("early")));
    o.baseModel = m_bert;
    o.finishNow = true;
    QVERIFY(
        test::errorOf([&] { pretrain(o); }).contains(QStringLiteral("no pre-training checkpoint")));
    o.finishNow = false;
    std::atomic<bool> cancel{false};
    o.cancel = &cancel;
    o.onStep = [&](const PretrainProgress& p) { cancel = p.step == 2; };
    QCOMPARE(pretrain(o).steps, 2);
    const TensorMap atCheckpoint = loadSafetensors(o.outDir + "/checkpoint/model.safetensors");
    o.cancel = nullptr;
    o.onStep = {};
    o.finishNow = true;
    const PretrainResult r = pretrain(o);
    QCOMPARE(r.status, QStringLiteral("finished"));
    QCOMPARE(r.steps, 2);
    QVERIFY(r.stoppedEarly);
    QVERIFY(r.evalPerplexity > 1);
    QVERIFY(!QDir(o.outDir).exists(QStringLiteral("checkpoint")));
    const TensorMap written = loadSafetensors(o.outDir + "/model.safetensors");
    QCOMPARE(written.size(), atCheckpoint.size());
    for (const auto& [name, t] : written)
        QVERIFY2(t.equal(atCheckpoint.at(name)), name.c_str());
}

void TestPretrain::heldOutPerplexityDuringTheRun()
{
    PretrainOptions o =
        tinyOptions(QStringLiteral("bert"), m_tmp.filePath(QStringLiteral("eval-every")));
    o.baseModel = m_bert;
    o.evalEvery = 2;
    std::vector<double> measured;
    o.onStep = [&](const PretrainProgress& p) { measured.push_back(p.evalPerplexity); };
    const PretrainResult r = pretrain(o);
    QCOMPARE(int(measured.size()), 4);
    QCOMPARE(measured[0], 0.0);
    QCOMPARE(measured[2], 0.0);
    QVERIFY(measured[1] > 1 && std::isfinite(measured[1]));
    // After the last step the weights are the final ones: the same number as the result's.
    QCOMPARE(measured[3], r.evalPerplexity);
    QVERIFY(measured[1] != measured[3]);
}

void TestPretrain::validationNamesTheRange_data()
{
    // Each row breaks one setting of tinyOptions; the message must name the setting, the allowed
    // range (hand-written here, not taken from the engine) and the value typed.
    QTest::addColumn<QString>("setting");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("expected");
    // clang-format off
    QTest::newRow("steps 0") << "steps" << "0" << "number of steps must be between 1 and 10000000";
    QTest::newRow("batch 5000") << "batch" << "5000" << "batch size must be between 1 and 4096";
    QTest::newRow("block 4") << "block" << "4" << "block size must be between 8 and 512; it is 4";
    QTest::newRow("llama block 2000")
        << "llamaBlock" << "2000" << "block size must be between 8 and 1024; it is 2000";
    QTest::newRow("lr 0") << "lr" << "0" << "learning rate must be above 0 and at most 1";
    QTest::newRow("lr 3") << "lr" << "3" << "learning rate must be above 0 and at most 1; it is 3";
    QTest::newRow("warmup 1") << "warmup" << "1" << "warmup fraction must be at least 0 and below";
    QTest::newRow("seed -1") << "seed" << "-1" << "seed must be 0 or more; it is -1";
    QTest::newRow("checkpoint -5") << "checkpoint" << "-5" << "Checkpoint every must be between";
    QTest::newRow("vocab 50") << "vocab" << "50" << "vocabulary size must be between 100 and";
    QTest::newRow("family gpt2") << "family" << "gpt2" << "choose bert";
    QTest::newRow("size huge") << "size" << "huge" << "choose tiny, mini, small or base";
    QTest::newRow("no text") << "documents" << "" << "no text to pre-train on";
    QTest::newRow("no folder") << "outDir" << "" << "Choose a folder";
    QTest::newRow("eval every -1") << "evalEvery" << "-1" << "Perplexity every must be between 0";
    // clang-format on
}

void TestPretrain::validationNamesTheRange()
{
    QFETCH(QString, setting);
    QFETCH(QString, value);
    QFETCH(QString, expected);
    PretrainOptions o = tinyOptions(QStringLiteral("bert"), m_tmp.filePath(QStringLiteral("v")));
    validatePretrainOptions(o); // the unbroken options pass
    const qint64 n = value.toLongLong();
    if (setting == "llamaBlock")
        o.family = QStringLiteral("llama");
    if (setting == "steps")
        o.maxSteps = n;
    else if (setting == "batch")
        o.batchSize = int(n);
    else if (setting == "block" || setting == "llamaBlock")
        o.blockSize = int(n);
    else if (setting == "lr")
        o.lr = value.toDouble();
    else if (setting == "warmup")
        o.warmupRatio = value.toDouble();
    else if (setting == "seed")
        o.seed = n;
    else if (setting == "checkpoint")
        o.checkpointEvery = n;
    else if (setting == "vocab")
        o.tokenizer.vocabSize = int(n);
    else if (setting == "family")
        o.family = value;
    else if (setting == "size")
        o.preset = value;
    else if (setting == "evalEvery")
        o.evalEvery = n;
    else if (setting == "documents")
        o.documents.clear();
    else if (setting == "outDir")
        o.outDir.clear();
    const QString message = test::errorOf([&] { validatePretrainOptions(o); });
    QVERIFY2(message.contains(expected), qPrintable(message));
    // pretrain() refuses the same settings before it writes anything.
    QVERIFY(test::errorOf([&] { pretrain(o); }) == message);
    QVERIFY(!QDir(m_tmp.filePath(QStringLiteral("v"))).exists());
}

void TestPretrain::validationChecksTheBaseModel()
{
    PretrainOptions o = tinyOptions(QStringLiteral("bert"), m_tmp.filePath(QStringLiteral("vb")));
    // The fixture BERT knows 64 positions (its config.json), so a 128-token block cannot fit.
    o.baseModel = QStringLiteral(FTS_FIXTURES_DIR "/models/encoders/bert");
    o.blockSize = 64;
    validatePretrainOptions(o);
    o.blockSize = 128;
    QString message = test::errorOf([&] { validatePretrainOptions(o); });
    QVERIFY2(message.contains("between 8 and 64; it is 128") && message.contains("64 positions"),
             qPrintable(message));
    o.blockSize = 32;
    o.baseModel = QStringLiteral(FTS_FIXTURES_DIR "/models/encoders/distilbert");
    message = test::errorOf([&] { validatePretrainOptions(o); });
    QVERIFY2(message.contains("is a distilbert model") && message.contains("from scratch"),
             qPrintable(message));
}

FTS_TEST_SUITE(TestPretrain)
#include "tst_pretrain.moc"
