// ftstudio-cli predict / export: batch inference over a file, and a run as a Hugging Face folder.
#include "CliCommon.h"

#include "deploy/BatchPredict.h"
#include "deploy/DeployModel.h"
#include "deploy/Export.h"
#include "deploy/GgufExport.h"
#include "project/Project.h"
#include "serve/InferenceServer.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QTextStream>

namespace fts::cli {
namespace {

qint64 runIdOption(const QCommandLineParser& parser, const QCommandLineOption& run)
{
    if (!parser.isSet(run))
        return 0;
    bool ok = false;
    const qint64 id = parser.value(run).toLongLong(&ok);
    if (!ok || id <= 0)
        throw UsageError{QStringLiteral("--run needs a run id (a number)")};
    return id;
}

double numberOption(const QCommandLineParser& parser, const QCommandLineOption& option,
                    double fallback, double min, double max)
{
    if (!parser.isSet(option))
        return fallback;
    bool ok = false;
    const double v = parser.value(option).toDouble(&ok);
    if (!ok || v < min || v > max)
        throw UsageError{QStringLiteral("--%1 must be a number from %2 to %3")
                             .arg(option.names().first())
                             .arg(min)
                             .arg(max)};
    return v;
}

// A project given without its suffix still names the project; folders stay as they are.
QString projectOrFolder(const QString& arg)
{
    if (QFileInfo(arg).isDir())
        return arg;
    return projectPathArgument(arg);
}

} // namespace

int cmdPredict(const QStringList& args)
{
    QCommandLineParser parser;
    const QCommandLineOption out(QStringLiteral("out"),
                                 QStringLiteral("Output file (.csv or .jsonl)."),
                                 QStringLiteral("FILE"));
    const QCommandLineOption run(QStringLiteral("run"),
                                 QStringLiteral("Run id when MODEL_OR_RUN is a project."),
                                 QStringLiteral("ID"));
    const QCommandLineOption text(QStringLiteral("text"),
                                  QStringLiteral("Column or field with the text (default: text)."),
                                  QStringLiteral("COL"));
    const QCommandLineOption batch(QStringLiteral("batch-size"),
                                   QStringLiteral("Rows per batch (default 64)."),
                                   QStringLiteral("N"));
    const QCommandLineOption base(QStringLiteral("base"),
                                  QStringLiteral("Base model folder for an adapter-only export."),
                                  QStringLiteral("DIR"));
    const QCommandLineOption maxNew(QStringLiteral("max-new-tokens"),
                                    QStringLiteral("Generation: new tokens per row (default 64)."),
                                    QStringLiteral("N"));
    const QCommandLineOption temperature(
        QStringLiteral("temperature"),
        QStringLiteral("Generation: 0 = greedy (default), higher = more varied."),
        QStringLiteral("T"));
    const QCommandLineOption seed(QStringLiteral("seed"), QStringLiteral("Sampling seed."),
                                  QStringLiteral("N"));
    const QCommandLineOption chat(QStringLiteral("chat"),
                                  QStringLiteral("Generation: each row is a user's message, answered in "
                                                 "the model's chat format (for chat-tuned models)."));
    const QCommandLineOption task(QStringLiteral("task"),
                                  QStringLiteral("Multi-task runs: the task to use."),
                                  QStringLiteral("NAME"));
    parser.addOptions({out, run, text, batch, base, maxNew, temperature, seed, chat, task, kJson});
    parseOrThrow(parser, args, QStringLiteral("predict"),
                 QStringLiteral("Predict labels (classifier) or generate text (decoder) for "
                                "every row of a CSV/JSONL file; rows are streamed in batches."));
    const QStringList pos =
        positionals(parser, {QStringLiteral("MODEL_OR_RUN"), QStringLiteral("INPUT")});
    if (!parser.isSet(out))
        throw UsageError{QStringLiteral("predict needs --out FILE")};
    BatchPredictOptions options;
    options.input = pos[1];
    options.output = parser.value(out);
    options.textColumn = parser.value(text);
    options.batchSize = int(numberOption(parser, batch, 64, 1, 100000));
    options.chat = parser.isSet(chat);
    GenerateRequest request;
    request.maxNewTokens = int(numberOption(parser, maxNew, 64, 1, 100000));
    request.temperature = numberOption(parser, temperature, 0, 0, 100);
    request.seed = quint64(numberOption(parser, seed, 0, 0, 1e15));

    const DeployModel model =
        loadDeployModel(projectOrFolder(pos[0]), runIdOption(parser, run), parser.value(base),
                        parser.value(task));
    JobContext ctx(nullptr, terminalProgress());
    const BatchProgress progress = [&](qint64, qint64 done, qint64 total) {
        ctx.progress(done, total, QStringLiteral("Predicting"));
        return true;
    };
    const BatchPredictStats stats =
        model.classifier ? predictFile(*model.classifier, options, progress)
                         : generateFile(*model.generator, request, options, progress);
    if (parser.isSet(kJson))
        printJson({{"rows", stats.rows},
                   {"seconds", stats.seconds},
                   {"output", QDir(options.output).absolutePath()},
                   {"model", model.description()}});
    else
        printLine(QStringLiteral("Wrote %1 rows to %2 in %3 s (%4).")
                      .arg(stats.rows)
                      .arg(QDir::toNativeSeparators(options.output))
                      .arg(stats.seconds, 0, 'f', 1)
                      .arg(model.description()));
    return 0;
}

int cmdExport(const QStringList& args)
{
    QCommandLineParser parser;
    const QCommandLineOption run(QStringLiteral("run"), QStringLiteral("Run id."),
                                 QStringLiteral("ID"));
    const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("Folder to write."),
                                 QStringLiteral("DIR"));
    const QCommandLineOption adapter(
        QStringLiteral("adapter-only"),
        QStringLiteral("LoRA runs: write only the adapter (PEFT layout), not merged weights."));
    const QCommandLineOption overwrite(QStringLiteral("overwrite"),
                                       QStringLiteral("Replace files in a non-empty folder."));
    const QCommandLineOption gguf(QStringLiteral("gguf"),
                                  QStringLiteral("Decoder folders: write a GGUF file for llama.cpp "
                                                 "(give MODEL_DIR instead of PROJECT)."),
                                  QStringLiteral("FILE"));
    const QCommandLineOption quant(QStringLiteral("quant"),
                                   QStringLiteral("GGUF matrix type: f16 (default) or q8_0."),
                                   QStringLiteral("TYPE"), QStringLiteral("f16"));
    const QCommandLineOption task(QStringLiteral("task"),
                                  QStringLiteral("Multi-task runs: the task whose classifier to export."),
                                  QStringLiteral("NAME"));
    parser.addOptions({run, out, adapter, overwrite, gguf, quant, task, kJson});
    parseOrThrow(parser, args, QStringLiteral("export"),
                 QStringLiteral("Export a run as a Hugging Face model folder with a model card, "
                                "or a decoder folder as GGUF."));
    const QString first = positionals(parser, {QStringLiteral("PROJECT")}).at(0);
    if (parser.isSet(gguf)) {
        GgufExportOptions g;
        const QString q = parser.value(quant).toLower();
        if (q != QLatin1String("f16") && q != QLatin1String("q8_0"))
            throw UsageError{QStringLiteral("--quant is f16 or q8_0, not '%1'").arg(q)};
        g.type = q == QLatin1String("f16") ? GgufTensorType::F16 : GgufTensorType::Q8_0;
        exportGguf(first, parser.value(gguf), g);
        printLine(QStringLiteral("Wrote %1 (%2)").arg(parser.value(gguf), q));
        return 0;
    }
    const QString path = projectPathArgument(first);
    const qint64 runId = runIdOption(parser, run);
    if (runId <= 0 || !parser.isSet(out))
        throw UsageError{QStringLiteral("export needs --run ID and --out DIR")};
    ExportOptions options;
    options.outDir = parser.value(out);
    options.adapterOnly = parser.isSet(adapter);
    options.overwrite = parser.isSet(overwrite);
    options.task = parser.value(task);
    auto project = Project::open(path, Project::Access::ReadOnly);
    const ExportResult r = exportRun(*project, runId, options);
    if (parser.isSet(kJson))
        printJson(
            {{"run_id", runId}, {"dir", r.dir}, {"files", QJsonArray::fromStringList(r.files)}});
    else
        printLine(QStringLiteral("Exported run %1 to %2: %3")
                      .arg(runId)
                      .arg(QDir::toNativeSeparators(r.dir), r.files.join(QStringLiteral(", "))));
    return 0;
}

} // namespace fts::cli

namespace fts::cli {

int cmdServe(const QStringList& args)
{
    QCommandLineParser parser;
    const QCommandLineOption run(QStringLiteral("run"),
                                 QStringLiteral("Run id when MODEL_OR_RUN is a project."),
                                 QStringLiteral("ID"));
    const QCommandLineOption port(QStringLiteral("port"), QStringLiteral("Port (default 8080)."),
                                  QStringLiteral("N"));
    const QCommandLineOption host(
        QStringLiteral("host"),
        QStringLiteral("Address to listen on (default 127.0.0.1: this machine only)."),
        QStringLiteral("ADDR"));
    const QCommandLineOption token(
        QStringLiteral("token"),
        QStringLiteral("Require 'Authorization: Bearer TOKEN' (or set FTS_SERVE_TOKEN)."),
        QStringLiteral("TOKEN"));
    const QCommandLineOption maxBody(QStringLiteral("max-body"),
                                     QStringLiteral("Largest request in bytes (default 1048576)."),
                                     QStringLiteral("BYTES"));
    const QCommandLineOption maxNew(QStringLiteral("max-new-tokens"),
                                    QStringLiteral("Most new tokens a request may ask for "
                                                   "(default 512)."),
                                    QStringLiteral("N"));
    const QCommandLineOption base(QStringLiteral("base"),
                                  QStringLiteral("Base model folder for an adapter-only export."),
                                  QStringLiteral("DIR"));
    const QCommandLineOption task(QStringLiteral("task"),
                                  QStringLiteral("Multi-task runs: the task to use."),
                                  QStringLiteral("NAME"));
    parser.addOptions({run, port, host, token, maxBody, maxNew, base, task});
    parseOrThrow(parser, args, QStringLiteral("serve"),
                 QStringLiteral("Serve a model over HTTP: GET /health, POST /v1/classify, "
                                "/v1/generate, /v1/chat/completions (OpenAI-compatible)."));
    const QString source = positionals(parser, {QStringLiteral("MODEL_OR_RUN")}).at(0);
    ServerOptions options;
    options.port = quint16(numberOption(parser, port, 8080, 0, 65535));
    if (parser.isSet(host) && !options.address.setAddress(parser.value(host)))
        throw UsageError{QStringLiteral("--host needs an IP address, e.g. 127.0.0.1")};
    options.token =
        parser.isSet(token) ? parser.value(token) : qEnvironmentVariable("FTS_SERVE_TOKEN");
    options.maxBodyBytes = qint64(numberOption(parser, maxBody, 1 << 20, 64, 1e9));
    options.maxNewTokens = int(numberOption(parser, maxNew, 512, 1, 100000));
    const DeployModel model =
        loadDeployModel(projectOrFolder(source), runIdOption(parser, run), parser.value(base),
                        parser.value(task));
    InferenceServer server(model, options);
    server.start();
    QTextStream(stderr) << "Serving " << model.description() << " at " << server.url()
                        << (options.token.isEmpty() ? "" : " (token required)")
                        << "; Ctrl+C stops.\n";
    QTextStream(stderr).flush();
    return QCoreApplication::exec();
}

} // namespace fts::cli
