// ftstudio-cli labels: bulk label exchange (CSV or JSONL) with annotator and time, agreement, and
// rows whose label looks wrong.
#include "CliCommon.h"
#include "data/CsvField.h"

#include "data/TableSource.h"
#include "io/AtomicWrite.h"
#include "label/Agreement.h"
#include "label/LabelIssues.h"
#include "label/Labeling.h"
#include "project/Project.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMap>

namespace fts::cli {
namespace {

const QStringList kColumns = {"row_id", "task", "label", "annotator", "created_at", "text"};

qint64 exportLabels(Project& project, const QString& file, bool history)
{
    const bool jsonl = QFileInfo(file).suffix().toLower() == QLatin1String("jsonl");
    SqlQuery q(project.db(), QStringLiteral("SELECT l.row_id, l.task, l.value, l.annotator, l.created_at, r.text, "
                                            "COALESCE(l.superseded_at, '') FROM labels l JOIN rows r ON r.id = l.row_id "
                                            "WHERE r.removed_by_step IS NULL%1 ORDER BY l.id")
                                 .arg(history ? QString() : QStringLiteral(" AND l.superseded_at IS NULL")));
    q.exec("read the labels");
    qint64 n = 0;
    writeFileAtomically(file, [&](QIODevice& out) {
        if (!jsonl)
            out.write((kColumns.join(QLatin1Char(',')) + (history ? QStringLiteral(",superseded_at") : QString()) + QLatin1Char('\n')).toUtf8());
        while (q.next()) {
            QStringList values;
            for (int c = 0; c < 6; ++c)
                values << q.value(c).toString();
            if (history)
                values << q.value(6).toString();
            if (jsonl) {
                QJsonObject o;
                for (int c = 0; c < values.size(); ++c)
                    o.insert(c < 6 ? kColumns[c] : QStringLiteral("superseded_at"), c == 0 ? QJsonValue(q.value(0).toLongLong()) : QJsonValue(values[c]));
                out.write(QJsonDocument(o).toJson(QJsonDocument::Compact) + "\n");
            } else {
                QStringList fields;
                for (const QString& v : values)
                    fields << csvField(v);
                out.write((fields.join(QLatin1Char(',')) + QLatin1Char('\n')).toUtf8());
            }
            ++n;
        }
    });
    return n;
}

// All or nothing: every line is checked before any label is written.
qint64 importLabels(Project& project, const QString& file, const QString& defaultAnnotator)
{
    SourceOptions o;
    o.format = formatForFile(file);
    auto source = openTableSource(file, o);
    const QStringList header = source->header();
    const int rowCol = int(header.indexOf(QStringLiteral("row_id"))), taskCol = int(header.indexOf(QStringLiteral("task")));
    const int labelCol = int(header.indexOf(QStringLiteral("label"))), annCol = int(header.indexOf(QStringLiteral("annotator")));
    if (rowCol < 0 || labelCol < 0)
        throw Error(QStringLiteral("%1 needs the columns row_id and label (task and annotator are optional); it has: %2.")
                        .arg(QFileInfo(file).fileName(), header.join(QStringLiteral(", "))));
    QList<LabelAssignment> pending;
    SourceRecord r;
    while (source->next(r)) {
        bool ok = false;
        const qint64 row = r.fields.value(rowCol).toLongLong(&ok);
        if (!ok)
            throw Error(QStringLiteral("%1, line %2: row_id '%3' is not a number.").arg(QFileInfo(file).fileName()).arg(r.line).arg(r.fields.value(rowCol)));
        const QString task = taskCol >= 0 && !r.fields.value(taskCol).isEmpty() ? r.fields.value(taskCol) : QStringLiteral("label");
        const QString annotator = annCol >= 0 && !r.fields.value(annCol).isEmpty() ? r.fields.value(annCol) : defaultAnnotator;
        if (r.fields.value(labelCol).trimmed().isEmpty())
            throw Error(QStringLiteral("%1, line %2: the label is empty.").arg(QFileInfo(file).fileName()).arg(r.line));
        pending.append({row, task, r.fields.value(labelCol), annotator});
    }
    setLabels(project, pending);
    return pending.size();
}

void printLabelIssues(const LabelIssueReport& r, bool json)
{
    if (json) {
        QJsonArray list;
        for (const LabelIssue& i : r.issues)
            list.append(QJsonObject{{"row_id", i.rowId}, {"split", i.split}, {"given", i.given},
                                    {"likely", i.likely}, {"given_probability", i.givenProbability},
                                    {"likely_probability", i.likelyProbability}, {"text", i.text}});
        printJson({{"task", r.task}, {"rows", r.rows}, {"folds", r.folds}, {"features", r.features},
                   {"out_of_fold_accuracy", r.outOfFoldAccuracy}, {"caution", r.caution},
                   {"issues", list}});
        return;
    }
    printLine(QStringLiteral("%1 of %2 labeled rows of '%3' look mislabeled (%4-fold, %5 features, "
                             "out-of-fold accuracy %6%), most suspicious first:")
                  .arg(r.issues.size())
                  .arg(r.rows)
                  .arg(r.task)
                  .arg(r.folds)
                  .arg(r.features == QLatin1String("words") ? QStringLiteral("word")
                                                            : QStringLiteral("model"))
                  .arg(r.outOfFoldAccuracy * 100.0, 0, 'f', 1));
    if (!r.caution.isEmpty())
        printLine(QStringLiteral("Caution: ") + r.caution);
    for (const LabelIssue& i : r.issues)
        printLine(QStringLiteral("row %1 [%2] labeled %3 (%4), likely %5 (%6): %7")
                      .arg(i.rowId)
                      .arg(i.split, i.given)
                      .arg(i.givenProbability, 0, 'f', 2)
                      .arg(i.likely)
                      .arg(i.likelyProbability, 0, 'f', 2)
                      .arg(i.text.left(100)));
}

} // namespace

int cmdLabels(const QStringList& args)
{
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("PROJECT"), QStringLiteral("The .ftproj file."));
    const QCommandLineOption importFrom(QStringLiteral("import"), QStringLiteral("Add labels from FILE (.csv or .jsonl: row_id, label[, task, annotator])."), QStringLiteral("FILE"));
    const QCommandLineOption exportTo(QStringLiteral("export"), QStringLiteral("Write current labels with annotator and time to FILE (.csv or .jsonl)."), QStringLiteral("FILE"));
    const QCommandLineOption history(QStringLiteral("history"), QStringLiteral("With --export: every label ever given, with when it was replaced."));
    const QCommandLineOption annotator(QStringLiteral("annotator"), QStringLiteral("Annotator for imported labels without one (default: import)."), QStringLiteral("NAME"), QStringLiteral("import"));
    const QCommandLineOption agreement(QStringLiteral("agreement"), QStringLiteral("Inter-annotator agreement of TASK: Cohen's kappa per pair, Krippendorff's alpha."), QStringLiteral("TASK"));
    const QCommandLineOption issues(QStringLiteral("issues"), QStringLiteral("Rows of TASK whose label looks wrong (cross-validated confident learning)."), QStringLiteral("TASK"));
    const QCommandLineOption features(QStringLiteral("features"), QStringLiteral("With --issues: auto (the project's model if it has one), model or words."), QStringLiteral("KIND"), QStringLiteral("auto"));
    const QCommandLineOption folds(QStringLiteral("folds"), QStringLiteral("With --issues: cross-validation folds, 2 to 20 (default 5)."), QStringLiteral("N"), QStringLiteral("5"));
    parser.addOptions({importFrom, exportTo, history, annotator, agreement, issues, features, folds, kJson});
    parseOrThrow(parser, args, QStringLiteral("labels"), QStringLiteral("Bulk label exchange and agreement."));
    const QString path = positionals(parser, {"PROJECT"})[0];
    const int modes = parser.isSet(importFrom) + parser.isSet(exportTo) + parser.isSet(agreement) +
                      parser.isSet(issues);
    if (modes != 1)
        throw UsageError{QStringLiteral("use exactly one of --import FILE, --export FILE, --agreement TASK, "
                                        "--issues TASK")};
    if (parser.isSet(issues)) {
        LabelIssueOptions o;
        o.features = parser.value(features);
        bool ok = false;
        o.folds = parser.value(folds).toInt(&ok);
        if (!ok)
            throw UsageError{QStringLiteral("--folds needs a whole number, got '%1'").arg(parser.value(folds))};
        auto project = Project::open(path, Project::Access::ReadOnly);
        printLabelIssues(findLabelIssues(*project, parser.value(issues), o), parser.isSet(kJson));
        return 0;
    }
    if (parser.isSet(exportTo)) {
        auto project = Project::open(path, Project::Access::ReadOnly);
        const qint64 n = exportLabels(*project, parser.value(exportTo), parser.isSet(history));
        parser.isSet(kJson) ? printJson({{"file", parser.value(exportTo)}, {"labels", n}})
                            : printLine(QStringLiteral("Wrote %1 labels to %2").arg(n).arg(parser.value(exportTo)));
        return 0;
    }
    if (parser.isSet(importFrom)) {
        auto project = Project::open(path);
        const qint64 n = importLabels(*project, parser.value(importFrom), parser.value(annotator));
        parser.isSet(kJson) ? printJson({{"labels", n}}) : printLine(QStringLiteral("Imported %1 labels").arg(n));
        return 0;
    }
    auto project = Project::open(path, Project::Access::ReadOnly);
    const QString task = parser.value(agreement);
    QMap<qint64, QMap<QString, QString>> byRow; // row -> annotator -> label
    SqlQuery q(project->db(), QStringLiteral("SELECT l.row_id, l.annotator, l.value FROM labels l JOIN rows r ON r.id = l.row_id "
                                             "WHERE l.task = ? AND l.superseded_at IS NULL AND r.removed_by_step IS NULL AND "
                                             "l.annotator != 'adjudicator' AND l.annotator NOT LIKE 'import:%'"));
    q.bind(task).exec("read the labels");
    QStringList annotators;
    while (q.next()) {
        byRow[q.value(0).toLongLong()][q.value(1).toString()] = q.value(2).toString();
        if (!annotators.contains(q.value(1).toString()))
            annotators << q.value(1).toString();
    }
    QJsonArray pairs;
    for (int i = 0; i < annotators.size(); ++i)
        for (int j = i + 1; j < annotators.size(); ++j) {
            QStringList a, b;
            for (const auto& labels : std::as_const(byRow))
                if (labels.contains(annotators[i]) && labels.contains(annotators[j])) {
                    a << labels[annotators[i]];
                    b << labels[annotators[j]];
                }
            if (a.isEmpty())
                continue;
            pairs.append(QJsonObject{{"a", annotators[i]}, {"b", annotators[j]}, {"items", a.size()}, {"cohen_kappa", cohenKappa(a, b)}});
        }
    QList<QStringList> units;
    for (const auto& labels : std::as_const(byRow))
        units << labels.values();
    QJsonObject out{{"task", task}, {"annotators", QJsonArray::fromStringList(annotators)}, {"pairs", pairs}};
    try {
        out.insert(QStringLiteral("krippendorff_alpha"), krippendorffAlphaNominal(units));
    } catch (const Error&) {
        out.insert(QStringLiteral("krippendorff_alpha"), QJsonValue());
    }
    if (parser.isSet(kJson)) {
        printJson(out);
        return 0;
    }
    if (pairs.isEmpty()) {
        printLine(QStringLiteral("No rows of '%1' were labeled by two annotators yet.").arg(task));
        return 0;
    }
    for (const QJsonValue& p : pairs)
        printLine(QStringLiteral("%1 vs %2: Cohen's kappa %3 on %4 rows")
                      .arg(p[QLatin1String("a")].toString(), p[QLatin1String("b")].toString())
                      .arg(p[QLatin1String("cohen_kappa")].toDouble(), 0, 'f', 3).arg(p[QLatin1String("items")].toInt()));
    printLine(QStringLiteral("Krippendorff's alpha (nominal): %1").arg(out.value(QLatin1String("krippendorff_alpha")).toDouble(), 0, 'f', 3));
    return 0;
}

} // namespace fts::cli
