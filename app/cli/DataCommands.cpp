// ftstudio-cli verbs on a project's data: clean (curation steps, undo, recipe), split, data --export.
#include "CliCommon.h"
#include "data/CsvField.h"

#include "data/Curation.h"
#include "io/AtomicWrite.h"
#include "jobs/JobRunner.h"
#include "project/Project.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

namespace fts::cli {
namespace {

// "--set key=value": numbers and true/false become JSON numbers and booleans; "a,b" stays a string
// (steps accept comma lists where they take lists).
QJsonObject parseSets(const QStringList& sets)
{
    QJsonObject params;
    for (const QString& s : sets) {
        const qsizetype eq = s.indexOf(QLatin1Char('='));
        if (eq <= 0)
            throw UsageError{QStringLiteral("--set takes KEY=VALUE, not '%1'").arg(s)};
        const QString key = s.left(eq), value = s.mid(eq + 1);
        bool isNumber = false;
        const double d = value.toDouble(&isNumber);
        if (isNumber)
            params.insert(key, d);
        else if (value == QLatin1String("true") || value == QLatin1String("false"))
            params.insert(key, value == QLatin1String("true"));
        else
            params.insert(key, value);
    }
    return params;
}

int printEffect(const QString& kind, const StepEffect& e, bool preview, bool json)
{
    if (json) {
        QJsonObject o = e.toJson();
        o.insert(QStringLiteral("step"), kind);
        o.insert(QStringLiteral("preview"), preview);
        printJson(o);
        return 0;
    }
    printLine(QStringLiteral("%1%2: %3").arg(preview ? QStringLiteral("Preview of ") : QString(), kind, e.describe()));
    for (const auto& [before, after] : e.examples)
        printLine(after.isEmpty() ? QStringLiteral("  - %1").arg(before) : QStringLiteral("  %1  ->  %2").arg(before, after));
    if (!e.details.isEmpty())
        printLine(QStringLiteral("  details: ") + QString::fromUtf8(QJsonDocument(e.details).toJson(QJsonDocument::Compact)));
    return 0;
}

StepEffect runStep(const QString& project, const QString& kind, const QJsonObject& params, bool preview)
{
    CurationJob job(project, kind, params, preview);
    const JobOutcome out = runJob(job, nullptr, terminalProgress(), {});
    if (out.status != JobStatus::Succeeded)
        throw Error(out.message);
    return job.effect();
}

} // namespace

int cmdClean(const QStringList& args)
{
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("PROJECT"), QStringLiteral("The .ftproj file."));
    parser.addPositionalArgument(QStringLiteral("STEP"),
                                 QStringLiteral("%1, or 'undo' (the last step), 'recipe' (list the steps), 'replay' (apply another project's recipe).")
                                     .arg(curationStepKinds().join(QStringLiteral(", "))));
    const QCommandLineOption set(QStringLiteral("set"), QStringLiteral("A step parameter, e.g. threshold=0.8 or words=Acme,Globex (repeatable)."), QStringLiteral("KEY=VALUE"));
    const QCommandLineOption preview(QStringLiteral("preview"), QStringLiteral("Show what the step would do; change nothing."));
    const QCommandLineOption from(QStringLiteral("recipe-from"), QStringLiteral("With 'replay': the project whose recipe to apply."), QStringLiteral("PROJECT"));
    parser.addOptions({set, preview, from, kJson});
    parseOrThrow(parser, args, QStringLiteral("clean"),
                 QStringLiteral("Apply one curation step; it is recorded in the project's recipe and can be undone."));
    const QStringList pos = positionals(parser, {"PROJECT", "STEP"});
    const bool json = parser.isSet(kJson);
    if (pos[1] == QLatin1String("undo")) {
        auto project = Project::open(pos[0]);
        const RecipeStep s = undoLastCurationStep(*project);
        if (json)
            printJson({{"undone", s.kind}, {"seq", s.seq}});
        else
            printLine(QStringLiteral("Undid step %1 (%2).").arg(s.seq).arg(s.kind));
        return 0;
    }
    if (pos[1] == QLatin1String("replay")) {
        // "Refresh data": re-import the source into a project, then replay another project's recipe.
        if (!parser.isSet(from))
            throw UsageError{QStringLiteral("replay needs --recipe-from OTHER.ftproj")};
        QList<RecipeStep> steps;
        {
            auto other = Project::open(parser.value(from), Project::Access::ReadOnly);
            steps = curationRecipe(*other);
        }
        auto project = Project::open(pos[0]);
        const QList<StepEffect> effects = replayCurationRecipe(*project, steps);
        QJsonArray out;
        for (int i = 0; i < effects.size(); ++i) {
            out.append(QJsonObject{{"step", steps[i].kind}, {"effect", effects[i].toJson()}});
            if (!json)
                printLine(QStringLiteral("%1. %2: %3").arg(i + 1).arg(steps[i].kind, effects[i].describe()));
        }
        if (json)
            printJson({{"replayed", out}});
        return 0;
    }
    if (pos[1] == QLatin1String("recipe")) {
        auto project = Project::open(pos[0], Project::Access::ReadOnly);
        QJsonArray steps;
        for (const RecipeStep& s : curationRecipe(*project)) {
            steps.append(QJsonObject{{"seq", s.seq}, {"kind", s.kind}, {"params", s.params},
                                     {"effect", s.effect.toJson()}, {"created_at", s.createdAt}});
            if (!json)
                printLine(QStringLiteral("%1. %2 %3 — %4 (%5)").arg(s.seq).arg(s.kind,
                          QString::fromUtf8(QJsonDocument(s.params).toJson(QJsonDocument::Compact)),
                          s.effect.describe(), s.createdAt));
        }
        if (json)
            printJson({{"recipe", steps}});
        else if (steps.isEmpty())
            printLine(QStringLiteral("The recipe is empty."));
        return 0;
    }
    if (!curationStepKinds().contains(pos[1]))
        throw UsageError{QStringLiteral("unknown step '%1'; steps: %2, undo, recipe, replay").arg(pos[1], curationStepKinds().join(QStringLiteral(", ")))};
    return printEffect(pos[1], runStep(pos[0], pos[1], parseSets(parser.values(set)), parser.isSet(preview)),
                       parser.isSet(preview), json);
}

int cmdSplit(const QStringList& args)
{
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("PROJECT"), QStringLiteral("The .ftproj file."));
    const QCommandLineOption train(QStringLiteral("train"), QStringLiteral("Fraction for training (default 0.8)."), QStringLiteral("F"), QStringLiteral("0.8"));
    const QCommandLineOption val(QStringLiteral("val"), QStringLiteral("Fraction for validation (default 0.1)."), QStringLiteral("F"), QStringLiteral("0.1"));
    const QCommandLineOption test(QStringLiteral("test"), QStringLiteral("Fraction for testing (default 0.1)."), QStringLiteral("F"), QStringLiteral("0.1"));
    const QCommandLineOption seed(QStringLiteral("seed"), QStringLiteral("Random seed (default 13)."), QStringLiteral("N"), QStringLiteral("13"));
    const QCommandLineOption stratify(QStringLiteral("stratify"), QStringLiteral("Keep label proportions in every split (the default)."));
    const QCommandLineOption noStratify(QStringLiteral("no-stratify"), QStringLiteral("Split without looking at labels."));
    parser.addOptions({train, val, test, seed, stratify, noStratify, kJson});
    parseOrThrow(parser, args, QStringLiteral("split"),
                 QStringLiteral("Assign train/val/test to rows that have no split yet (recorded in the recipe)."));
    const QString project = positionals(parser, {"PROJECT"})[0];
    QJsonObject params;
    for (const auto* o : {&train, &val, &test, &seed}) {
        bool ok = false;
        const double d = parser.value(*o).toDouble(&ok);
        if (!ok)
            throw UsageError{QStringLiteral("--%1 must be a number").arg(o->names().first())};
        params.insert(o->names().first(), d);
    }
    params.insert(QStringLiteral("stratify"), !parser.isSet(noStratify));
    return printEffect(QStringLiteral("split"), runStep(project, QStringLiteral("split"), params, false), false,
                       parser.isSet(kJson));
}

int cmdData(const QStringList& args)
{
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("PROJECT"), QStringLiteral("The .ftproj file."));
    const QCommandLineOption exportTo(QStringLiteral("export"), QStringLiteral("Write the rows to FILE (.csv or .jsonl)."), QStringLiteral("FILE"));
    const QCommandLineOption split(QStringLiteral("split"), QStringLiteral("Only this split: train, val or test."), QStringLiteral("S"));
    parser.addOptions({exportTo, split, kJson});
    parseOrThrow(parser, args, QStringLiteral("data"),
                 QStringLiteral("Export the project's current rows (after curation) with text, labels and split."));
    const QString path = positionals(parser, {"PROJECT"})[0];
    if (!parser.isSet(exportTo))
        throw UsageError{QStringLiteral("--export FILE is required")};
    const QString out = parser.value(exportTo);
    const bool jsonl = QFileInfo(out).suffix().toLower() == QLatin1String("jsonl");
    auto project = Project::open(path, Project::Access::ReadOnly);
    const QStringList tasks = project->tasks();
    QString sql = QStringLiteral("SELECT id, text, COALESCE(split, '') FROM rows WHERE removed_by_step IS NULL");
    if (parser.isSet(split))
        sql += QStringLiteral(" AND split = ?");
    sql += QStringLiteral(" ORDER BY id");
    SqlQuery q(project->db(), sql);
    if (parser.isSet(split))
        q.bind(parser.value(split));
    q.exec("read the rows");
    SqlQuery labels(project->db(), QStringLiteral("SELECT task, value FROM labels WHERE row_id = ? AND superseded_at IS NULL "
                                                   "ORDER BY annotator = 'adjudicator', created_at, id"));
    qint64 count = 0;
    writeFileAtomically(out, [&](QIODevice& dev) {
        if (!jsonl) {
            QStringList header{QStringLiteral("text")};
            header << tasks << QStringLiteral("split");
            dev.write(header.join(QLatin1Char(',')).toUtf8() + "\n");
        }
        while (q.next()) {
            QMap<QString, QString> row;
            labels.raw().bindValue(0, q.value(0));
            labels.exec("read labels");
            while (labels.next()) // ascending: the gold label (as in the gold_labels view) comes last
                row.insert(labels.value(0).toString(), labels.value(1).toString());
            if (jsonl) {
                QJsonObject o{{"text", q.value(1).toString()}, {"split", q.value(2).toString()}};
                for (const QString& t : tasks)
                    o.insert(t, row.value(t));
                dev.write(QJsonDocument(o).toJson(QJsonDocument::Compact) + "\n");
            } else {
                QStringList fields{csvField(q.value(1).toString())};
                for (const QString& t : tasks)
                    fields << csvField(row.value(t));
                fields << q.value(2).toString();
                dev.write(fields.join(QLatin1Char(',')).toUtf8() + "\n");
            }
            ++count;
        }
    });
    if (parser.isSet(kJson))
        printJson({{"file", out}, {"rows", count}});
    else
        printLine(QStringLiteral("Wrote %1 rows to %2").arg(count).arg(out));
    return 0;
}

} // namespace fts::cli
