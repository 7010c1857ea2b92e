// Generation: greedy vs python, KV cache vs recompute, sampling, stops, streaming, penalties.
#include "Suite.h"
#include "ModelFixtures.h"
#include "Error.h"
#include "models/Decoder.h"
#include "models/Generation.h"
#include "models/Safetensors.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <QtTest>

#include <cmath>

using namespace fts;
using fts::test::decoderFixtureDir;

namespace {

// Step logits of cached and recomputed generation must agree this closely (fp32).
constexpr double kCacheTolerance = 1e-5;

std::vector<int64_t> toVector(const at::Tensor& t)
{
    const at::Tensor c = t.to(at::kLong).contiguous();
    return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

struct Fixture
{
    std::shared_ptr<DecoderModel> model;
    std::vector<int64_t> prompt;
    std::vector<int64_t> greedy; // the python reference's continuation (full recompute)
};

Fixture fixture(const QString& family)
{
    const TensorMap ref =
        loadSafetensors(decoderFixtureDir(family) + QStringLiteral("/reference.safetensors"));
    return {loadDecoder(decoderFixtureDir(family)), toVector(ref.at("prompt_ids")),
            toVector(ref.at("greedy_ids"))};
}

GenerationOptions sampling(uint64_t seed)
{
    GenerationOptions o;
    o.sample = true;
    o.temperature = 1.3;
    o.topK = 40;
    o.topP = 0.95;
    o.maxNewTokens = 20;
    o.seed = seed;
    return o;
}

// Which entries a filter removed (set to -inf), as 0/1 flags.
std::vector<int64_t> removed(const at::Tensor& filtered)
{
    return toVector(filtered.isinf());
}

void addFamilies()
{
    QTest::addColumn<QString>("family");
    QTest::newRow("gpt2") << "gpt2";
    QTest::newRow("llama") << "llama";
    QTest::newRow("qwen2") << "qwen2";
}

} // namespace

class TestGeneration : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void greedyMatchesPython_data() { addFamilies(); }
    void greedyMatchesPython();
    void cacheEqualsRecompute_data() { addFamilies(); }
    void cacheEqualsRecompute();
    void topK1EqualsGreedy();
    void samplingIsReproducible();
    void neverChoosesIdsBeyondTheTokenizer();
    void stopTokenEndsGeneration();
    void stopSequenceEndsGeneration();
    void callbackStreamsAndStops();
    void cancelStops();
    void contextFullStops();
    void leftPaddedBatchMatchesSingle_data() { addFamilies(); }
    void leftPaddedBatchMatchesSingle();
    void repetitionPenaltyHandComputed();
    void topKAndTopPHandComputed();
    void penaltyChangesRepetitiveOutput();
    void badOptionsAreReported();
    void restoresTrainingMode();
};

void TestGeneration::greedyMatchesPython()
{
    QFETCH(QString, family);
    Fixture f = fixture(family);
    GenerationOptions o;
    o.maxNewTokens = int64_t(f.greedy.size());
    const GenerationResult r = generate(*f.model, f.prompt, o);
    QCOMPARE(r.tokens, f.greedy);
    QCOMPARE(r.reason, StopReason::MaxNewTokens);
}

void TestGeneration::cacheEqualsRecompute()
{
    QFETCH(QString, family);
    Fixture f = fixture(family);
    for (bool sample : {false, true}) {
        GenerationOptions o = sample ? sampling(7) : GenerationOptions();
        o.maxNewTokens = 12;
        o.keepLogits = true;
        const GenerationResult cached = generate(*f.model, f.prompt, o);
        o.useCache = false;
        const GenerationResult recomputed = generate(*f.model, f.prompt, o);
        QCOMPARE(cached.tokens, recomputed.tokens);
        QCOMPARE(cached.stepLogits.size(), size_t(12));
        double worst = 0;
        for (size_t i = 0; i < cached.stepLogits.size(); ++i)
            worst = std::max(
                worst,
                (cached.stepLogits[i] - recomputed.stepLogits[i]).abs().max().item<double>());
        qInfo("%s%s: max |cached - recomputed| step logit = %.3g", qPrintable(family),
              sample ? " (sampled)" : "", worst);
        QVERIFY2(worst < kCacheTolerance, qPrintable(QString::number(worst)));
    }
}

void TestGeneration::topK1EqualsGreedy()
{
    Fixture f = fixture("llama");
    GenerationOptions o = sampling(3);
    o.topK = 1;
    o.maxNewTokens = int64_t(f.greedy.size());
    QCOMPARE(generate(*f.model, f.prompt, o).tokens, f.greedy);
}

void TestGeneration::samplingIsReproducible()
{
    Fixture f = fixture("qwen2");
    const auto a = generate(*f.model, f.prompt, sampling(11)).tokens;
    const auto b = generate(*f.model, f.prompt, sampling(11)).tokens;
    const auto c = generate(*f.model, f.prompt, sampling(12)).tokens;
    QCOMPARE(a.size(), size_t(20));
    QCOMPARE(a, b);
    QVERIFY(a != c);
    QVERIFY(a != f.greedy); // sampling at temperature 1.3 is not greedy decoding
}

void TestGeneration::neverChoosesIdsBeyondTheTokenizer()
{
    // A padded embedding matrix: the tokenizer knows fewer ids than the model scores.
    Fixture f = fixture("gpt2");
    for (bool sample : {false, true}) {
        GenerationOptions o = sample ? sampling(5) : GenerationOptions();
        o.maxNewTokens = 40;
        o.tokenizerVocab = 10;
        for (int64_t id : generate(*f.model, f.prompt, o).tokens)
            QVERIFY2(id < 10, qPrintable(QString::number(id)));
    }
}

void TestGeneration::stopTokenEndsGeneration()
{
    Fixture f = fixture("llama"); // greedy: 82 24 43 92 37 43 88 ...
    GenerationOptions o;
    o.maxNewTokens = 10;
    o.stopTokenIds = {f.greedy[3], 1000};
    const GenerationResult r = generate(*f.model, f.prompt, o);
    QCOMPARE(r.reason, StopReason::StopToken);
    QCOMPARE(r.tokens, std::vector<int64_t>(f.greedy.begin(), f.greedy.begin() + 4));
}

void TestGeneration::stopSequenceEndsGeneration()
{
    Fixture f = fixture("llama");
    GenerationOptions o;
    o.maxNewTokens = 10;
    // {37, 43} first ends at index 5; the lone 43 at index 2 must not stop it.
    o.stopSequences = {{f.greedy[4], f.greedy[5]}, {f.greedy[0], f.greedy[0]}};
    const GenerationResult r = generate(*f.model, f.prompt, o);
    QCOMPARE(r.reason, StopReason::StopSequence);
    QCOMPARE(r.tokens, std::vector<int64_t>(f.greedy.begin(), f.greedy.begin() + 6));
}

void TestGeneration::callbackStreamsAndStops()
{
    Fixture f = fixture("gpt2");
    std::vector<int64_t> streamed;
    GenerationOptions o;
    o.maxNewTokens = 10;
    o.onToken = [&](size_t row, int64_t token) {
        [&] { QCOMPARE(row, size_t(0)); }();
        streamed.push_back(token);
        return streamed.size() < 3;
    };
    const GenerationResult r = generate(*f.model, f.prompt, o);
    QCOMPARE(r.reason, StopReason::Callback);
    QCOMPARE(streamed, std::vector<int64_t>(f.greedy.begin(), f.greedy.begin() + 3));
    QCOMPARE(r.tokens, streamed);
}

void TestGeneration::cancelStops()
{
    Fixture f = fixture("gpt2");
    int checks = 0;
    GenerationOptions o;
    o.maxNewTokens = 10;
    o.isCancelled = [&] { return ++checks > 2; };
    const GenerationResult r = generate(*f.model, f.prompt, o);
    QCOMPARE(r.reason, StopReason::Cancelled);
    QCOMPARE(r.tokens, std::vector<int64_t>(f.greedy.begin(), f.greedy.begin() + 2));
}

void TestGeneration::contextFullStops()
{
    Fixture f = fixture("gpt2"); // n_positions = 64
    std::vector<int64_t> prompt(60, 5);
    GenerationOptions o;
    o.maxNewTokens = 10;
    const GenerationResult r = generate(*f.model, prompt, o);
    QCOMPARE(r.reason, StopReason::ContextFull);
    QCOMPARE(r.tokens.size(), size_t(4));
}

void TestGeneration::leftPaddedBatchMatchesSingle()
{
    QFETCH(QString, family);
    Fixture f = fixture(family);
    const std::vector<int64_t> shortPrompt(f.prompt.begin() + 3, f.prompt.end());
    GenerationOptions o;
    o.maxNewTokens = 8;
    const auto batch = generateBatch(*f.model, {f.prompt, shortPrompt}, o, /*padId=*/0);
    QCOMPARE(batch.size(), size_t(2));
    QCOMPARE(batch[0].tokens, std::vector<int64_t>(f.greedy.begin(), f.greedy.begin() + 8));
    QCOMPARE(batch[1].tokens, generate(*f.model, shortPrompt, o).tokens);
}

void TestGeneration::repetitionPenaltyHandComputed()
{
    // CTRL's rule by hand, penalty 2: seen positive logits halve, seen negative ones double.
    const at::Tensor logits = at::tensor({2.0f, -1.0f, 0.5f, -3.0f, 4.0f});
    const at::Tensor out = applyRepetitionPenalty(logits, {0, 1, 1, 4}, 2.0);
    QVERIFY(at::equal(out, at::tensor({1.0f, -2.0f, 0.5f, -3.0f, 2.0f})));
    QVERIFY(at::equal(logits, at::tensor({2.0f, -1.0f, 0.5f, -3.0f, 4.0f}))); // input untouched
    // Greedy picks 4 without the penalty, 0 with a penalty of 3 (4/3 < 2).
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(0);
    GenerationOptions o;
    QCOMPARE(chooseToken(at::tensor({2.0f, 0.f, 0.f, 0.f, 4.0f}), {4}, o, gen), int64_t(4));
    o.repetitionPenalty = 3.0;
    QCOMPARE(chooseToken(at::tensor({2.0f, 0.f, 0.f, 0.f, 4.0f}), {4}, o, gen), int64_t(0));
}

void TestGeneration::topKAndTopPHandComputed()
{
    const float inf = std::numeric_limits<float>::infinity();
    const at::Tensor logits = at::tensor({1.0f, 3.0f, 2.0f, 0.0f});
    QVERIFY(at::equal(topKFilter(logits, 2), at::tensor({-inf, 3.0f, 2.0f, -inf})));
    QVERIFY(at::equal(topKFilter(logits, 0), logits));
    // Probabilities 0.5, 0.3, 0.15, 0.05 (as log-probabilities).
    const at::Tensor probs = at::tensor({0.15f, 0.5f, 0.05f, 0.3f});
    const at::Tensor lp = probs.log();
    // p = 0.7: 0.5 alone is short of 0.7, so 0.3 joins; 0.5 + 0.3 reaches it, the rest go.
    QCOMPARE(removed(topPFilter(lp, 0.7)), std::vector<int64_t>({1, 0, 1, 0}));
    QCOMPARE(removed(topPFilter(lp, 0.85)), std::vector<int64_t>({0, 0, 1, 0}));
    QCOMPARE(removed(topPFilter(lp, 0.3)), std::vector<int64_t>({1, 0, 1, 1}));
    QVERIFY(at::equal(topPFilter(lp, 1.0), lp));
}

void TestGeneration::penaltyChangesRepetitiveOutput()
{
    Fixture f = fixture("gpt2"); // greedy repeats 33 four times
    GenerationOptions o;
    o.maxNewTokens = int64_t(f.greedy.size());
    o.repetitionPenalty = 5.0;
    const auto tokens = generate(*f.model, f.prompt, o).tokens;
    QCOMPARE(tokens.front(), f.greedy.front()); // nothing generated yet that 87 could repeat
    QVERIFY(tokens != f.greedy);
    QVERIFY(std::count(tokens.begin(), tokens.end(), f.greedy[3]) < 4);
}

void TestGeneration::badOptionsAreReported()
{
    Fixture f = fixture("gpt2");
    GenerationOptions o = sampling(1);
    o.temperature = 0;
    QVERIFY_THROWS_EXCEPTION(Error, generate(*f.model, f.prompt, o));
    o = GenerationOptions();
    o.topP = 0;
    QVERIFY_THROWS_EXCEPTION(Error, generate(*f.model, f.prompt, o));
    try {
        generate(*f.model, {1, 2, 100}, GenerationOptions());
        QFAIL("accepted a token id outside the vocabulary");
    } catch (const Error& e) {
        QVERIFY2(e.message().contains("100") && e.message().contains("vocabulary"),
                 qPrintable(e.message()));
    }
    QVERIFY_THROWS_EXCEPTION(Error, generate(*f.model, {}, GenerationOptions()));
}

void TestGeneration::restoresTrainingMode()
{
    Fixture f = fixture("gpt2");
    f.model->train();
    GenerationOptions o;
    o.maxNewTokens = int64_t(f.greedy.size());
    // Dropout (0.1 in this config) would change the tokens if generation ran in training mode.
    QCOMPARE(generate(*f.model, f.prompt, o).tokens, f.greedy);
    QVERIFY(f.model->is_training());
}

FTS_TEST_SUITE(TestGeneration)
#include "tst_generation.moc"
