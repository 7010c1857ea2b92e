// ftstudio-cli fewshot: a decoder prompted with labeled examples as a classifier, scored on a split
// and kept as a "few_shot" run beside the fine-tuned ones.
#include "CliCommon.h"

#include "deploy/FewShot.h"
#include "deploy/FewShotJob.h"
#include "project/Project.h"

#include <QDir>
#include <QJsonArray>
#include <QTextStream>

#include <limits>

namespace fts::cli {
namespace {

int fewShotIntOption(const QCommandLineParser& parser, const QCommandLineOption& option, int fallback)
{
    if (!parser.isSet(option))
        return fallback;
    bool ok = false;
    const int v = parser.value(option).toInt(&ok);
    if (!ok)
        throw UsageError{QStringLiteral("--%1 needs a whole number, not '%2'")
                             .arg(option.names().first(), parser.value(option))};
    return v;
}

FewShotRequest fewShotRequestFromOptions(const QCommandLineParser& parser,
                                         const QCommandLineOption& model, const QCommandLineOption& run,
                                         const QCommandLineOption& task, const QCommandLineOption& split,
                                         const QCommandLineOption& k, const QCommandLineOption& select,
                                         const QCommandLineOption& seed, const QCommandLineOption& maxRows,
                                         const QCommandLineOption& maxNew, const QCommandLineOption& noKeep)
{
    if (parser.isSet(model) == parser.isSet(run))
        throw UsageError{parser.isSet(model)
                             ? QStringLiteral("give --model DIR or --run ID, not both")
                             : QStringLiteral("fewshot needs a decoder: --model DIR or --run ID (an SFT, "
                                              "DPO or PPO run)")};
    FewShotRequest r;
    r.modelDir = parser.value(model);
    if (parser.isSet(run)) {
        bool ok = false;
        r.decoderRunId = parser.value(run).toLongLong(&ok);
        if (!ok || r.decoderRunId <= 0)
            throw UsageError{QStringLiteral("--run needs a run id (a number)")};
    }
    r.task = parser.value(task);
    r.split = parser.value(split);
    if (r.split != QLatin1String("val") && r.split != QLatin1String("test") &&
        r.split != QLatin1String("train"))
        throw UsageError{QStringLiteral("--split is val, test or train, not '%1'").arg(r.split)};
    r.options.k = fewShotIntOption(parser, k, r.options.k);
    r.options.maxNewTokens = fewShotIntOption(parser, maxNew, r.options.maxNewTokens);
    r.maxRows = fewShotIntOption(parser, maxRows, 0);
    if (parser.isSet(maxRows) && r.maxRows < 1)
        throw UsageError{QStringLiteral("--max-rows needs a whole number of at least 1")};
    if (parser.isSet(seed)) {
        bool ok = false;
        r.options.seed = parser.value(seed).toULongLong(&ok);
        if (!ok)
            throw UsageError{QStringLiteral("--seed needs a whole number from 0 to %1")
                                 .arg(std::numeric_limits<quint64>::max())};
    }
    try {
        if (parser.isSet(select))
            r.options.selection = shotSelectionFromName(parser.value(select));
        r.options.validate();
    } catch (const Error& e) {
        throw UsageError{e.message()};
    }
    r.keepAsRun = !parser.isSet(noKeep);
    return r;
}

QJsonObject fewShotJson(const FewShotRequest& request, const FewShotEvaluation& result, bool withPrompt)
{
    const ClassificationReport& report = result.evaluation.report;
    QJsonArray rows;
    for (qsizetype i = 0; i < result.evaluation.rows.size(); ++i) {
        const RowPrediction& p = result.evaluation.rows[i];
        rows.append(QJsonObject{
            {"row_id", p.rowId},
            {"truth", report.labels.value(p.truth)},
            {"predicted", p.predicted >= 0 ? QJsonValue(report.labels.value(p.predicted)) : QJsonValue()},
            {"answer", result.answers.value(i)}});
    }
    QJsonObject o{{"run_id", result.runId > 0 ? QJsonValue(result.runId) : QJsonValue()},
                  {"kept", result.runId > 0},
                  {"task", result.evaluation.task},
                  {"split", result.evaluation.split},
                  {"model", result.evaluation.predictor},
                  {"options", request.options.toJson()},
                  {"rows", report.total},
                  {"accuracy", report.accuracy},
                  {"macro_f1", report.macroF1},
                  {"unparsed", result.unparsed},
                  {"unparsed_share", double(result.unparsed) / double(std::max<qint64>(1, report.total))},
                  {"trimmed_prompts", result.trimmedPrompts},
                  {"mean_shots", result.meanShots},
                  {"seconds", result.seconds},
                  {"report", report.toJson()},
                  {"predictions", rows}};
    if (withPrompt)
        o.insert(QStringLiteral("prompt"), result.examplePrompt);
    return o;
}

} // namespace

int cmdFewShot(const QStringList& args)
{
    QCommandLineParser parser;
    const QCommandLineOption model(QStringLiteral("model"), QStringLiteral("A decoder model folder."),
                                   QStringLiteral("DIR"));
    const QCommandLineOption run(QStringLiteral("run"),
                                 QStringLiteral("Or a decoder run (SFT, DPO, PPO) of the project."),
                                 QStringLiteral("ID"));
    const QCommandLineOption task(QStringLiteral("task"), QStringLiteral("Label task (default: the first)."),
                                  QStringLiteral("NAME"));
    const QCommandLineOption split(QStringLiteral("split"),
                                   QStringLiteral("The split to score: val (default), test or train."),
                                   QStringLiteral("SPLIT"), QStringLiteral("val"));
    const QCommandLineOption k(QStringLiteral("k"),
                               QStringLiteral("Labeled examples in each prompt, 0 to 32 (default 4; 0: "
                                              "zero-shot)."),
                               QStringLiteral("N"));
    const QCommandLineOption select(QStringLiteral("select"),
                                    QStringLiteral("How examples are drawn from the train split: random, "
                                                   "balanced (default: the labels in turn) or similar "
                                                   "(nearest by TF-IDF)."),
                                    QStringLiteral("HOW"));
    const QCommandLineOption seed(QStringLiteral("seed"), QStringLiteral("Seed of the draws (default 1)."),
                                  QStringLiteral("N"));
    const QCommandLineOption maxRows(QStringLiteral("max-rows"),
                                     QStringLiteral("Score only the first N rows of the split."),
                                     QStringLiteral("N"));
    const QCommandLineOption maxNew(QStringLiteral("max-new-tokens"),
                                    QStringLiteral("Longest answer, 1 to 64 tokens (default 8)."),
                                    QStringLiteral("N"));
    const QCommandLineOption noKeep(QStringLiteral("no-keep"),
                                    QStringLiteral("Do not keep the result as a run of the project."));
    const QCommandLineOption showPrompt(QStringLiteral("show-prompt"),
                                        QStringLiteral("Also print the first row's prompt."));
    parser.addPositionalArgument(QStringLiteral("PROJECT"), QStringLiteral("The .ftproj file."));
    parser.addOptions({model, run, task, split, k, select, seed, maxRows, maxNew, noKeep, showPrompt, kJson});
    parseOrThrow(parser, args, QStringLiteral("fewshot"),
                 QStringLiteral("Use a decoder as a classifier by prompting it with k labeled examples "
                                "from the train split; score its answers on a split and keep the result "
                                "as a run, to compare prompting with fine-tuning."));
    const QString path = projectPathArgument(positionals(parser, {QStringLiteral("PROJECT")}).at(0));
    const FewShotRequest request =
        fewShotRequestFromOptions(parser, model, run, task, split, k, select, seed, maxRows, maxNew, noKeep);

    const std::unique_ptr<Project> project = request.keepAsRun
                                                 ? Project::openWritableIfPossible(path)
                                                 : Project::open(path, Project::Access::ReadOnly);
    if (project->isReadOnly() && request.keepAsRun)
        throw Error(QStringLiteral("%1 cannot be written (it is read-only or open in another program), "
                                   "so the result cannot be kept as a run; add --no-keep to score "
                                   "without keeping it.")
                        .arg(QDir::toNativeSeparators(path)));
    JobContext ctx(nullptr, terminalProgress());
    const FewShotEvaluation result = evaluateFewShot(*project, request, [&ctx](int done, int total) {
        ctx.progress(done, total, QStringLiteral("Prompting"));
    });
    if (parser.isSet(kJson)) {
        printJson(fewShotJson(request, result, parser.isSet(showPrompt)));
        return 0;
    }
    printLine(fewShotSummary(request, result) + QLatin1Char('.'));
    printLine(QStringLiteral("Predictor: %1").arg(result.evaluation.predictor));
    QTextStream out(stdout);
    for (const ClassMetrics& c : result.evaluation.report.perClass)
        out << QStringLiteral("  %1  P %2  R %3  F1 %4  (%5 rows)\n")
                   .arg(c.label.leftJustified(16), QString::number(c.precision, 'f', 3),
                        QString::number(c.recall, 'f', 3), QString::number(c.f1, 'f', 3),
                        QString::number(c.support));
    if (parser.isSet(showPrompt))
        out << "Prompt of the first row:\n" << result.examplePrompt << "\n";
    return 0;
}

} // namespace fts::cli
