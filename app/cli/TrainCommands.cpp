// ftstudio-cli train / eval: one classification run to the end, and a run's metrics on a split.
#include "CliCommon.h"

#include "io/AtomicWrite.h"
#include "align/SftEvaluation.h"
#include "deploy/FewShot.h"
#include "report/RunReport.h"

#include "project/Project.h"
#include "train/RunStore.h"
#include "train/MultiTaskTrainer.h"
#include "train/Sweep.h"
#include "train/TrainJob.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>

namespace fts::cli {
namespace {

void checkModelFolder(const QString& dir)
{
    const QDir d(dir);
    const bool weights =
        QFileInfo::exists(d.filePath(QStringLiteral("model.safetensors"))) ||
        QFileInfo::exists(d.filePath(QStringLiteral("model.safetensors.index.json")));
    if (!QFileInfo(dir).isDir() || !QFileInfo::exists(d.filePath(QStringLiteral("config.json"))) ||
        !weights)
        throw Error(
            QStringLiteral("%1 is not a model folder: it needs config.json, model.safetensors "
                           "and tokenizer.model (Hugging Face layout).")
                .arg(QDir::toNativeSeparators(dir)));
}

void printReport(const ClassificationReport& r)
{
    QTextStream out(stdout);
    out << QStringLiteral("rows %1  loss %2  accuracy %3  macro F1 %4\n")
               .arg(r.total)
               .arg(r.loss, 0, 'f', 4)
               .arg(r.accuracy, 0, 'f', 4)
               .arg(r.macroF1, 0, 'f', 4);
    for (const ClassMetrics& c : r.perClass)
        out << QStringLiteral("  %1  P %2  R %3  F1 %4  (%5 rows)\n")
                   .arg(c.label, -16)
                   .arg(c.precision, 0, 'f', 3)
                   .arg(c.recall, 0, 'f', 3)
                   .arg(c.f1, 0, 'f', 3)
                   .arg(c.support);
    out << "confusion matrix (rows: true label, columns: predicted):\n";
    for (int i = 0; i < r.confusion.size(); ++i) {
        out << QStringLiteral("  %1").arg(r.labels.value(i), -16);
        for (qint64 v : r.confusion[i])
            out << QStringLiteral(" %1").arg(v, 6);
        out << "\n";
    }
}

} // namespace

int cmdTrain(const QStringList& args)
{
    // "train --objective reward|rank|dpo|ppo" (shared/CLI.md): the feedback trainers on the
    // project's feedback, i.e. the reward/dpo/ppo verbs with --from-feedback.
    qsizetype objective = -1;
    for (qsizetype i = 1; i < args.size() && objective < 0; ++i)
        if (args[i] == QLatin1String("--objective") || args[i].startsWith(QLatin1String("--objective=")))
            objective = i;
    if (objective > 0) {
        const bool joined = args[objective].contains(QLatin1Char('='));
        const QString name = joined ? args[objective].section(QLatin1Char('='), 1) : args.value(objective + 1);
        QStringList rest = args;
        rest.remove(objective, joined ? 1 : std::min<qsizetype>(2, rest.size() - objective));
        rest << QStringLiteral("--from-feedback");
        if (name == QLatin1String("rank"))
            rest << QStringLiteral("--task") << QStringLiteral("rankings");
        rest[0] = name == QLatin1String("rank") ? QStringLiteral("reward") : name;
        if (name == QLatin1String("reward") || name == QLatin1String("rank"))
            return cmdReward(rest);
        if (name == QLatin1String("dpo"))
            return cmdDpo(rest);
        if (name == QLatin1String("ppo"))
            return cmdPpo(rest);
        throw UsageError{QStringLiteral("--objective must be reward, rank, dpo or ppo, not '%1'").arg(name)};
    }
    QCommandLineParser parser;
    const QCommandLineOption model(QStringLiteral("model"), QStringLiteral("Model folder."),
                                   QStringLiteral("DIR"));
    const QCommandLineOption method(QStringLiteral("method"),
                                    QStringLiteral("full, frozen, freeze or lora."),
                                    QStringLiteral("METHOD"));
    const QCommandLineOption task(
        QStringLiteral("task"),
        QStringLiteral("Label task (default: the first). Several (repeated, or comma-separated): "
                       "one multi-task run, a shared model with one head per task; weigh their "
                       "losses with --set task_weights=a=1,b=0.5."),
        QStringLiteral("NAME"));
    const QCommandLineOption set(QStringLiteral("set"),
                                 QStringLiteral("A hyperparameter, e.g. lr=3e-5 (repeatable)."),
                                 QStringLiteral("KEY=VALUE"));
    const QCommandLineOption resume(QStringLiteral("resume"),
                                    QStringLiteral("Continue an interrupted run."),
                                    QStringLiteral("RUN_ID"));
    parser.addOptions({model, method, task, set, resume, kJson});
    parseOrThrow(parser, args, QStringLiteral("train"),
                 QStringLiteral("Train a text classifier on a project's labeled rows."));
    const QString path =
        projectPathArgument(positionals(parser, {QStringLiteral("PROJECT")}).at(0));

    TrainerOptions options;
    qint64 resumeId = 0;
    if (parser.isSet(resume)) {
        bool ok = false;
        resumeId = parser.value(resume).toLongLong(&ok);
        if (!ok || resumeId <= 0)
            throw UsageError{QStringLiteral("--resume needs a run id (a number)")};
        if (parser.isSet(model) || parser.isSet(method) || parser.isSet(set))
            throw UsageError{
                QStringLiteral("--resume continues with the run's own model and settings; "
                               "leave out --model, --method and --set")};
    } else {
        if (!parser.isSet(model) || !parser.isSet(method))
            throw UsageError{
                QStringLiteral("train needs --model DIR and --method full|frozen|freeze|lora")};
        options.modelDir = parser.value(model);
        for (const QString& v : parser.values(task))
            for (const QString& name : v.split(QLatin1Char(','), Qt::SkipEmptyParts))
                options.tasks << name.trimmed();
        if (options.tasks.size() == 1)
            options.task = options.tasks.takeFirst();
        options.hp = hyperparametersFromOptions(parser.value(method), parser.values(set));
        checkModelFolder(options.modelDir);
    }
    // What the trainer says besides progress (a label missing from train, early stopping): on
    // stderr as it happens, and in the JSON result.
    QStringList notes;
    options.onLog = [&notes](const QString& line) { notes << line; };
    TrainJob job(path, options, resumeId);
    const bool json = parser.isSet(kJson);
    JobContext ctx(nullptr, terminalProgress(), [json](const QString& line) {
        if (!json)
            QTextStream(stderr) << line << "\n";
    });
    job.run(ctx);
    const TrainResult& r = job.result();
    if (json) {
        QJsonObject o{{"run_id", r.runId},
                      {"status", r.status},
                      {"steps", r.steps},
                      {"early_stopped", r.earlyStopped}};
        if (r.bestStep >= 0) {
            o.insert(QStringLiteral("best_metric"), r.bestMetric);
            o.insert(QStringLiteral("best_step"), r.bestStep);
        }
        if (r.lastEval.total > 0)
            o.insert(QStringLiteral("val"), r.lastEval.toJson());
        if (!r.taskEvals.isEmpty()) {
            QJsonObject byTask;
            for (auto it = r.taskEvals.cbegin(); it != r.taskEvals.cend(); ++it)
                byTask.insert(it.key(), it->toJson());
            o.insert(QStringLiteral("val_by_task"), byTask);
        }
        o.insert(QStringLiteral("notes"), QJsonArray::fromStringList(notes));
        printJson(o);
    } else {
        printLine(job.summary());
        if (!r.taskEvals.isEmpty()) {
            for (auto it = r.taskEvals.cbegin(); it != r.taskEvals.cend(); ++it) {
                printLine(QStringLiteral("Task %1 (val):").arg(it.key()));
                printReport(*it);
            }
        } else if (r.lastEval.total > 0) {
            printReport(r.lastEval);
        }
    }
    return 0;
}

int cmdEval(const QStringList& args)
{
    QCommandLineParser parser;
    const QCommandLineOption run(QStringLiteral("run"), QStringLiteral("Run id."),
                                 QStringLiteral("ID"));
    const QCommandLineOption split(QStringLiteral("split"),
                                   QStringLiteral("test (default) or val."),
                                   QStringLiteral("SPLIT"), QStringLiteral("test"));
    const QCommandLineOption task(QStringLiteral("task"),
                                  QStringLiteral("A multi-task run's task (default: every task)."),
                                  QStringLiteral("NAME"));
    const QCommandLineOption maxNew(QStringLiteral("max-new-tokens"),
                                    QStringLiteral("Chat and summarization runs: the longest "
                                                   "answer generated per record (default 64)."),
                                    QStringLiteral("N"), QStringLiteral("64"));
    parser.addOptions({run, split, task, maxNew, kJson});
    parseOrThrow(parser, args, QStringLiteral("eval"),
                 QStringLiteral("Metrics of a run's best checkpoint on a split, kept with the run "
                                "(ftstudio-cli info --json lists them)."));
    const QString path =
        projectPathArgument(positionals(parser, {QStringLiteral("PROJECT")}).at(0));
    bool ok = false;
    const qint64 runId = parser.value(run).toLongLong(&ok);
    if (!ok || runId <= 0)
        throw UsageError{QStringLiteral("eval needs --run ID")};
    const QString s = parser.value(split);
    if (s != QLatin1String("test") && s != QLatin1String("val"))
        throw UsageError{QStringLiteral("--split is test or val, not '%1'").arg(s)};
    // The evaluation is kept with the run, unless the project can only be read.
    const std::unique_ptr<Project> project = Project::openWritableIfPossible(path);
    const auto evaluate = [&](const QString& t) {
        const Evaluation e = evaluateRunOnSplit(*project, runId, s, t);
        if (!project->isReadOnly())
            recordEvaluation(*project, runId, e);
        return e.report;
    };
    const RunRecord record = loadRun(*project, runId);
    if (isFewShotRunMethod(record.method))
        throw Error(QStringLiteral("Run %1 is a few-shot evaluation: it has no trained weights to "
                                   "evaluate. Its scores are kept with it (ftstudio-cli info --json); "
                                   "to score the prompting on %2, run ftstudio-cli fewshot with --split %2.")
                        .arg(QString::number(runId), s));
    if (record.method.startsWith(QLatin1String("sft-"))) {
        const int maxNewTokens = parser.value(maxNew).toInt(&ok);
        if (!ok)
            throw UsageError{QStringLiteral("--max-new-tokens needs a whole number")};
        const GenerationEvaluation g = evaluateSftRun(*project, runId, s, maxNewTokens);
        const QJsonObject report = g.toJson();
        if (!project->isReadOnly())
            recordEvaluationReport(*project, runId, s, g.task, g.dataHash, report);
        if (parser.isSet(kJson)) {
            QJsonObject o = report;
            o.insert(QStringLiteral("stored"), !project->isReadOnly());
            printJson(o);
            return 0;
        }
        printLine(QStringLiteral("Run %1 (%2) on %3 %4 records: loss %5, perplexity %6, ROUGE-1 "
                                 "%7, ROUGE-2 %8, ROUGE-L %9, exact match %10")
                      .arg(runId)
                      .arg(record.method)
                      .arg(g.records)
                      .arg(s)
                      .arg(g.loss, 0, 'f', 4)
                      .arg(g.perplexity, 0, 'f', 2)
                      .arg(g.rouge.rouge1.f1, 0, 'f', 3)
                      .arg(g.rouge.rouge2.f1, 0, 'f', 3)
                      .arg(g.rouge.rougeL.f1, 0, 'f', 3)
                      .arg(g.exactMatch, 0, 'f', 3));
        for (const GeneratedAnswer& a : g.answers.mid(0, 3))
            printLine(QStringLiteral("  line %1: %2\n    reference: %3")
                          .arg(a.line)
                          .arg(a.generated.left(160), a.reference.left(160)));
        return 0;
    }
    if (isMultiTaskRun(record) && !parser.isSet(task)) {
        QJsonObject byTask;
        for (const QString& t : multiTaskRunTasks(record)) {
            const ClassificationReport r = evaluate(t);
            byTask.insert(t, r.toJson());
            if (!parser.isSet(kJson)) {
                printLine(QStringLiteral("Task %1 (%2):").arg(t, s));
                printReport(r);
            }
        }
        if (parser.isSet(kJson))
            printJson(QJsonObject{{"run_id", runId}, {"split", s}, {"by_task", byTask},
                                  {"stored", !project->isReadOnly()}});
        return 0;
    }
    const ClassificationReport r = evaluate(parser.value(task));
    if (parser.isSet(kJson)) {
        QJsonObject o = r.toJson();
        o.insert(QStringLiteral("run_id"), runId);
        o.insert(QStringLiteral("split"), s);
        o.insert(QStringLiteral("stored"), !project->isReadOnly());
        printJson(o);
    } else {
        printReport(r);
        if (project->isReadOnly())
            printLine(QStringLiteral("(The project is read-only: this evaluation was not kept with the run.)"));
    }
    return 0;
}

int cmdSweep(const QStringList& args)
{
    QCommandLineParser parser;
    const QCommandLineOption model(QStringLiteral("model"), QStringLiteral("Model folder."),
                                   QStringLiteral("DIR"));
    const QCommandLineOption method(QStringLiteral("method"),
                                    QStringLiteral("full, frozen, freeze or lora."),
                                    QStringLiteral("METHOD"));
    const QCommandLineOption task(QStringLiteral("task"),
                                  QStringLiteral("Label task (default: the first)."),
                                  QStringLiteral("NAME"));
    const QCommandLineOption grid(QStringLiteral("grid"),
                                  QStringLiteral("Values to try, e.g. lr=1e-5,3e-5,1e-4; with "
                                                 "--search random also a range, e.g. "
                                                 "lr=1e-5..1e-3:log or warmup_ratio=0..0.2 "
                                                 "(repeatable)."),
                                  QStringLiteral("KEY=V1,V2|KEY=LOW..HIGH[:log]"));
    const QCommandLineOption search(QStringLiteral("search"),
                                    QStringLiteral("grid (every combination, default) or random "
                                                   "(draws --max-runs settings)."),
                                    QStringLiteral("KIND"), QStringLiteral("grid"));
    const QCommandLineOption seed(QStringLiteral("seed"),
                                  QStringLiteral("Random search: the seed of the draws."),
                                  QStringLiteral("N"), QStringLiteral("1"));
    const QCommandLineOption prune(QStringLiteral("prune"),
                                   QStringLiteral("Stop a run early when after its first "
                                                  "evaluation its best metric is worse than the "
                                                  "median of the earlier runs' at that point."));
    const QCommandLineOption set(QStringLiteral("set"),
                                 QStringLiteral("A fixed hyperparameter, e.g. epochs=3 (repeatable)."),
                                 QStringLiteral("KEY=VALUE"));
    const QCommandLineOption maxRuns(QStringLiteral("max-runs"),
                                     QStringLiteral("Budget: train at most N settings."),
                                     QStringLiteral("N"));
    parser.addOptions({model, method, task, grid, search, seed, prune, set, maxRuns, kJson});
    parseOrThrow(parser, args, QStringLiteral("sweep"),
                 QStringLiteral("Train one run per combination of hyperparameter values and "
                                "report the best by the validation metric."));
    const QString path =
        projectPathArgument(positionals(parser, {QStringLiteral("PROJECT")}).at(0));
    if (!parser.isSet(model) || !parser.isSet(method) || !parser.isSet(grid))
        throw UsageError{QStringLiteral("sweep needs --model DIR, --method M and --grid KEY=V1,V2")};
    SweepOptions o;
    o.modelDir = parser.value(model);
    o.task = parser.value(task);
    o.base = hyperparametersFromOptions(parser.value(method), parser.values(set));
    try {
        for (const QString& kv : parser.values(grid))
            o.grid << SweepAxis::parse(kv);
        const QString kind = parser.value(search);
        if (kind != QLatin1String("grid") && kind != QLatin1String("random"))
            throw UsageError{QStringLiteral("--search is grid or random, got '%1'").arg(kind)};
        o.search = kind == QLatin1String("random") ? SweepSearch::Random : SweepSearch::Grid;
        bool ok = true;
        o.seed = parser.value(seed).toUInt(&ok);
        if (!ok)
            throw UsageError{QStringLiteral("--seed needs a whole number from 0 to 4294967295")};
        o.prune = parser.isSet(prune);
        if (parser.isSet(maxRuns)) {
            o.maxRuns = parser.value(maxRuns).toInt(&ok);
            if (!ok || o.maxRuns < 1)
                throw UsageError{QStringLiteral("--max-runs needs a whole number from 1 to 1000")};
        }
        sweepSettings(o); // refuse bad values before anything trains
    } catch (const Error& e) {
        throw UsageError{e.message()};
    }
    checkModelFolder(o.modelDir);
    SweepJob job(path, o);
    const bool json = parser.isSet(kJson);
    JobContext ctx(nullptr, terminalProgress(), [json](const QString& line) {
        if (!json)
            QTextStream(stderr) << line << "\n";
    });
    job.run(ctx);
    const SweepResult& r = job.result();
    if (json) {
        QJsonArray trials;
        for (const SweepTrial& t : r.trials)
            trials.append(QJsonObject{{"run_id", t.runId},
                                      {"values", t.values},
                                      {"status", t.status},
                                      {"score", t.scored ? QJsonValue(t.score) : QJsonValue()}});
        printJson({{"metric", r.metric},
                   {"trials", trials},
                   {"best_run", r.best >= 0 ? QJsonValue(r.trials[r.best].runId) : QJsonValue()}});
    } else {
        for (qsizetype i = 0; i < r.trials.size(); ++i) {
            const SweepTrial& t = r.trials[i];
            printLine(QStringLiteral("%1 run %2  %3  %4 %5")
                          .arg(i == r.best ? QLatin1Char('*') : QLatin1Char(' '))
                          .arg(t.runId)
                          .arg(QString::fromUtf8(QJsonDocument(t.values).toJson(QJsonDocument::Compact)))
                          .arg(r.metric)
                          .arg(t.scored ? QString::number(t.score, 'f', 4) : QStringLiteral("–")));
        }
        printLine(job.summary());
    }
    return 0;
}

int cmdReport(const QStringList& args)
{
    QCommandLineParser parser;
    const QCommandLineOption run(QStringLiteral("run"),
                                 QStringLiteral("Run id; give 2 to 6 for a comparison report."),
                                 QStringLiteral("ID"));
    const QCommandLineOption split(QStringLiteral("split"),
                                   QStringLiteral("Evaluate on test (default), val, or none."),
                                   QStringLiteral("SPLIT"), QStringLiteral("test"));
    const QCommandLineOption task(QStringLiteral("task"),
                                  QStringLiteral("A multi-task run: only this task (default: "
                                                 "every task, each with its own sections)."),
                                  QStringLiteral("NAME"));
    const QCommandLineOption out(QStringLiteral("out"),
                                 QStringLiteral("The file to write: .pdf for a PDF, anything else "
                                                "HTML (default: run-ID.html)."),
                                 QStringLiteral("FILE"));
    parser.addOptions({run, split, task, out});
    parseOrThrow(parser, args, QStringLiteral("report"),
                 QStringLiteral("A self-contained HTML (or PDF) report of a run — data, model, "
                                "method, settings, curves, metrics, confusion matrix, calibration, "
                                "top errors — or of 2 to 6 runs side by side."));
    const QString path =
        projectPathArgument(positionals(parser, {QStringLiteral("PROJECT")}).at(0));
    QList<qint64> runIds;
    for (const QString& v : parser.values(run)) {
        bool ok = false;
        const qint64 id = v.toLongLong(&ok);
        if (!ok || id <= 0)
            throw UsageError{QStringLiteral("--run needs a run id, got '%1'").arg(v)};
        runIds << id;
    }
    if (runIds.isEmpty())
        throw UsageError{QStringLiteral("report needs --run ID (2 to 6 of them for a comparison)")};
    if (runIds.size() > 6)
        throw UsageError{QStringLiteral("a comparison report takes 2 to 6 runs, not %1").arg(runIds.size())};
    const QString s = parser.value(split);
    if (s != QLatin1String("test") && s != QLatin1String("val") && s != QLatin1String("none"))
        throw UsageError{QStringLiteral("--split is test, val or none, not '%1'").arg(s)};
    auto project = Project::open(path, Project::Access::ReadOnly);
    QList<RunReportInput> inputs;
    for (qint64 id : runIds) {
        RunReportInput in;
        in.projectName = project->name();
        in.run = loadRun(*project, id);
        in.metrics = runMetrics(*project, id);
        const bool trained = hasCheckpoint(in.run);
        if (isFewShotRunMethod(in.run.method)) {
            in.evaluation = keptFewShotEvaluation(*project, in.run);
        } else if (s != QLatin1String("none") && trained && isMultiTaskRun(in.run) && !parser.isSet(task)) {
            // Every head, each on its own task's rows.
            for (const QString& t : multiTaskRunTasks(in.run)) {
                Evaluation e = evaluateRunOnSplit(*project, id, s, t);
                e.task = t;
                in.taskEvaluations << e;
            }
        } else if (s != QLatin1String("none") && trained) {
            in.evaluation = evaluateRunOnSplit(*project, id, s, parser.value(task));
        }
        inputs << in;
    }
    const QString file = parser.isSet(out)
                             ? parser.value(out)
                             : QStringLiteral("run-%1.html").arg(runIds.size() == 1
                                                                     ? QString::number(runIds[0])
                                                                     : QStringLiteral("comparison"));
    writeReport(inputs.size() == 1 ? runReport(inputs[0]) : comparisonReport(project->name(), inputs),
                file);
    printLine(QStringLiteral("Wrote %1").arg(QDir::toNativeSeparators(file)));
    return 0;
}

} // namespace fts::cli
