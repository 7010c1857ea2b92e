// ftstudio-cli verbs on projects: new, info, import.
#include "CliCommon.h"

#include "data/Importer.h"
#include "deploy/FewShot.h"
#include "jobs/JobRunner.h"
#include "project/Project.h"
#include "train/RunStore.h"

#include <QFileInfo>
#include <QJsonArray>

namespace fts::cli {
namespace {

QJsonArray runsJson(Project& project)
{
    QJsonArray out;
    for (const RunRecord& r : listRuns(project)) {
        QJsonArray evaluations; // kept with the run by `eval` and the Evaluate page
        for (const StoredEvaluation& e : runEvaluations(project, r.id)) {
            QJsonObject o{{"split", e.split},
                          {"task", e.task},
                          {"created_at", e.createdAt},
                          {"data_hash", e.dataHash}};
            // The headline figures: a classifier's, or a chat / summarization run's.
            for (const char* key : {"total", "accuracy", "macro_f1", "records", "loss",
                                    "perplexity", "exact_match"})
                if (e.report.contains(QLatin1String(key)))
                    o.insert(QLatin1String(key), e.report.value(QLatin1String(key)));
            if (e.report.contains(QLatin1String("rougeL")))
                o.insert(QStringLiteral("rougeL_f1"), e.report.value(QLatin1String("rougeL")).toObject().value(QLatin1String("f1")));
            evaluations.append(o);
        }
        out.append(QJsonObject{{"id", r.id},
                               {"created_at", r.createdAt},
                               {"status", r.status},
                               {"task", r.task},
                               {"method", r.method},
                               {"model", r.modelDir},
                               {"seed", r.seed},
                               {"best_metric", r.bestStep >= 0 ? QJsonValue(r.bestMetric) : QJsonValue()},
                               {"best_step", r.bestStep},
                               {"train_seconds", r.trainSeconds},
                               {"error", r.error},
                               {"evaluations", evaluations}});
    }
    return out;
}

QJsonObject summaryJson(Project& project, const ProjectSummary& s)
{
    QJsonObject splits;
    for (auto it = s.rowsPerSplit.cbegin(); it != s.rowsPerSplit.cend(); ++it)
        splits.insert(it.key().isEmpty() ? QStringLiteral("none") : it.key(), it.value());
    QJsonObject labels;
    for (const QString& task : s.tasks) {
        QJsonObject counts;
        for (const LabelCount& c : s.labels)
            if (c.task == task)
                counts.insert(c.label, c.count);
        labels.insert(task, counts);
    }
    return QJsonObject{{"project", project.path()},
                       {"name", project.name()},
                       {"rows", s.totalRows},
                       {"splits", splits},
                       {"tasks", QJsonArray::fromStringList(s.tasks)},
                       {"labels", labels},
                       {"unlabeled_rows", s.unlabeledRows},
                       {"runs", runsJson(project)}};
}

} // namespace

int cmdNew(const QStringList& args)
{
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("PROJECT"), QStringLiteral("The .ftproj file to create."));
    parser.addOption(kJson);
    parseOrThrow(parser, args, QStringLiteral("new"), QStringLiteral("Create an empty project."));
    const QString path = projectPathArgument(positionals(parser, {"PROJECT"})[0]);
    auto project = Project::create(path);
    if (parser.isSet(kJson))
        printJson({{"project", project->path()}, {"name", project->name()}});
    else
        printLine(QStringLiteral("Created %1").arg(project->path()));
    return 0;
}

int cmdInfo(const QStringList& args)
{
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("PROJECT"), QStringLiteral("The .ftproj file."));
    parser.addOption(kJson);
    parseOrThrow(parser, args, QStringLiteral("info"),
                 QStringLiteral("Rows per split, label counts and runs of a project."));
    auto project = Project::open(positionals(parser, {"PROJECT"})[0], Project::Access::ReadOnly);
    const ProjectSummary s = project->summary();
    if (parser.isSet(kJson)) {
        printJson(summaryJson(*project, s));
        return 0;
    }
    printLine(QStringLiteral("Project %1 (%2)").arg(project->name(), project->path()));
    printLine(QStringLiteral("Rows: %1").arg(s.totalRows));
    for (auto it = s.rowsPerSplit.cbegin(); it != s.rowsPerSplit.cend(); ++it)
        printLine(QStringLiteral("  %1: %2").arg(it.key().isEmpty() ? "no split" : it.key()).arg(it.value()));
    for (const QString& task : s.tasks) {
        printLine(QStringLiteral("Labels (%1):").arg(task));
        for (const LabelCount& c : s.labels)
            if (c.task == task)
                printLine(QStringLiteral("  %1: %2").arg(c.label).arg(c.count));
    }
    printLine(QStringLiteral("Unlabeled rows: %1").arg(s.unlabeledRows));
    const QList<RunRecord> runs = listRuns(*project);
    if (runs.isEmpty())
        printLine(QStringLiteral("Runs: none yet"));
    else
        printLine(QStringLiteral("Runs:"));
    for (const RunRecord& r : runs) {
        QString line = QStringLiteral("  %1  %2  %3  %4").arg(r.id).arg(r.status, r.method, QFileInfo(r.modelDir).fileName());
        if (isFewShotRunMethod(r.method))
            line += QStringLiteral("  macro F1 %1 on %2 (prompted, not trained)")
                        .arg(QString::number(r.bestMetric, 'f', 4),
                             r.hyperparameters.value(QLatin1String("split")).toString());
        else if (r.bestStep >= 0)
            line += QStringLiteral("  best %1 at step %2").arg(r.bestMetric, 0, 'f', 4).arg(r.bestStep);
        if (!r.error.isEmpty())
            line += QStringLiteral("  (%1)").arg(r.error);
        printLine(line);
    }
    return 0;
}

int cmdImport(const QStringList& args)
{
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("PROJECT"), QStringLiteral("The .ftproj file."));
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("The file to import."));
    const QCommandLineOption format(QStringLiteral("format"), QStringLiteral("csv, tsv, jsonl, json or txt (default: from the file name)."), QStringLiteral("FORMAT"));
    const QCommandLineOption encoding(QStringLiteral("encoding"), QStringLiteral("Text encoding, e.g. UTF-8, UTF-16LE, windows-1252 (default: detected)."), QStringLiteral("NAME"));
    const QCommandLineOption delimiter(QStringLiteral("delimiter"), QStringLiteral("CSV field separator: , ; | or tab (default: detected)."), QStringLiteral("CHAR"));
    const QCommandLineOption mapLabel(QStringLiteral("map-label"), QStringLiteral("Rename a label value while importing, e.g. Pos=positive (repeatable; empty right side = unlabeled)."), QStringLiteral("RAW=LABEL"));
    const QCommandLineOption keepCase(QStringLiteral("keep-label-case"), QStringLiteral("Keep label values' case (default: 'Positive' and 'positive' become 'positive')."));
    const QCommandLineOption redact(QStringLiteral("redact"), QStringLiteral("Replace e-mails, phones, URLs, IPs, card numbers and IBANs with placeholders before anything is written."));
    const QCommandLineOption noHeader(QStringLiteral("no-header"), QStringLiteral("The first CSV line is data, not column names."));
    const QCommandLineOption text(QStringLiteral("text"), QStringLiteral("Column holding the text (default: detected)."), QStringLiteral("COL"));
    const QCommandLineOption label(QStringLiteral("label"), QStringLiteral("A label column; repeat for several tasks (default: detected)."), QStringLiteral("COL"));
    const QCommandLineOption noLabels(QStringLiteral("no-labels"), QStringLiteral("Import the rows unlabeled."));
    const QCommandLineOption split(QStringLiteral("split"), QStringLiteral("Put every row in this split: train, val or test."), QStringLiteral("SPLIT"));
    const QCommandLineOption splitColumn(QStringLiteral("split-column"), QStringLiteral("Column holding each row's split (default: a column named 'split')."), QStringLiteral("COL"));
    parser.addOptions({format, encoding, delimiter, noHeader, text, label, noLabels, split, splitColumn, mapLabel, keepCase, redact, kJson});
    parseOrThrow(parser, args, QStringLiteral("import"),
                 QStringLiteral("Add the rows of a CSV/TSV, JSON Lines, JSON or text file to a project. "
                                "All or nothing: on any error the project is left as it was."));
    const QStringList pos = positionals(parser, {"PROJECT", "FILE"});
    if (parser.isSet(label) && parser.isSet(noLabels))
        throw UsageError{QStringLiteral("--label and --no-labels cannot be used together")};
    if (parser.isSet(split) && normalizeSplit(parser.value(split)).isEmpty())
        throw UsageError{QStringLiteral("--split must be train, val or test, not '%1'").arg(parser.value(split))};

    ImportOptions o;
    o.file = pos[1];
    o.format = formatForFile(o.file, parser.value(format));
    o.encoding = parser.value(encoding);
    if (parser.isSet(delimiter)) {
        const QString d = parser.value(delimiter);
        if (d == QLatin1String("tab") || d == QLatin1String("\\t"))
            o.delimiter = '\t';
        else if (d.size() == 1 && QStringLiteral(",;|").contains(d))
            o.delimiter = d[0].toLatin1();
        else
            throw UsageError{QStringLiteral("--delimiter must be one of , ; | tab")};
    }
    if (parser.isSet(noHeader))
        o.header = 0;
    for (const QString& m : parser.values(mapLabel)) {
        const qsizetype eq = m.indexOf(QLatin1Char('='));
        if (eq <= 0)
            throw UsageError{QStringLiteral("--map-label takes RAW=LABEL, not '%1'").arg(m)};
        o.labelMapping.insert(m.left(eq).trimmed(), m.mid(eq + 1).trimmed());
    }
    o.unifyLabelCase = !parser.isSet(keepCase);
    o.redact = parser.isSet(redact);
    o.textColumn = parser.value(text);
    o.labelColumns = parser.isSet(noLabels) ? QStringList{QStringLiteral("-")} : parser.values(label);
    o.fixedSplit = parser.value(split);
    o.splitColumn = parser.value(splitColumn);

    ImportJob job(pos[0], o);
    if (!QFileInfo::exists(pos[0]))
        throw Error(QStringLiteral("There is no project at %1. Create it first with: ftstudio-cli new %1").arg(pos[0]));
    const JobOutcome out = runJob(job, nullptr, terminalProgress(), {});
    if (out.status != JobStatus::Succeeded)
        throw Error(out.message);
    const ImportResult& r = job.result();
    if (parser.isSet(kJson)) {
        QJsonObject splits;
        for (auto it = r.rowsPerSplit.cbegin(); it != r.rowsPerSplit.cend(); ++it)
            splits.insert(it.key().isEmpty() ? QStringLiteral("none") : it.key(), it.value());
        QJsonObject redacted;
        for (auto it = r.redacted.cbegin(); it != r.redacted.cend(); ++it)
            redacted.insert(it.key(), it.value());
        printJson({{"import_id", r.importId}, {"rows", r.rows}, {"labels", r.labels},
                   {"splits", splits}, {"tasks", QJsonArray::fromStringList(r.tasks)},
                   {"redacted", redacted}, {"seconds", out.seconds}});
    } else {
        printLine(out.message);
    }
    return 0;
}

} // namespace fts::cli
