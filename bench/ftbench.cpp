// ftbench: benchmarks of the studio's engine, each printing one line "name | figure | compared with".
// Run through bench/run, which builds, runs every benchmark (or a named subset) and writes RESULTS.md.
#include "Benchmarks.h"

#include "Error.h"
#include "data/Importer.h"
#include "data/NearDuplicates.h"
#include "project/Project.h"
#include "tokenize/SentencePiece.h"
#include "tokenize/Tokenizer.h"

#include <ATen/Parallel.h>

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTextStream>

#include <cstdio>
#include <random>
#include <tuple>

using namespace fts;
using namespace fts::bench;

namespace fts::bench {

qint64 peakRssMb()
{
    QFile f(QStringLiteral("/proc/self/status"));
    f.open(QIODevice::ReadOnly);
    for (const QByteArray& line : f.readAll().split('\n'))
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong() / 1024;
    return -1;
}

void row(const QString& name, const QString& figure, const QString& compared)
{
    QTextStream(stdout) << "| " << name << " | " << figure << " | " << compared << " |\n";
}

std::optional<QJsonObject> runPythonJob(const QString& script, const QJsonObject& job,
                                        const QString& workDir, QString* why)
{
    const QString jobFile = workDir + QStringLiteral("/") + script + QStringLiteral(".json");
    QFile f(jobFile);
    if (!f.open(QIODevice::WriteOnly))
        throw Error(QStringLiteral("cannot write %1").arg(jobFile));
    f.write(QJsonDocument(job).toJson(QJsonDocument::Compact));
    f.close();
    QProcess p;
    // Debian's python3-torch lives under /usr/bin/python3 (a pyenv shim may shadow it on PATH).
    p.start(QStringLiteral("/usr/bin/python3"),
            {QStringLiteral(FTS_SOURCE_DIR "/bench/") + script, jobFile});
    if (!p.waitForFinished(-1) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        const QString err = QString::fromUtf8(p.readAllStandardError()).trimmed();
        *why = p.error() == QProcess::FailedToStart ||
                       err.contains(QLatin1String("No module named 'torch'"))
                   ? QStringLiteral("python3-torch is not installed (apt install python3-torch)")
                   : err.section(QLatin1Char('\n'), -1);
        return std::nullopt;
    }
    return QJsonDocument::fromJson(p.readAllStandardOutput().trimmed()).object();
}

} // namespace fts::bench

namespace {

// 6. Data: import of an N-row CSV, time and peak memory (the file is generated here).
void importBench(int rows)
{
    QTemporaryDir dir;
    const QString csv = dir.filePath(QStringLiteral("rows.csv"));
    {
        QFile f(csv);
        f.open(QIODevice::WriteOnly);
        f.write("text,label\n");
        QByteArray chunk;
        for (int i = 0; i < rows; ++i) {
            chunk += "customer review number " + QByteArray::number(i) + " about delivery and quality,";
            chunk += i % 3 == 0 ? "negative\n" : i % 3 == 1 ? "neutral\n" : "positive\n";
            if (chunk.size() > (1 << 20)) {
                f.write(chunk);
                chunk.clear();
            }
        }
        f.write(chunk);
    }
    const qint64 mb = QFile(csv).size() / (1024 * 1024);
    const qint64 before = peakRssMb();
    auto project = Project::create(dir.filePath(QStringLiteral("bench.ftproj")));
    ImportOptions o;
    o.file = csv;
    QElapsedTimer t;
    t.start();
    importTable(*project, o);
    const double s = t.elapsed() / 1000.0;
    row(QStringLiteral("import %1 rows (%2 MB CSV)").arg(rows).arg(mb),
        QStringLiteral("%1 s, %2 rows/s, peak RSS +%3 MB").arg(s, 0, 'f', 1).arg(qint64(rows / s)).arg(peakRssMb() - before),
        QStringLiteral("memory stays flat as rows grow (streamed into one SQLite transaction)"));
}

// 6. Data: near-duplicate detection on N rows with planted copies, vs the exact all-pairs check.
void nearDupBench(int rows)
{
    // Sentences of 8-15 words from a 5,000-word synthetic vocabulary (seeded), like real reviews in
    // that unrelated rows share few character 5-grams.
    std::mt19937 rng(7);
    QStringList vocabulary;
    for (int w = 0; w < 5000; ++w) {
        QString word;
        for (int c = 0, n = 3 + int(rng() % 6); c < n; ++c)
            word += QChar('a' + int(rng() % 26));
        vocabulary << word;
    }
    QStringList texts;
    for (int i = 0; i < rows; ++i) {
        QStringList words;
        for (int w = 0, n = 8 + int(rng() % 8); w < n; ++w)
            words << vocabulary[int(rng() % vocabulary.size())];
        texts << words.join(QLatin1Char(' '));
    }
    for (int i = 0; i < rows / 100; ++i)
        texts << texts[i * 50] + QStringLiteral("!");
    QElapsedTimer t;
    t.start();
    const auto groups = nearDuplicateGroups(texts, 0.8);
    const double s = t.elapsed() / 1000.0;
    // The all-pairs alternative on a sample, scaled: n^2/2 Jaccard computations.
    const int sample = 300;
    t.restart();
    int hits = 0;
    for (int i = 0; i < sample; ++i)
        for (int j = i + 1; j < sample; ++j)
            hits += shingleJaccard(texts[i], texts[j]) >= 0.8;
    const double pairSeconds = t.elapsed() / 1000.0 / (double(sample) * sample / 2);
    const double allPairs = pairSeconds * double(texts.size()) * texts.size() / 2;
    row(QStringLiteral("near-duplicates in %1 rows").arg(texts.size()),
        QStringLiteral("%1 s, %2 groups").arg(s, 0, 'f', 1).arg(groups.size()),
        QStringLiteral("all-pairs Jaccard would take ~%1 s (%2x)").arg(allPairs, 0, 'f', 0).arg(allPairs / s, 0, 'f', 0));
    (void)hits;
}

// 5. Tokenization: sentencepiece through the shim vs Debian's spm_encode on the same lines.
void spmBench(int lines)
{
    QTemporaryDir dir;
    const QString prefix = dir.filePath(QStringLiteral("m"));
    SentencePieceModel::train(QStringLiteral("--input=/usr/share/common-licenses/GPL-3 --model_prefix=%1 --vocab_size=1000 "
                                             "--num_threads=1 --minloglevel=2").arg(prefix));
    auto model = SentencePieceModel::load(prefix + QStringLiteral(".model"));
    QStringList text;
    QFile gpl(QStringLiteral("/usr/share/common-licenses/GPL-3"));
    gpl.open(QIODevice::ReadOnly);
    const QStringList source = QString::fromUtf8(gpl.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    for (int i = 0; i < lines; ++i)
        text << source[i % source.size()];
    QElapsedTimer t;
    t.start();
    qint64 tokens = 0;
    for (const QString& l : text)
        tokens += model->encode(l).size();
    const double ours = t.elapsed() / 1000.0;
    QFile in(dir.filePath(QStringLiteral("in.txt")));
    in.open(QIODevice::WriteOnly);
    in.write(text.join(QLatin1Char('\n')).toUtf8() + "\n");
    in.close();
    QProcess p;
    p.setStandardInputFile(in.fileName());
    p.setStandardOutputFile(QProcess::nullDevice());
    t.restart();
    p.start(QStandardPaths::findExecutable(QStringLiteral("spm_encode")), {QStringLiteral("--model=") + prefix + QStringLiteral(".model"), QStringLiteral("--output_format=id")});
    p.waitForFinished(-1);
    const double ref = t.elapsed() / 1000.0;
    row(QStringLiteral("sentencepiece, %1 lines").arg(lines),
        QStringLiteral("%1 tokens/s").arg(qint64(tokens / ours)),
        QStringLiteral("spm_encode %1 tokens/s (ratio %2)").arg(qint64(tokens / ref)).arg(ref / ours, 0, 'f', 2));
}

// 5b. Tokenization: GPT-2's byte-level BPE and BERT's WordPiece against the npm packages the
// tests check them with (gpt-3-encoder, bert-tokenizer), on the same lines. bench/run installs
// the packages and says where with FTS_BENCH_NODE_PATH; without node they are not measured.
void jsTokenizerBench(int lines)
{
    QFile gpl(QStringLiteral("/usr/share/common-licenses/GPL-3"));
    gpl.open(QIODevice::ReadOnly);
    const QStringList source = QString::fromUtf8(gpl.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QStringList text;
    for (int i = 0; i < lines; ++i)
        text << source[i % source.size()];
    QTemporaryDir dir;
    QFile in(dir.filePath(QStringLiteral("in.txt")));
    in.open(QIODevice::WriteOnly);
    in.write(text.join(QLatin1Char('\n')).toUtf8() + "\n");
    in.close();
    const QString nodePath = qEnvironmentVariable("FTS_BENCH_NODE_PATH");
    const QString node = QStandardPaths::findExecutable(QStringLiteral("node"));
    for (const auto& [kind, name, package] : {std::tuple{"gpt2", "GPT-2 byte-level BPE", "gpt-3-encoder"},
                                              std::tuple{"bert", "BERT WordPiece (uncased)", "bert-tokenizer"}}) {
        const auto tokenizer = loadTokenizer(QStringLiteral(FTS_SOURCE_DIR "/tests/fixtures/tokenizers/") + QLatin1String(kind));
        EncodeOptions o;
        o.addSpecialTokens = false;
        o.maxLength = 1 << 30;
        for (qsizetype i = 0; i < std::min<qsizetype>(2000, text.size()); ++i) // as the JS side warms up
            tokenizer->encode(text[i], {}, o);
        QElapsedTimer t;
        t.start();
        qint64 tokens = 0;
        for (const QString& l : text)
            tokens += qint64(tokenizer->encode(l, {}, o).ids.size());
        const double ours = t.elapsed() / 1000.0;
        const QString label = QStringLiteral("%1, %2 lines").arg(QLatin1String(name)).arg(lines);
        const QString figure = QStringLiteral("%1 tokens/s").arg(qint64(tokens / ours));
        if (nodePath.isEmpty() || node.isEmpty()) {
            row(label, figure, QStringLiteral("%1 not measured (node or the npm package missing; bench/run installs it)")
                                   .arg(QLatin1String(package)));
            continue;
        }
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("NODE_PATH"), nodePath);
        p.setProcessEnvironment(env);
        p.start(node, {QStringLiteral(FTS_SOURCE_DIR "/bench/js_tokenize.js"), QLatin1String(kind), in.fileName()});
        p.waitForFinished(-1);
        const QJsonObject js = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
        const double jsSeconds = js.value(QStringLiteral("seconds")).toDouble();
        if (p.exitCode() != 0 || jsSeconds <= 0) {
            row(label, figure, QStringLiteral("%1 failed: %2").arg(QLatin1String(package), QString::fromUtf8(p.readAllStandardError()).simplified().left(120)));
            continue;
        }
        const qint64 jsTokens = js.value(QStringLiteral("tokens")).toInteger();
        row(label, figure,
            QStringLiteral("npm %1 %2 tokens/s (ratio %3; it counted %4 tokens, the studio %5)")
                .arg(QLatin1String(package))
                .arg(qint64(jsTokens / jsSeconds))
                .arg((tokens / ours) / (jsTokens / jsSeconds), 0, 'f', 2)
                .arg(jsTokens)
                .arg(tokens));
    }
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments().mid(1);
    const bool smoke = args.removeAll(QStringLiteral("--smoke")) > 0;
    const int threads = int(args.indexOf(QStringLiteral("--threads")));
    if (threads >= 0 && threads + 1 < args.size()) {
        at::set_num_threads(args[threads + 1].toInt());
        args.remove(threads, 2);
    }
    if (args.isEmpty())
        args = {QStringLiteral("import"), QStringLiteral("neardup"), QStringLiteral("tokenize"),
                QStringLiteral("train"), QStringLiteral("infer")};
    try {
        for (const QString& b : args) {
            if (b == QLatin1String("import"))
                importBench(smoke ? 10000 : 1000000);
            else if (b == QLatin1String("neardup"))
                nearDupBench(smoke ? 2000 : 100000);
            else if (b == QLatin1String("tokenize")) {
                spmBench(smoke ? 2000 : 100000);
                jsTokenizerBench(smoke ? 2000 : 100000);
            }
            else if (b == QLatin1String("train"))
                trainBench(smoke);
            else if (b == QLatin1String("infer"))
                inferBench(smoke);
            else {
                std::fprintf(stderr, "unknown benchmark '%s' (import, neardup, tokenize, train, infer)\n",
                             qPrintable(b));
                return 2;
            }
        }
    } catch (const Error& e) {
        std::fprintf(stderr, "error: %s\n", qPrintable(e.message()));
        return 1;
    }
    return 0;
}
