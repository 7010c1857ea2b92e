// ftbench-starter: does pre-training pay? starter-encoder vs the same architecture from random
// initialisation (same data, budget and seeds), and a bag-of-words logistic regression, on the
// sentiment sample's test split. Prints table rows like ftbench; see bench/README.md.
#include "Error.h"
#include "data/Importer.h"
#include "label/LogisticRegression.h"
#include "models/SequenceClassifier.h"
#include "models/StateDict.h"
#include "pretrain/MaskedLm.h"
#include "project/Project.h"
#include "tokenize/TokenizerFiles.h"
#include "train/TextTokenizer.h"
#include "train/TrainData.h"
#include "train/Trainer.h"

#include <ATen/ATen.h>

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QTemporaryDir>
#include <QTextStream>

#include <cmath>

using namespace fts;

namespace {

void row(const QString& name, const QString& figure, const QString& compared)
{
    QTextStream(stdout) << "| " << name << " | " << figure << " | " << compared << " |" << Qt::endl;
}

struct Stats
{
    double mean = 0, sd = 0;
};

Stats stats(const std::vector<double>& v)
{
    Stats s;
    for (double x : v)
        s.mean += x / double(v.size());
    for (double x : v)
        s.sd += (x - s.mean) * (x - s.mean) / std::max<double>(1, double(v.size()) - 1);
    s.sd = std::sqrt(s.sd);
    return s;
}

QString list(const std::vector<double>& v)
{
    QStringList parts;
    for (double x : v)
        parts << QString::number(100 * x, 'f', 1);
    return parts.join(QStringLiteral(", "));
}

// The starter's architecture and tokenizer with HF's initialisation instead of its weights.
QString randomInitCopy(const QString& starter, const QString& dir, int seed)
{
    QDir().mkpath(dir);
    copyTokenizerFiles(starter, dir);
    const ModelConfig config = ModelConfig::load(starter);
    config.save(dir);
    at::manual_seed(uint64_t(seed));
    BertForMaskedLm model(config);
    model->initWeights();
    saveSafetensors(QDir(dir).filePath(QStringLiteral("model.safetensors")), stateDict(*model));
    return dir;
}

// A copy of the model folder whose config.json asks the classifier for `pooling`.
QString withPooling(const QString& model, const QString& pooling, const QString& dir)
{
    QDir().mkpath(dir);
    for (const QFileInfo& f : QDir(model).entryInfoList(QDir::Files))
        QFile::copy(f.filePath(), QDir(dir).filePath(f.fileName()));
    ModelConfig config = ModelConfig::load(dir);
    config.classifierPooling = pooling;
    config.save(dir);
    ModelConfig::load(dir); // refuses a pooling name it does not know
    return dir;
}

double fineTune(Project& project, const QString& modelDir, int seed, const Hyperparameters& base)
{
    TrainerOptions o;
    o.modelDir = modelDir;
    o.hp = base;
    o.hp.seed = seed;
    Trainer trainer(project, o);
    const TrainResult r = trainer.run();
    return evaluateRun(project, r.runId, QStringLiteral("test")).accuracy;
}

// Multinomial logistic regression on binary word features (WordVocabulary's split, the training
// split's words); the classic baseline a fine-tuned model must beat.
double bagOfWords(const TaskData& data)
{
    QHash<QString, int64_t> vocab;
    for (const Example& e : data.splits.value(QStringLiteral("train")))
        for (const QString& w : WordVocabulary::split(e.text))
            if (!vocab.contains(w))
                vocab.insert(w, vocab.size());
    const auto features = [&](const std::vector<Example>& rows) {
        at::Tensor x = at::zeros({int64_t(rows.size()), int64_t(vocab.size())});
        at::Tensor y = at::zeros({int64_t(rows.size())}, at::kLong);
        for (size_t i = 0; i < rows.size(); ++i) {
            for (const QString& w : WordVocabulary::split(rows[i].text))
                if (vocab.contains(w))
                    x[int64_t(i)][vocab.value(w)] = 1.0;
            y[int64_t(i)] = rows[i].label;
        }
        return std::make_pair(x, y);
    };
    const auto [x, y] = features(data.splits.value(QStringLiteral("train")));
    const auto [xt, yt] = features(data.splits.value(QStringLiteral("test")));
    LogisticRegressionOptions o;
    o.standardize = false;
    o.iterations = 500;
    const LogisticRegression model = LogisticRegression::fit(x, y, data.labels.size(), o);
    return model.probabilities(xt).argmax(1).eq(yt).to(at::kDouble).mean().item<double>();
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const auto value = [&](const QString& name, const QString& fallback) {
        const int i = int(args.indexOf(name));
        return i > 0 && i + 1 < args.size() ? args[i + 1] : fallback;
    };
    const QString root = QStringLiteral(FTS_SOURCE_DIR);
    QString starter = value("--model", root + "/resources/models/starter-encoder");
    const QString csv = value("--data", root + "/datasets/sentiment/sentiment.csv");
    const int seeds = value("--seeds", "3").toInt();
    // --only bow,random,starter: a subset, e.g. to run the baselines while the starter trains.
    const QStringList only = value("--only", "bow,random,starter").split(QLatin1Char(','));
    at::set_num_threads(value("--threads", "1").toInt());
    Hyperparameters hp;
    hp.method = QStringLiteral("full");
    hp.epochs = value("--epochs", "6").toInt();
    hp.lr = value("--lr", "5e-4").toDouble(); // the starter's recommended_hyperparameters.json
    hp.batchSize = 16;
    hp.maxLength = 64;
    hp.warmupRatio = 0.1;
    try {
        QTemporaryDir dir;
        // --pooling cls|mean: both models read this from config.json (classifier_pooling).
        if (args.contains(QStringLiteral("--pooling")))
            starter = withPooling(starter, value("--pooling", "cls"),
                                  dir.filePath(QStringLiteral("starter")));
        auto project = Project::create(dir.filePath(QStringLiteral("bench.ftproj")));
        ImportOptions io;
        io.file = csv;
        importTable(*project, io);
        const TaskData data = loadTaskData(*project, {});
        if (only.contains(QStringLiteral("bow")))
            row(QStringLiteral("sentiment test accuracy: bag-of-words logistic regression"),
                QStringLiteral("%1%").arg(100 * bagOfWords(data), 0, 'f', 1),
                QStringLiteral("baseline written in the benchmark (binary word features, L2)"));
        std::vector<double> pre, scratch;
        QElapsedTimer t;
        t.start();
        for (int s = 0; s < seeds; ++s) {
            const int seed = 11 + s;
            if (only.contains(QStringLiteral("starter")))
                pre.push_back(fineTune(*project, starter, seed, hp));
            if (only.contains(QStringLiteral("random")))
                scratch.push_back(fineTune(
                    *project,
                    randomInitCopy(starter, dir.filePath(QStringLiteral("random-%1").arg(seed)),
                                   seed),
                    seed, hp));
            QTextStream(stderr) << "seed " << seed << " done: starter " << list(pre) << "; random "
                                << list(scratch) << " (" << t.elapsed() / 1000 << " s)" << Qt::endl;
        }
        const Stats a = stats(pre), b = stats(scratch);
        const QString budget =
            QStringLiteral("full fine-tuning, %1 epochs, lr %2, batch 16, %3 seeds, %4 pooling")
                .arg(hp.epochs)
                .arg(hp.lr)
                .arg(seeds)
                .arg(ModelConfig::load(starter).classifierPooling);
        if (!pre.empty())
            row(QStringLiteral("sentiment test accuracy: starter-encoder fine-tuned"),
                QStringLiteral("%1 ± %2% (%3)")
                    .arg(100 * a.mean, 0, 'f', 1)
                    .arg(100 * a.sd, 0, 'f', 1)
                    .arg(list(pre)),
                budget);
        if (!scratch.empty())
            row(QStringLiteral("sentiment test accuracy: same architecture, random init"),
                QStringLiteral("%1 ± %2% (%3)")
                    .arg(100 * b.mean, 0, 'f', 1)
                    .arg(100 * b.sd, 0, 'f', 1)
                    .arg(list(scratch)),
                budget + (pre.empty() ? QString()
                                      : QStringLiteral("; starter minus random: %1 points")
                                            .arg(100 * (a.mean - b.mean), 0, 'f', 1)));
    } catch (const Error& e) {
        QTextStream(stderr) << "error: " << e.message() << Qt::endl;
        return 1;
    }
    return 0;
}
