// Shared by the deployment suites: tiny trained runs and model folders with the committed
// 100-word vocabulary (tests/fixtures/deploy), so every suite starts from a real fine-tuned model.
#pragma once

#include "data/Importer.h"
#include "project/Project.h"
#include "train/RunStore.h"
#include "train/TextTokenizer.h"
#include "train/TrainTypes.h"

#include "TestUtil.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <random>

namespace fts::test {

inline const QString kDeployFixtures = QStringLiteral(FTS_FIXTURES_DIR "/deploy");
inline const QString kBertFixture = QStringLiteral(FTS_FIXTURES_DIR "/models/encoders/bert");
inline const QString kGpt2Fixture = QStringLiteral(FTS_FIXTURES_DIR "/models/decoders/gpt2");

// Fruit words make a text "food", vehicle words "travel"; fillers carry no signal.
inline QByteArray toyCsv(int train, int val, int test, unsigned seed = 7)
{
    const QStringList food = {"apple", "banana", "cherry", "grape", "lemon", "mango"};
    const QStringList travel = {"car", "truck", "bus", "train", "plane", "boat"};
    const QStringList filler = {"the", "a", "is", "very", "and", "my", "today", "!"};
    std::mt19937 rng(seed);
    QByteArray csv = "text,label,split\n";
    const auto pick = [&](const QStringList& l) { return l[int(rng() % uint32_t(l.size()))]; };
    for (int i = 0; i < train + val + test; ++i) {
        const bool isFood = i % 2 == 0;
        QStringList words;
        for (int w = 0; w < 2 + int(rng() % 2); ++w)
            words << pick(isFood ? food : travel);
        for (int w = 0; w < 1 + int(rng() % 4); ++w)
            words.insert(int(rng() % uint32_t(words.size() + 1)), pick(filler));
        const char* split = i < train ? "train" : i < train + val ? "val" : "test";
        csv += words.join(' ').toUtf8() + (isFood ? ",food," : ",travel,") + split + "\n";
    }
    return csv;
}

// A model folder from a fixture's config.json and weights plus the committed vocab.txt.
inline QString fixtureWithVocab(const QString& fixture, const QString& dir)
{
    QDir().mkpath(dir);
    for (const char* name : {"config.json", "model.safetensors"})
        QFile::copy(fixture + "/" + name, dir + "/" + name);
    QFile::copy(kDeployFixtures + "/vocab.txt", dir + "/vocab.txt");
    return dir;
}

struct ToyRun
{
    QString projectPath;
    qint64 runId = 0;
    TrainResult result;
};

// Trains the BERT fixture (its vocab.txt tokenizer) on the toy task with `method`.
inline ToyRun trainToyRun(const QString& workDir, const QString& method)
{
    const QString name = QStringLiteral("toy_") + method;
    ToyRun run;
    run.projectPath = workDir + "/" + name + ".ftproj";
    auto project = Project::create(run.projectPath);
    writeFile(workDir + "/" + name + ".csv", toyCsv(96, 24, 12));
    ImportOptions o;
    o.file = workDir + "/" + name + ".csv";
    importTable(*project, o);
    TrainerOptions options;
    options.modelDir = fixtureWithVocab(kBertFixture, workDir + "/base_bert");
    options.hp.method = method;
    options.hp.lr = method == QLatin1String("lora") ? 5e-3 : 2e-3;
    options.hp.epochs = 6;
    options.hp.batchSize = 8;
    options.hp.warmupRatio = 0.1;
    options.hp.seed = 5;
    options.hp.loraRank = 4;
    options.hp.loraAlpha = 8;
    options.hp.loraDropout = 0;
    run.result = Trainer(*project, options).run();
    run.runId = run.result.runId;
    return run;
}

} // namespace fts::test
