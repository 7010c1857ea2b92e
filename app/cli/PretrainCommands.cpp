// ftstudio-cli pretrain: domain-adaptation pre-training from text files into a model folder.
#include "CliCommon.h"

#include "pretrain/Corpus.h"
#include "pretrain/PretrainJob.h"
#include "project/Project.h"

#include <QTextStream>

#include <atomic>
#include <csignal>

namespace fts::cli {
namespace {

// Ctrl-C (or a TERM from a scheduler) stops after the current step with a checkpoint saved;
// running the same command again resumes.
std::atomic<bool> g_stop{false};

void requestStop(int)
{
    g_stop = true;
}

double number(const QCommandLineParser& p, const QCommandLineOption& o, double fallback)
{
    if (!p.isSet(o))
        return fallback;
    bool ok = false;
    const double v = p.value(o).toDouble(&ok);
    if (!ok)
        throw UsageError{QStringLiteral("--%1 needs a number, got '%2'")
                             .arg(o.names().constFirst(), p.value(o))};
    return v;
}

QStringList readDocuments(const QCommandLineParser& parser, const QCommandLineOption& corpus,
                          const QCommandLineOption& project, const QCommandLineOption& paragraphs)
{
    CorpusOptions co;
    co.paragraphs = parser.isSet(paragraphs);
    QStringList docs;
    if (parser.isSet(corpus))
        docs = readCorpus(parser.values(corpus), co);
    if (parser.isSet(project)) {
        auto p =
            Project::open(projectPathArgument(parser.value(project)), Project::Access::ReadOnly);
        docs += projectCorpus(*p, co);
    }
    return docs;
}

QJsonObject resultJson(const PretrainResult& r)
{
    return {{"status", r.status},
            {"objective", r.objective},
            {"steps", r.steps},
            {"tokens_seen", r.tokensSeen},
            {"corpus_documents", r.corpusDocuments},
            {"corpus_tokens", r.corpusTokens},
            {"parameters", r.parameters},
            {"seconds", r.seconds},
            {"last_loss", r.lastLoss},
            {"eval_loss", r.evalLoss},
            {"eval_perplexity", r.evalPerplexity},
            {"resumed", r.resumed},
            {"stopped_early", r.stoppedEarly}};
}

} // namespace

int cmdPretrain(const QStringList& args)
{
    QCommandLineParser parser;
    const auto opt = [](const char* name, const char* help, const char* value = nullptr) {
        return value ? QCommandLineOption(QLatin1String(name), QLatin1String(help),
                                          QLatin1String(value))
                     : QCommandLineOption(QLatin1String(name), QLatin1String(help));
    };
    const QCommandLineOption corpus = opt("corpus", "Text file or folder (repeatable).", "PATH");
    const QCommandLineOption project = opt("project", "Also use a project's text column.", "FILE");
    const QCommandLineOption paragraphs =
        opt("paragraphs", "A document is a paragraph (default: one per line).");
    const QCommandLineOption out = opt("out", "Model folder to write (and resume in).", "DIR");
    const QCommandLineOption model =
        opt("model", "Continue pre-training this model folder.", "DIR");
    const QCommandLineOption family = opt("family", "From scratch: bert or llama.", "NAME");
    const QCommandLineOption size = opt("size", "From scratch: tiny, mini, small or base.", "PRESET");
    const QCommandLineOption tokenizer = opt("tokenizer", "From scratch: unigram or bpe.", "ALG");
    const QCommandLineOption vocab = opt("vocab", "From scratch: vocabulary size.", "N");
    const QCommandLineOption coverage = opt(
        "coverage", "From scratch: share of characters the tokenizer covers (default 1).", "X");
    const QCommandLineOption steps = opt("steps", "Optimizer steps (default 1000).", "N");
    const QCommandLineOption batch = opt("batch", "Blocks per step (default 32).", "N");
    const QCommandLineOption block = opt("block", "Tokens per block (default 128).", "N");
    const QCommandLineOption lr = opt("lr", "Peak learning rate (default 5e-4).", "X");
    const QCommandLineOption warmup = opt("warmup", "Warmup fraction (default 0.06).", "X");
    const QCommandLineOption seed = opt("seed", "Random seed (default 42).", "N");
    const QCommandLineOption every = opt("checkpoint-every", "Steps between checkpoints.", "N");
    const QCommandLineOption evalEvery =
        opt("eval-every", "Steps between held-out perplexity checks (default: at the end).", "N");
    const QCommandLineOption maxDocs = opt("max-documents", "Seeded sample of the corpus.", "N");
    const QCommandLineOption threads = opt("threads", "CPU threads (default: all cores).", "N");
    const QCommandLineOption finish =
        opt("finish-now", "Write the model from the last checkpoint and stop (same options).");
    const QCommandLineOption json = opt("json", "Print one JSON object.");
    parser.addOptions({corpus,    project, paragraphs, out,     model,  family, size,
                       tokenizer, vocab,   steps,      batch,   block,  lr,     warmup,
                       seed,      every,   maxDocs,    threads, finish, json, coverage,
                       evalEvery});
    parseOrThrow(parser, args, QStringLiteral("pretrain"),
                 QStringLiteral("Pre-train a model on unlabeled text: masked LM for BERT, causal "
                                "LM for Llama. Stop with Ctrl-C; the same command resumes."));
    positionals(parser, {});
    if (!parser.isSet(out) || (!parser.isSet(corpus) && !parser.isSet(project)))
        throw UsageError{QStringLiteral("pretrain needs --out DIR and --corpus PATH or --project")};
    if (parser.isSet(model) && (parser.isSet(family) || parser.isSet(size)))
        throw UsageError{QStringLiteral("--model continues an existing model; leave out --family "
                                        "and --size")};
    PretrainOptions o;
    o.outDir = parser.value(out);
    o.baseModel = parser.value(model);
    o.family = parser.isSet(family) ? parser.value(family) : QStringLiteral("bert");
    o.preset = parser.isSet(size) ? parser.value(size) : QStringLiteral("small");
    if (parser.isSet(tokenizer))
        o.tokenizer.algorithm = parser.value(tokenizer);
    o.tokenizer.vocabSize = int(number(parser, vocab, o.tokenizer.vocabSize));
    o.tokenizer.characterCoverage =
        number(parser, coverage, o.tokenizer.characterCoverage);
    o.maxSteps = qint64(number(parser, steps, double(o.maxSteps)));
    o.batchSize = int(number(parser, batch, o.batchSize));
    o.blockSize = int(number(parser, block, o.blockSize));
    o.lr = number(parser, lr, o.lr);
    o.warmupRatio = number(parser, warmup, o.warmupRatio);
    o.seed = qint64(number(parser, seed, double(o.seed)));
    o.checkpointEvery = qint64(number(parser, every, double(o.checkpointEvery)));
    o.evalEvery = qint64(number(parser, evalEvery, 0));
    o.threads = int(number(parser, threads, 0));
    o.finishNow = parser.isSet(finish);
    o.documents = sampleDocuments(readDocuments(parser, corpus, project, paragraphs),
                                  qint64(number(parser, maxDocs, 0)), quint64(o.seed));

    std::signal(SIGINT, requestStop);
    std::signal(SIGTERM, requestStop);
    const bool asJson = parser.isSet(json);
    JobContext ctx(&g_stop, terminalProgress(), [asJson](const QString& line) {
        if (!asJson)
            QTextStream(stderr) << line << Qt::endl;
    });
    PretrainJob job(o);
    try {
        job.run(ctx);
    } catch (const Cancelled&) {
        QTextStream(stderr) << "Stopped at step " << job.result().steps
                            << "; a checkpoint is saved. Run the same command to continue.\n";
    }
    if (asJson)
        printJson(resultJson(job.result()));
    else if (job.result().status == QLatin1String("finished"))
        printLine(job.summary());
    return job.result().status == QLatin1String("finished") ? 0 : 1;
}

} // namespace fts::cli
