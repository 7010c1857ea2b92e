// Supervised fine-tuning of decoders: answer-only loss masks checked against hand-counted token
// positions, hidden states against the model's own logits, learning, LoRA and exact resume.
#include "Suite.h"
#include "CharTokenizer.h"
#include "DecoderFixture.h"
#include "TestUtil.h"

#include "align/LmLoss.h"
#include "align/SftData.h"
#include "align/SftEvaluation.h"
#include "align/SftTrainer.h"
#include "models/Decoder.h"
#include "models/Safetensors.h"
#include "project/Project.h"
#include "train/RunStore.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <QDir>
#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

using namespace fts;

namespace {

const QString kDecoders = QStringLiteral(FTS_FIXTURES_DIR "/models/decoders/");

// Short support answers in a fixed house style, so a 2-layer model can pick the style up.
QByteArray chatJsonl()
{
    const char* pairs[][2] = {
        {"where is my order", "Thanks! See Orders."},
        {"reset my password", "Thanks! See Login."},
        {"refund please", "Thanks! See Refunds."},
        {"app will not sync", "Thanks! See Sync."},
        {"change my address", "Thanks! See Orders."},
        {"billing is wrong", "Thanks! See Billing."},
        {"warranty question", "Thanks! See Warranty."},
        {"cancel my plan", "Thanks! See Billing."},
    };
    QByteArray out;
    int i = 0;
    for (const auto& p : pairs) {
        const char* split = i % 4 == 3 ? "val" : "train";
        out += QByteArray("{\"instruction\": \"") + p[0] + "\", \"response\": \"" + p[1] +
               "\", \"split\": \"" + split + "\"}\n";
        ++i;
    }
    out += "{\"messages\": [{\"role\": \"user\", \"content\": \"hello\"}, {\"role\": "
           "\"assistant\", \"content\": \"Thanks! Hi.\"}], \"split\": \"train\"}\n";
    out += "{\"instruction\": \"test row\", \"response\": \"Thanks! Test.\", \"split\": "
           "\"test\"}\n";
    return out;
}

std::vector<int> positionsOf(const std::vector<uint8_t>& mask)
{
    std::vector<int> out;
    for (size_t i = 0; i < mask.size(); ++i)
        if (mask[i])
            out.push_back(int(i));
    return out;
}

} // namespace

class TestSft : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void plainMaskCoversOnlyTheAnswer();
    void chatMlMaskCoversOnlyTheAnswer();
    void summarizationMaskCoversOnlyTheSummary();
    void readsBothChatForms();
    void rejectsBadLines();
    void maskedNllMatchesHandComputation();
    void hiddenStatesGiveTheModelsLogits_data();
    void hiddenStatesGiveTheModelsLogits();
    void lossDecreases_data();
    void lossDecreases();
    void loraTrainsOnlyAdapters();
    void resumeEqualsUninterrupted();
    void nanGuardStopsTheRun();
    void nanGradientStopsTheRun();
    void evaluatesAChatRunOnHeldOutRecords();

private:
    AlignOptions options(const QString& family, const QString& method, int steps) const;
    QTemporaryDir m_dir;
    QString m_chat;
    std::shared_ptr<test::CharTokenizer> m_tokenizer = std::make_shared<test::CharTokenizer>();
};

void TestSft::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_chat = m_dir.filePath(QStringLiteral("chat.jsonl"));
    test::writeFile(m_chat, chatJsonl());
}

AlignOptions TestSft::options(const QString& family, const QString& method, int steps) const
{
    AlignOptions o;
    o.modelDir = kDecoders + family;
    o.dataFile = m_chat;
    o.task = QStringLiteral("chat");
    o.tokenizer = m_tokenizer;
    o.hp.method = method;
    o.hp.lr = 3e-3;
    o.hp.batchSize = 3;
    o.hp.maxSteps = steps;
    o.hp.warmupRatio = 0;
    o.hp.maxLength = 64;
    o.hp.evalEvery = 5;
    o.hp.loraRank = 4;
    o.hp.loraAlpha = 8;
    o.hp.loraDropout = 0;
    return o;
}

void TestSft::plainMaskCoversOnlyTheAnswer()
{
    // "### User:\n" 0-9, "hi" 10-11, "\n\n" 12-13, "### Assistant:\n" 14-28, "ok" 29-30, </s> 31,
    // and the "\n\n" that ends every message, 32-33.
    const SftExample e = encodeSft(*m_tokenizer,
                                   {{QStringLiteral("user"), QStringLiteral("hi")},
                                    {QStringLiteral("assistant"), QStringLiteral("ok")}},
                                   ChatFormat{}, 0);
    QCOMPARE(e.ids.size(), size_t(34));
    QCOMPARE(positionsOf(e.target), (std::vector<int>{29, 30, 31}));
    QCOMPARE(e.ids[31], int64_t(96));
    // Truncation keeps ids and mask aligned.
    const SftExample cut = encodeSft(*m_tokenizer,
                                     {{QStringLiteral("user"), QStringLiteral("hi")},
                                      {QStringLiteral("assistant"), QStringLiteral("ok")}},
                                     ChatFormat{}, 30);
    QCOMPARE(positionsOf(cut.target), (std::vector<int>{29}));
}

void TestSft::chatMlMaskCoversOnlyTheAnswer()
{
    // <|im_start|> 0, "system" 1-6, \n 7, S 8, <|im_end|> 9, \n 10; <|im_start|> 11, "user"
    // 12-15, \n 16, q 17, <|im_end|> 18, \n 19; <|im_start|> 20, "assistant" 21-29, \n 30,
    // "ab" 31-32, <|im_end|> 33, \n 34; <|im_start|> 35 user 36-39 \n 40 "r" 41 <|im_end|> 42
    // \n 43; <|im_start|> 44 assistant 45-53 \n 54 "c" 55 <|im_end|> 56 \n 57.
    ChatFormat format;
    format.style = ChatStyle::ChatML;
    const SftExample e = encodeSft(*m_tokenizer,
                                   {{QStringLiteral("system"), QStringLiteral("S")},
                                    {QStringLiteral("user"), QStringLiteral("q")},
                                    {QStringLiteral("assistant"), QStringLiteral("ab")},
                                    {QStringLiteral("user"), QStringLiteral("r")},
                                    {QStringLiteral("assistant"), QStringLiteral("c")}},
                                   format, 0);
    QCOMPARE(e.ids.size(), size_t(58));
    QCOMPARE(positionsOf(e.target), (std::vector<int>{31, 32, 33, 55, 56}));
    QCOMPARE(e.ids[33], int64_t(98));
}

void TestSft::summarizationMaskCoversOnlyTheSummary()
{
    const QString path = m_dir.filePath(QStringLiteral("sum.jsonl"));
    test::writeFile(path, "{\"document\": \"Rain fell.\", \"summary\": \"Wet.\", \"split\": "
                          "\"val\"}\n");
    const std::vector<SftRecord> records = readSftJsonl(path, SftTask::Summarization);
    QCOMPARE(records.size(), size_t(1));
    QCOMPARE(records[0].split, QStringLiteral("val"));
    const SftExample e = encodeSft(*m_tokenizer, records[0].messages, ChatFormat{}, 0);
    // The prompt is "### User:\n" + the instruction + "\n\n" + document + "\n\n### Assistant:\n".
    const int prompt = 10 + int(summarizationPrompt(QStringLiteral("Rain fell.")).size()) + 2 + 15;
    QCOMPARE(positionsOf(e.target),
             (std::vector<int>{prompt, prompt + 1, prompt + 2, prompt + 3, prompt + 4}));
    std::vector<int64_t> answer(e.ids.begin() + prompt, e.ids.begin() + prompt + 5);
    QCOMPARE(m_tokenizer->decode(answer), QStringLiteral("Wet.</s>"));
}

void TestSft::readsBothChatForms()
{
    const std::vector<SftRecord> records = readSftJsonl(m_chat, SftTask::Chat);
    QCOMPARE(records.size(), size_t(10));
    QCOMPARE(records[0].messages.size(), 2);
    QCOMPARE(records[0].messages[1].content, QStringLiteral("Thanks! See Orders."));
    QCOMPARE(records[8].messages[0].content, QStringLiteral("hello"));
    QCOMPARE(records[9].split, QStringLiteral("test"));
    // The shipped sample datasets parse as they are.
    QCOMPARE(readSftJsonl(QStringLiteral(FTS_SOURCE_DIR "/datasets/chat/chat.jsonl"), SftTask::Chat)
                 .size(),
             size_t(217));
    QCOMPARE(readSftJsonl(QStringLiteral(FTS_SOURCE_DIR "/datasets/summarization/summaries.jsonl"),
                          SftTask::Summarization)
                 .size(),
             size_t(170));
}

void TestSft::rejectsBadLines()
{
    const QString path = m_dir.filePath(QStringLiteral("bad.jsonl"));
    test::writeFile(path, "{\"instruction\": \"q\", \"response\": \"a\"}\n{\"instruction\": "
                          "\"q\"}\n");
    const QString message = test::errorOf([&] { readSftJsonl(path, SftTask::Chat); });
    QVERIFY2(message.contains(QStringLiteral("line 2")) &&
                 message.contains(QStringLiteral("response")),
             qPrintable(message));
    test::writeFile(path, "not json\n");
    QVERIFY(test::errorOf([&] {
                readSftJsonl(path, SftTask::Summarization);
            }).contains(QStringLiteral("line 1")));
}

void TestSft::maskedNllMatchesHandComputation()
{
    // Vocabulary 2, logits (0, ln 3) everywhere: p(token 1) = 3/4, p(token 0) = 1/4.
    const at::Tensor logits =
        at::tensor({0.0, std::log(3.0)}, at::kFloat).view({1, 1, 2}).expand({1, 4, 2});
    const at::Tensor ids = at::tensor({0, 1, 0, 1}, at::kLong).view({1, 4});
    const at::Tensor target = at::tensor({0, 0, 1, 1}, at::kLong).view({1, 4});
    int64_t tokens = 0;
    const double nll = maskedNll(logits, ids, target, &tokens).item<double>();
    QCOMPARE(tokens, int64_t(2));
    QVERIFY(std::abs(nll - (std::log(4.0) + std::log(4.0 / 3.0)) / 2) < 1e-6);
    const double seq = sequenceLogProbs(logits, ids, target).item<double>();
    QVERIFY(std::abs(seq - (std::log(0.25) + std::log(0.75))) < 1e-6);
}

void TestSft::hiddenStatesGiveTheModelsLogits_data()
{
    QTest::addColumn<QString>("family");
    QTest::newRow("gpt2") << QStringLiteral("gpt2");
    QTest::newRow("llama") << QStringLiteral("llama");
    QTest::newRow("qwen2") << QStringLiteral("qwen2");
}

void TestSft::hiddenStatesGiveTheModelsLogits()
{
    QFETCH(QString, family);
    const auto model = loadDecoder(kDecoders + family);
    model->eval();
    torch::NoGradGuard noGrad;
    const at::Tensor ids = at::tensor({5, 9, 13, 2, 7, 7, 1, 0}, at::kLong).view({2, 4});
    const at::Tensor mask = at::tensor({1, 1, 1, 1, 1, 1, 0, 0}, at::kLong).view({2, 4});
    const at::Tensor hidden = decoderHiddenStates(*model, ids, mask);
    const at::Tensor logits = model->forward(ids, mask);
    QVERIFY(at::allclose(at::linear(hidden, model->lmHeadWeight()), logits, 1e-5, 1e-5));
    const at::Tensor last = lastTokenState(hidden, mask);
    QVERIFY(at::equal(last[1], hidden[1][1]));
    QVERIFY(at::equal(last[0], hidden[0][3]));
}

void TestSft::lossDecreases_data()
{
    QTest::addColumn<QString>("family");
    QTest::addColumn<QString>("method");
    QTest::newRow("gpt2 full") << QStringLiteral("gpt2") << QStringLiteral("full");
    QTest::newRow("llama full") << QStringLiteral("llama") << QStringLiteral("full");
    QTest::newRow("qwen2 freeze") << QStringLiteral("qwen2") << QStringLiteral("freeze");
    QTest::newRow("gpt2 lora") << QStringLiteral("gpt2") << QStringLiteral("lora");
}

void TestSft::lossDecreases()
{
    QFETCH(QString, family);
    QFETCH(QString, method);
    auto project = Project::create(m_dir.filePath(family + method + QStringLiteral(".ftproj")));
    AlignOptions o = options(family, method, 30);
    o.hp.freezeLayers = 1;
    if (method == QLatin1String("lora"))
        o.hp.lr = 2e-2;
    const AlignResult r = SftTrainer(*project, o).run();
    QCOMPARE(r.status, QStringLiteral("finished"));
    QCOMPARE(r.steps, qint64(30));
    const double before = r.before.value(QStringLiteral("perplexity"));
    const double after = r.after.value(QStringLiteral("perplexity"));
    qInfo("%s %s: held-out perplexity %.3f -> %.3f", qPrintable(family), qPrintable(method), before,
          after);
    QVERIFY(before > 0 && after > 0);
    QVERIFY2(after < 0.7 * before, qPrintable(QStringLiteral("%1 -> %2").arg(before).arg(after)));
    const RunRecord run = loadRun(*project, r.runId);
    QCOMPARE(run.method, QStringLiteral("sft-chat"));
    QCOMPARE(run.task, QStringLiteral("chat"));
    QCOMPARE(run.status, QStringLiteral("finished"));
    QCOMPARE(run.hyperparameters.value(QStringLiteral("method")).toString(), method);
    QVERIFY(!run.lastCheckpoint.isEmpty());
    QVERIFY(!run.bestCheckpoint.isEmpty());
}

void TestSft::loraTrainsOnlyAdapters()
{
    auto project = Project::create(m_dir.filePath(QStringLiteral("lora-only.ftproj")));
    const AlignResult r =
        SftTrainer(*project, options(QStringLiteral("llama"), QStringLiteral("lora"), 3)).run();
    const TensorMap base = loadSafetensors(kDecoders + QStringLiteral("llama/model.safetensors"));
    const TensorMap trained =
        loadSafetensors(project->artifactPath(loadRun(*project, r.runId).lastCheckpoint) +
                        QStringLiteral("/model.safetensors"));
    int adapters = 0;
    for (const auto& [name, tensor] : trained) {
        if (name.find("lora_B") != std::string::npos) {
            ++adapters;
            QVERIFY2(tensor.abs().max().item<double>() > 0, name.c_str()); // moved from zero
        } else if (name.find("lora_") == std::string::npos) {
            QVERIFY2(base.count(name) == 1, name.c_str());
            QVERIFY2(at::equal(base.at(name), tensor), name.c_str()); // bit-identical
        }
    }
    QCOMPARE(adapters, 4); // q_proj and v_proj of two layers
}

void TestSft::resumeEqualsUninterrupted()
{
    auto project = Project::create(m_dir.filePath(QStringLiteral("resume.ftproj")));
    AlignOptions o = options(QStringLiteral("gpt2"), QStringLiteral("full"), 12);
    o.hp.gradAccumulation = 2;
    o.hp.warmupRatio = 0.2;
    o.hp.schedule = QStringLiteral("cosine");
    const AlignResult full = SftTrainer(*project, o).run();

    std::atomic<bool> cancel{false};
    AlignOptions c = o;
    c.callbacks.cancel = &cancel;
    c.callbacks.onStep = [&](const TrainProgress& p) { cancel = p.step >= 5; };
    const AlignResult first = SftTrainer(*project, c).run();
    QCOMPARE(first.status, QStringLiteral("cancelled"));
    QCOMPARE(first.steps, qint64(5));
    QCOMPARE(loadRun(*project, first.runId).status, QStringLiteral("cancelled"));
    AlignOptions again;
    again.tokenizer = m_tokenizer;
    const AlignResult resumed = SftTrainer(*project, again).resume(first.runId);
    QCOMPARE(resumed.status, QStringLiteral("finished"));
    QCOMPARE(resumed.steps, qint64(12));

    const auto losses = [&](qint64 run) {
        QMap<qint64, double> out;
        for (const MetricPoint& p : runMetrics(*project, run))
            if (p.split == QLatin1String("train") && p.name == QLatin1String("loss"))
                out.insert(p.step, p.value);
        return out;
    };
    const QMap<qint64, double> a = losses(full.runId), b = losses(first.runId);
    QCOMPARE(a.size(), 12);
    QCOMPARE(b.keys(), a.keys());
    for (qint64 step : a.keys())
        QVERIFY2(
            std::abs(a[step] - b[step]) <= 1e-6 * std::abs(a[step]),
            qPrintable(QStringLiteral("step %1: %2 vs %3").arg(step).arg(a[step]).arg(b[step])));
    QVERIFY(std::abs(full.after.value(QStringLiteral("loss")) -
                     resumed.after.value(QStringLiteral("loss"))) < 1e-6);
}

void TestSft::nanGuardStopsTheRun()
{
    auto project = Project::create(m_dir.filePath(QStringLiteral("nan.ftproj")));
    AlignOptions o = options(QStringLiteral("gpt2"), QStringLiteral("full"), 10);
    o.callbacks.injectNanAtStep = 7;
    const QString message = test::errorOf([&] { SftTrainer(*project, o).run(); });
    QVERIFY2(message.contains(QStringLiteral("step 7")), qPrintable(message));
    const RunRecord run = listRuns(*project).last();
    QCOMPARE(run.status, QStringLiteral("failed"));
    QVERIFY(run.lastCheckpoint.endsWith(QStringLiteral("step5")));
}

// A finite loss whose gradients are not numbers stops the run before the optimizer step.
void TestSft::nanGradientStopsTheRun()
{
    auto project = Project::create(m_dir.filePath(QStringLiteral("nan-gradient.ftproj")));
    AlignOptions o = options(QStringLiteral("gpt2"), QStringLiteral("full"), 10);
    o.callbacks.injectNanGradientAtStep = 7;
    const QString message = test::errorOf([&] { SftTrainer(*project, o).run(); });
    QVERIFY2(message.contains(QStringLiteral("step 7")) &&
                 message.contains(QStringLiteral("gradient norm became NaN")),
             qPrintable(message));
    const RunRecord run = listRuns(*project).last();
    QCOMPARE(run.status, QStringLiteral("failed"));
    QVERIFY(run.lastCheckpoint.endsWith(QStringLiteral("step5")));
    for (const auto& [name, t] :
         loadSafetensors(project->artifactPath(run.lastCheckpoint) + "/model.safetensors"))
        QVERIFY2(t.isfinite().all().item<bool>(), name.c_str());
}

// A chat run evaluated on its val records: the loss equals the trainer's validation loss at the
// best checkpoint (same rendering and cut), the generations are scored, and the run's own
// tokenizer (the model folder's) is used, as for a user's model.
void TestSft::evaluatesAChatRunOnHeldOutRecords()
{
    auto project = Project::create(m_dir.filePath(QStringLiteral("evaluate.ftproj")));
    AlignOptions o = options(QStringLiteral("gpt2"), QStringLiteral("full"), 12);
    o.modelDir = test::gpt2FixtureFolder(m_dir.filePath(QStringLiteral("gpt2-folder")));
    QVERIFY(!o.modelDir.isEmpty());
    o.tokenizer = nullptr; // the folder's WordPiece vocabulary
    o.hp.evalEvery = 4;
    const AlignResult trained = SftTrainer(*project, o).run();
    const RunRecord run = loadRun(*project, trained.runId);
    QVERIFY(run.bestStep > 0);
    double bestValLoss = -1;
    for (const MetricPoint& m : runMetrics(*project, run.id))
        if (m.split == QLatin1String("val") && m.name == QLatin1String("loss") && m.step == run.bestStep)
            bestValLoss = m.value;
    QVERIFY(bestValLoss > 0);

    qint64 calls = 0;
    const GenerationEvaluation g =
        evaluateSftRun(*project, run.id, QStringLiteral("val"), 6, [&](qint64 done, qint64 total) {
            ++calls;
            QCOMPARE(total, qint64(2));
            QVERIFY(done <= total);
        });
    QCOMPARE(calls, qint64(2));
    QCOMPARE(g.records, qint64(2)); // lines 4 and 8 of the file are val
    QCOMPARE(g.answers.size(), 2);
    QCOMPARE(g.answers[0].line, 4);
    QCOMPARE(g.answers[0].reference, QStringLiteral("Thanks! See Sync."));
    QCOMPARE(g.answers[0].prompt, QStringLiteral("app will not sync"));
    QVERIFY2(std::abs(g.loss - bestValLoss) < 1e-4,
             qPrintable(QStringLiteral("%1 vs %2").arg(g.loss).arg(bestValLoss)));
    QVERIFY(std::abs(g.perplexity - std::exp(g.loss)) < 1e-9 * g.perplexity);
    double meanRougeL = 0;
    for (const GeneratedAnswer& a : g.answers) {
        QCOMPARE(a.rougeL, rouge(a.generated, a.reference).rougeL.f1);
        meanRougeL += a.rougeL / 2;
    }
    QVERIFY(std::abs(g.rouge.rougeL.f1 - meanRougeL) < 1e-12);
    QVERIFY(g.exactMatch >= 0 && g.exactMatch <= 1);
    QCOMPARE(g.dataHash.size(), 64);
    QCOMPARE(g.toJson().value(QStringLiteral("answers")).toArray().size(), 2);
    // Greedy: the same evaluation again gives the same answers.
    QCOMPARE(evaluateSftRun(*project, run.id, QStringLiteral("val"), 6).answers[1].generated,
             g.answers[1].generated);
    QCOMPARE(evaluateSftRun(*project, run.id, QStringLiteral("test"), 6).records, qint64(1));

    QVERIFY(test::errorOf([&] { evaluateSftRun(*project, run.id, QStringLiteral("train")); })
                .contains("val or test"));
    QVERIFY(test::errorOf([&] { evaluateSftRun(*project, run.id, QStringLiteral("val"), 0); })
                .contains("max_new_tokens"));
    QVERIFY(test::errorOf([&] { evaluateSftRun(*project, 99, QStringLiteral("val")); })
                .contains("no run 99"));
    QVERIFY(QFile::rename(m_chat, m_chat + QStringLiteral(".moved")));
    const QString gone = test::errorOf([&] { evaluateSftRun(*project, run.id, QStringLiteral("val")); });
    QVERIFY(QFile::rename(m_chat + QStringLiteral(".moved"), m_chat));
    QVERIFY2(gone.contains("no longer there"), qPrintable(gone));
}

FTS_TEST_SUITE(TestSft)
#include "tst_sft.moc"
