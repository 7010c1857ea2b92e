// Everything the user typed (labels, texts, model paths, errors) is HTML-escaped; numbers are
// written in the C locale so a report reads the same on every machine. The markup keeps to what
// both browsers and QTextDocument (the PDF) render: tables with border attributes, <img>, headings.
#include "report/RunReport.h"

#include "train/MultiTaskTrainer.h"

#include "Error.h"
#include "deploy/FewShot.h"
#include "io/AtomicWrite.h"
#include "report/ReportCharts.h"

#include <QBuffer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPdfWriter>
#include <QSet>
#include <QTextDocument>

#include <algorithm>
#include <cmath>

namespace fts {
namespace {

QString esc(const QString& s)
{
    return s.toHtmlEscaped();
}

QString num(double v, int precision = 4)
{
    if (!std::isfinite(v))
        return QStringLiteral("–");
    return QString::number(v, 'g', precision);
}

QList<QPointF> curve(const QList<MetricPoint>& metrics, const QString& split, const QString& name)
{
    QList<QPointF> out;
    for (const MetricPoint& m : metrics)
        if (m.split == split && m.name == name && std::isfinite(m.value))
            out << QPointF(double(m.step), m.value);
    return out;
}

double lastValue(const QList<MetricPoint>& metrics, const QString& split, const QString& name)
{
    const QList<QPointF> c = curve(metrics, split, name);
    return c.isEmpty() ? qQNaN() : c.constLast().y();
}

QString keyValueTable(const QList<std::pair<QString, QString>>& rows)
{
    QString html = QStringLiteral("<table class='kv' cellpadding='3'>");
    for (const auto& [k, v] : rows)
        html += QStringLiteral("<tr><th align='left'>%1</th><td>%2</td></tr>").arg(esc(k), v);
    return html + QStringLiteral("</table>");
}

QString gridTableStart()
{
    return QStringLiteral("<table class='grid' border='1' cellspacing='0' cellpadding='4'>");
}

// The wide tables take the page's width, so their columns do not wrap mid-word.
QString wideTableStart()
{
    return QStringLiteral("<table class='grid' width='100%' border='1' cellspacing='0' cellpadding='4'>");
}

struct Builder
{
    ReportDocument doc;
    void image(const QString& stem, const QImage& image)
    {
        const QString name = QStringLiteral("%1-%2.png").arg(stem).arg(doc.images.size() + 1);
        doc.images << std::pair{name, image};
        doc.body += QStringLiteral("<p><img src='%1' width='%2' height='%3' alt='%4'></p>")
                        .arg(name)
                        .arg(kReportChartWidth)
                        .arg(kReportChartHeight)
                        .arg(esc(stem));
    }
};

QString modelName(const QString& dir)
{
    return QFileInfo(dir).fileName().isEmpty() ? dir : QFileInfo(dir).fileName();
}

// Green shades by the share of the true label's row, so the diagonal stands out.
QString cellColour(qint64 count, qint64 rowTotal)
{
    if (rowTotal <= 0 || count <= 0)
        return QStringLiteral("#ffffff");
    const double share = double(count) / double(rowTotal);
    const int fade = int(std::lround(255 - share * 120));
    return QColor(fade, 255 - int(std::lround(share * 40)), fade).name();
}

// `task` non-empty: one of a multi-task run's tasks, named in the headings.
void evaluationSections(Builder& b, const Evaluation& e, int topErrors, const QString& task = {})
{
    const ClassificationReport& r = e.report;
    const QString of = task.isEmpty() ? QString() : QStringLiteral("Task %1: ").arg(esc(task));
    b.doc.body += QStringLiteral("<h2>%1Metrics on the %2 split (%3 rows)</h2>").arg(of, esc(e.split)).arg(r.total);
    QList<std::pair<QString, QString>> rows = {
        {QStringLiteral("Accuracy"), num(r.accuracy)},
        {QStringLiteral("Macro F1"), num(r.macroF1)},
        {QStringLiteral("Weighted F1"), num(r.weightedF1)},
        {QStringLiteral("Loss"), r.loss >= 0 ? num(r.loss) : QStringLiteral("–")},
        {QStringLiteral("Calibration error (ECE)"), r.ece >= 0 ? num(r.ece) : QStringLiteral("–")}};
    if (r.rocAuc >= 0)
        rows << std::pair{QStringLiteral("ROC-AUC"), num(r.rocAuc)};
    b.doc.body += keyValueTable(rows);
    if (r.unanswered > 0)
        b.doc.body += QStringLiteral("<p>%1 of %2 answers named no label: they count as wrong and "
                                     "appear in no column of the confusion matrix.</p>")
                          .arg(r.unanswered)
                          .arg(r.total);
    b.doc.body += QStringLiteral("<h3>Per class</h3>") + gridTableStart() +
                  QStringLiteral("<tr><th>Label</th><th>Precision</th><th>Recall</th><th>F1</th>"
                                 "<th>Support</th></tr>");
    for (const ClassMetrics& c : r.perClass)
        b.doc.body += QStringLiteral("<tr><td>%1</td><td>%2</td><td>%3</td><td>%4</td><td>%5</td></tr>")
                          .arg(esc(c.label), num(c.precision, 3), num(c.recall, 3), num(c.f1, 3))
                          .arg(c.support);
    b.doc.body += QStringLiteral("</table><h2>%1Confusion matrix</h2><p>Rows: true label; columns: "
                                 "predicted label.</p>").arg(of) +
                  gridTableStart() + QStringLiteral("<tr><th></th>");
    for (const QString& l : r.labels)
        b.doc.body += QStringLiteral("<th>%1</th>").arg(esc(l));
    b.doc.body += QStringLiteral("</tr>");
    for (int t = 0; t < r.confusion.size(); ++t) {
        qint64 rowTotal = 0;
        for (qint64 v : r.confusion[t])
            rowTotal += v;
        b.doc.body += QStringLiteral("<tr><th>%1</th>").arg(esc(r.labels.value(t)));
        for (int p = 0; p < r.confusion[t].size(); ++p)
            b.doc.body += QStringLiteral("<td align='right' bgcolor='%1'%2>%3</td>")
                              .arg(cellColour(r.confusion[t][p], rowTotal),
                                   t == p ? QStringLiteral(" class='diag'") : QString())
                              .arg(r.confusion[t][p]);
        b.doc.body += QStringLiteral("</tr>");
    }
    b.doc.body += QStringLiteral("</table>");
    if (!r.calibration.isEmpty()) {
        b.doc.body += QStringLiteral("<h2>%1Calibration</h2><p>How often the model is right when it "
                                     "is this sure: bars on the diagonal mean its confidence can "
                                     "be taken at face value.</p>").arg(of);
        b.image(QStringLiteral("calibration"), reliabilityChartImage(r.calibration, r.ece));
    }
    QList<const RowPrediction*> errors;
    for (const RowPrediction& row : e.rows)
        if (row.predicted != row.truth)
            errors << &row;
    const auto confidence = [](const RowPrediction* row) {
        return row->predicted >= 0 && size_t(row->predicted) < row->probabilities.size()
                   ? row->probabilities[size_t(row->predicted)]
                   : 0.0;
    };
    std::stable_sort(errors.begin(), errors.end(), [&](const RowPrediction* a, const RowPrediction* b) {
        return confidence(a) > confidence(b);
    });
    b.doc.body += QStringLiteral("<h2>%1Top errors</h2>").arg(of);
    if (e.rows.isEmpty()) {
        b.doc.body += QStringLiteral("<p>No per-row predictions were kept for this report.</p>");
        return;
    }
    if (errors.isEmpty()) {
        b.doc.body += QStringLiteral("<p>Every row of the split was predicted correctly.</p>");
        return;
    }
    b.doc.body += QStringLiteral("<p>%1 of %2 rows misclassified; the %3 the model was surest "
                                 "about:</p>")
                      .arg(errors.size())
                      .arg(e.rows.size())
                      .arg(std::min<qsizetype>(topErrors, errors.size())) +
                  wideTableStart() +
                  QStringLiteral("<tr><th>Row</th><th>Text</th><th>True</th><th>Predicted</th>"
                                 "<th>Confidence</th></tr>");
    for (qsizetype i = 0; i < std::min<qsizetype>(topErrors, errors.size()); ++i) {
        const RowPrediction& row = *errors[i];
        QString text = row.text.simplified();
        if (text.size() > 200)
            text = text.left(199) + QChar(0x2026);
        b.doc.body += QStringLiteral("<tr><td>%1</td><td>%2</td><td>%3</td><td>%4</td><td>%5</td></tr>")
                          .arg(row.rowId)
                          .arg(esc(text), esc(r.labels.value(row.truth)),
                               row.predicted >= 0 ? esc(r.labels.value(row.predicted)) : QStringLiteral("—"),
                               row.probabilities.empty() ? QStringLiteral("–") : num(confidence(&row), 3));
    }
    b.doc.body += QStringLiteral("</table>");
}

QString hyperparameterText(const QJsonValue& v)
{
    if (v.isUndefined())
        return QStringLiteral("–");
    if (v.isDouble()) // 0.0005, not QVariant's 5e-04
        return QString::number(v.toDouble(), 'g', 6);
    return v.toVariant().toString();
}

QString footer()
{
    return QStringLiteral("<p><font color='#888888'>Written by Finetune Studio %1.</font></p>")
        .arg(QStringLiteral(FTS_VERSION));
}

} // namespace

ReportDocument runReport(const RunReportInput& in)
{
    const RunRecord& r = in.run;
    Builder b;
    b.doc.title = QStringLiteral("Run %1 — %2").arg(r.id).arg(in.projectName);
    const bool fewShot = isFewShotRunMethod(r.method);
    b.doc.body = QStringLiteral("<h1>%1 %2</h1><p>Project <b>%3</b></p>")
                     .arg(fewShot ? QStringLiteral("Few-shot evaluation, run") : QStringLiteral("Training run"))
                     .arg(r.id)
                     .arg(esc(in.projectName));
    b.doc.body += QStringLiteral("<h2>Data</h2>");
    QList<std::pair<QString, QString>> data = {{QStringLiteral("Task (label column)"), esc(r.task)}};
    for (const QString& split : {QStringLiteral("train"), QStringLiteral("val"), QStringLiteral("test")})
        if (r.snapshot.contains(split))
            data << std::pair{QStringLiteral("Rows in %1").arg(split),
                              QString::number(r.snapshot.value(split).toArray().size())};
    if (r.snapshot.contains(QLatin1String("hash")))
        data << std::pair{QStringLiteral("Data snapshot (SHA-256)"),
                          QStringLiteral("<code>%1</code>").arg(esc(r.snapshot.value(QLatin1String("hash")).toString()))};
    b.doc.body += keyValueTable(data);

    b.doc.body += QStringLiteral("<h2>Model and method</h2>");
    QList<std::pair<QString, QString>> facts = {
        {QStringLiteral("Model"), esc(r.modelDir)},
        {QStringLiteral("Method"), esc(r.method)},
        {QStringLiteral("Status"), esc(r.status)},
        {QStringLiteral("Started"), esc(r.createdAt)},
        {QStringLiteral("Seed"), QString::number(r.seed)}};
    if (fewShot)
        facts << std::pair{QStringLiteral("Training"),
                           QStringLiteral("none: the model was prompted with labeled examples")};
    else
        facts << std::pair{QStringLiteral("Training time"), QStringLiteral("%1 s").arg(r.trainSeconds, 0, 'f', 1)};
    if (fewShot && r.bestStep >= 0)
        facts << std::pair{QStringLiteral("Macro F1 on %1").arg(esc(r.hyperparameters.value(QLatin1String("split")).toString())),
                           num(r.bestMetric)};
    else if (r.bestStep >= 0)
        facts << std::pair{QStringLiteral("Best validation score"),
                           QStringLiteral("%1 at step %2").arg(num(r.bestMetric)).arg(r.bestStep)};
    b.doc.body += keyValueTable(facts);
    if (!r.error.isEmpty())
        b.doc.body += QStringLiteral("<p class='error'><font color='#b00020'>%1</font></p>").arg(esc(r.error));

    b.doc.body += QStringLiteral("<h2>Hyperparameters</h2>");
    QList<std::pair<QString, QString>> hp;
    for (auto it = r.hyperparameters.begin(); it != r.hyperparameters.end(); ++it)
        hp << std::pair{it.key(), esc(hyperparameterText(it.value()))};
    b.doc.body += keyValueTable(hp);

    // A few-shot run has one score at step 0 and no curve to draw.
    if (!fewShot) {
        b.doc.body += QStringLiteral("<h2>Curves</h2>");
        b.image(QStringLiteral("loss"),
                lineChartImage(QStringLiteral("Loss"), QStringLiteral("step"),
                               {{QStringLiteral("train loss"), QColor(0x1f, 0x77, 0xb4),
                                 curve(in.metrics, QStringLiteral("train"), QStringLiteral("loss")), false},
                                {QStringLiteral("validation loss"), QColor(0xd6, 0x27, 0x28),
                                 curve(in.metrics, QStringLiteral("val"), QStringLiteral("loss")), true}},
                               0));
        b.image(QStringLiteral("scores"),
                lineChartImage(QStringLiteral("Validation scores"), QStringLiteral("step"),
                               {{QStringLiteral("accuracy"), QColor(0x2c, 0xa0, 0x2c),
                                 curve(in.metrics, QStringLiteral("val"), QStringLiteral("accuracy")), false},
                                {QStringLiteral("macro F1"), QColor(0x94, 0x67, 0xbd),
                                 curve(in.metrics, QStringLiteral("val"), QStringLiteral("macro_f1")), true}},
                               0, 1));
    }
    if (!fewShot && isMultiTaskRun(r)) {
        // Each task's validation macro F1 over the run, beside the means drawn above.
        QList<ChartSeries> perTask;
        for (const QString& t : multiTaskRunTasks(r))
            perTask << ChartSeries{QStringLiteral("%1 macro F1").arg(t), runColour(int(perTask.size())),
                                   curve(in.metrics, QStringLiteral("val"), t + QStringLiteral("/macro_f1")), false};
        b.image(QStringLiteral("tasks"), lineChartImage(QStringLiteral("Validation macro F1 per task"),
                                                        QStringLiteral("step"), perTask, 0, 1));
    }
    if (!in.taskEvaluations.isEmpty()) {
        for (const Evaluation& e : in.taskEvaluations)
            if (e.report.total > 0)
                evaluationSections(b, e, in.topErrors, e.task);
    } else if (in.evaluation.report.total > 0) {
        evaluationSections(b, in.evaluation, in.topErrors);
    }

    if (!r.software.isEmpty())
        b.doc.body += QStringLiteral("<h2>Software</h2><pre>%1</pre>")
                          .arg(esc(QString::fromUtf8(QJsonDocument(r.software).toJson(QJsonDocument::Indented))));
    b.doc.body += footer();
    return b.doc;
}

ReportDocument comparisonReport(const QString& projectName, const QList<RunReportInput>& runs)
{
    if (runs.size() < 2 || runs.size() > 6)
        throw Error(QStringLiteral("A comparison report takes 2 to 6 runs, not %1.").arg(runs.size()));
    Builder b;
    QStringList ids;
    for (const RunReportInput& in : runs)
        ids << QString::number(in.run.id);
    b.doc.title = QStringLiteral("Runs %1 — %2").arg(ids.join(QStringLiteral(", ")), projectName);
    b.doc.body = QStringLiteral("<h1>Comparison of runs %1</h1><p>Project <b>%2</b></p>")
                     .arg(ids.join(QStringLiteral(", ")), esc(projectName));

    b.doc.body += QStringLiteral("<h2>Runs and scores</h2>") + wideTableStart() +
                  QStringLiteral("<tr><th>Run</th><th>Status</th><th>Task</th><th>Model</th>"
                                 "<th>Method</th><th>Train rows</th><th>Best val</th>"
                                 "<th>Last val accuracy</th><th>Last val macro F1</th>"
                                 "<th>Time</th></tr>");
    for (const RunReportInput& in : runs) {
        const RunRecord& r = in.run;
        b.doc.body += QStringLiteral("<tr><td>%1</td><td>%2</td><td>%3</td><td>%4</td><td>%5</td>"
                                     "<td>%6</td><td>%7</td><td>%8</td><td>%9</td>")
                          .arg(r.id)
                          .arg(esc(r.status), esc(r.task), esc(modelName(r.modelDir)), esc(r.method))
                          .arg(r.snapshot.value(QLatin1String("train")).toArray().size())
                          .arg(r.bestStep >= 0 ? QStringLiteral("%1 (step %2)").arg(num(r.bestMetric)).arg(r.bestStep)
                                               : QStringLiteral("–"))
                          .arg(num(lastValue(in.metrics, QStringLiteral("val"), QStringLiteral("accuracy"))))
                          .arg(num(lastValue(in.metrics, QStringLiteral("val"), QStringLiteral("macro_f1"))));
        b.doc.body += QStringLiteral("<td>%1 s</td></tr>").arg(r.trainSeconds, 0, 'f', 1);
    }
    b.doc.body += QStringLiteral("</table>");

    const bool evaluated = std::any_of(runs.begin(), runs.end(), [](const RunReportInput& in) {
        return in.evaluation.report.total > 0 || !in.taskEvaluations.isEmpty();
    });
    if (evaluated) {
        b.doc.body += QStringLiteral("<h2>Metrics</h2>") + gridTableStart() +
                      QStringLiteral("<tr><th>Run</th><th>Split</th><th>Rows</th><th>Accuracy</th>"
                                     "<th>Macro F1</th><th>Weighted F1</th><th>Loss</th>"
                                     "<th>ECE</th></tr>");
        for (const RunReportInput& in : runs) {
            // A multi-task run has a row per task.
            const QList<Evaluation> evaluations = in.taskEvaluations.isEmpty() ? QList<Evaluation>{in.evaluation}
                                                                               : in.taskEvaluations;
            for (const Evaluation& ev : evaluations) {
                const ClassificationReport& e = ev.report;
                const QString run = in.taskEvaluations.isEmpty()
                                        ? QString::number(in.run.id)
                                        : QStringLiteral("%1 (%2)").arg(in.run.id).arg(esc(ev.task));
                if (e.total == 0) {
                    b.doc.body += QStringLiteral("<tr><td>%1</td><td colspan='7'>not evaluated</td></tr>").arg(run);
                    continue;
                }
                b.doc.body += QStringLiteral("<tr><td>%1</td><td>%2</td><td>%3</td><td>%4</td><td>%5</td>"
                                             "<td>%6</td><td>%7</td><td>%8</td></tr>")
                                  .arg(run, esc(ev.split))
                                  .arg(e.total)
                                  .arg(num(e.accuracy), num(e.macroF1), num(e.weightedF1),
                                       e.loss >= 0 ? num(e.loss) : QStringLiteral("–"),
                                       e.ece >= 0 ? num(e.ece) : QStringLiteral("–"));
            }
        }
        b.doc.body += QStringLiteral("</table>");
    }

    // Only the settings that differ; each value unlike the first run's is highlighted.
    QStringList keys;
    for (const RunReportInput& in : runs)
        for (const QString& k : in.run.hyperparameters.keys())
            if (!keys.contains(k))
                keys << k;
    std::sort(keys.begin(), keys.end());
    keys.removeIf([&](const QString& k) {
        const QJsonValue first = runs.first().run.hyperparameters.value(k);
        return std::all_of(runs.begin(), runs.end(), [&](const RunReportInput& in) {
            return in.run.hyperparameters.value(k) == first;
        });
    });
    b.doc.body += QStringLiteral("<h2>Hyperparameters that differ</h2>");
    if (keys.isEmpty()) {
        b.doc.body += QStringLiteral("<p>All runs used the same hyperparameters.</p>");
    } else {
        b.doc.body += gridTableStart() + QStringLiteral("<tr><th>Setting</th>");
        for (const QString& id : ids)
            b.doc.body += QStringLiteral("<th>Run %1</th>").arg(id);
        b.doc.body += QStringLiteral("</tr>");
        for (const QString& k : keys) {
            const QJsonValue first = runs.first().run.hyperparameters.value(k);
            b.doc.body += QStringLiteral("<tr><th align='left'>%1</th>").arg(esc(k));
            for (const RunReportInput& in : runs) {
                const QJsonValue v = in.run.hyperparameters.value(k);
                b.doc.body += v == first ? QStringLiteral("<td>%1</td>").arg(esc(hyperparameterText(v)))
                                         : QStringLiteral("<td class='differs' bgcolor='#fff2a8'><b>%1</b></td>")
                                               .arg(esc(hyperparameterText(v)));
            }
            b.doc.body += QStringLiteral("</tr>");
        }
        b.doc.body += QStringLiteral("</table>");
    }

    b.doc.body += QStringLiteral("<h2>Curves</h2>");
    const auto overlay = [&](const QString& split, const QString& name) {
        QList<ChartSeries> series;
        for (qsizetype i = 0; i < runs.size(); ++i)
            series << ChartSeries{QStringLiteral("run %1").arg(runs[i].run.id), runColour(int(i)),
                                  curve(runs[i].metrics, split, name), false};
        return series;
    };
    b.image(QStringLiteral("train-loss"),
            lineChartImage(QStringLiteral("Training loss"), QStringLiteral("step"),
                           overlay(QStringLiteral("train"), QStringLiteral("loss")), 0));
    b.image(QStringLiteral("val-loss"),
            lineChartImage(QStringLiteral("Validation loss"), QStringLiteral("step"),
                           overlay(QStringLiteral("val"), QStringLiteral("loss")), 0));
    b.image(QStringLiteral("val-f1"),
            lineChartImage(QStringLiteral("Validation macro F1"), QStringLiteral("step"),
                           overlay(QStringLiteral("val"), QStringLiteral("macro_f1")), 0, 1));
    for (const RunReportInput& in : runs)
        if (in.evaluation.report.total > 0) {
            b.doc.body += QStringLiteral("<h1>Run %1 in detail</h1>").arg(in.run.id);
            evaluationSections(b, in.evaluation, in.topErrors);
        }
    b.doc.body += footer();
    return b.doc;
}

QString reportHtml(const ReportDocument& document)
{
    QString body = document.body;
    for (const auto& [name, image] : document.images) {
        QByteArray png;
        QBuffer buffer(&png);
        buffer.open(QIODevice::WriteOnly);
        image.save(&buffer, "PNG");
        body.replace(QStringLiteral("src='%1'").arg(name),
                     QStringLiteral("src='data:image/png;base64,%1'").arg(QString::fromLatin1(png.toBase64())));
    }
    return QStringLiteral(
               "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>%1</title><style>"
               "body{font-family:sans-serif;max-width:760px;margin:2em auto;color:#222}"
               "table{border-collapse:collapse;margin:.5em 0}th,td{padding:3px 8px;text-align:left}"
               ".grid td,.grid th{border:1px solid #ccc}.kv th{color:#555;font-weight:normal}"
               ".diag{font-weight:bold}.error{color:#b00020}img{max-width:100%;height:auto}"
               "</style></head><body>")
               .arg(esc(document.title)) +
           body + QStringLiteral("</body></html>");
}

void writeReport(const ReportDocument& document, const QString& file)
{
    if (!file.endsWith(QStringLiteral(".pdf"), Qt::CaseInsensitive)) {
        const QByteArray html = reportHtml(document).toUtf8();
        writeFileAtomically(file, [&html](QIODevice& d) { d.write(html); });
        return;
    }
    writeFileAtomically(file, [&document](QIODevice& device) {
        QPdfWriter pdf(&device);
        pdf.setTitle(document.title);
        pdf.setCreator(QStringLiteral("Finetune Studio %1").arg(QStringLiteral(FTS_VERSION)));
        pdf.setPageSize(QPageSize(QPageSize::A4));
        pdf.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout::Millimeter);
        // Laid out at screen resolution, so the charts' 640 logical pixels fit the A4 text width
        // (about 680 pixels at 96 dpi) instead of running off the page.
        pdf.setResolution(96);
        QTextDocument text;
        text.setPageSize(pdf.pageLayout().paintRectPixels(96).size());
        text.setDefaultStyleSheet(QStringLiteral("body{font-family:sans-serif} th{color:#333333}"));
        for (const auto& [name, image] : document.images)
            text.addResource(QTextDocument::ImageResource, QUrl(name), image);
        text.setHtml(QStringLiteral("<html><body>%1</body></html>").arg(document.body));
        text.print(&pdf);
    });
}

} // namespace fts
