// Everything the user typed (labels, model paths, errors) is HTML-escaped; numbers are written in
// the C locale so a report reads the same on every machine.
#include "train/RunReport.h"

#include <QJsonArray>
#include <QJsonDocument>

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

QString keyValueTable(const QList<std::pair<QString, QString>>& rows)
{
    QString html = QStringLiteral("<table class='kv'>");
    for (const auto& [k, v] : rows)
        html += QStringLiteral("<tr><th>%1</th><td>%2</td></tr>").arg(esc(k), v);
    return html + QStringLiteral("</table>");
}

QString evaluationSection(const ClassificationReport& r, const QString& split)
{
    QString html = QStringLiteral("<h2>Evaluation on the %1 split (%2 rows)</h2>").arg(esc(split)).arg(r.total);
    html += keyValueTable({{QStringLiteral("Accuracy"), num(r.accuracy)},
                           {QStringLiteral("Macro F1"), num(r.macroF1)},
                           {QStringLiteral("Weighted F1"), num(r.weightedF1)},
                           {QStringLiteral("Loss"), r.loss >= 0 ? num(r.loss) : QStringLiteral("–")},
                           {QStringLiteral("Calibration error (ECE)"),
                            r.ece >= 0 ? num(r.ece) : QStringLiteral("–")}});
    html += QStringLiteral("<h3>Per class</h3><table class='grid'><tr><th>Label</th><th>Precision</th>"
                           "<th>Recall</th><th>F1</th><th>Support</th></tr>");
    for (const ClassMetrics& c : r.perClass)
        html += QStringLiteral("<tr><td>%1</td><td>%2</td><td>%3</td><td>%4</td><td>%5</td></tr>")
                    .arg(esc(c.label), num(c.precision, 3), num(c.recall, 3), num(c.f1, 3))
                    .arg(c.support);
    html += QStringLiteral("</table><h3>Confusion matrix (rows: true label, columns: predicted)</h3>"
                           "<table class='grid'><tr><th></th>");
    for (const QString& l : r.labels)
        html += QStringLiteral("<th>%1</th>").arg(esc(l));
    html += QStringLiteral("</tr>");
    for (int t = 0; t < r.confusion.size(); ++t) {
        html += QStringLiteral("<tr><th>%1</th>").arg(esc(r.labels.value(t)));
        for (int p = 0; p < r.confusion[t].size(); ++p)
            html += QStringLiteral("<td%1>%2</td>")
                        .arg(t == p ? QStringLiteral(" class='diag'") : QString())
                        .arg(r.confusion[t][p]);
        html += QStringLiteral("</tr>");
    }
    return html + QStringLiteral("</table>");
}

} // namespace

QString svgLineChart(const QString& title, const QList<ChartSeries>& series, double yMin,
                     double yMax)
{
    constexpr double W = 640, H = 260, left = 56, right = 16, top = 28, bottom = 36;
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (const ChartSeries& s : series)
        for (const QPointF& p : s.points) {
            x0 = std::min(x0, p.x());
            x1 = std::max(x1, p.x());
            y0 = std::min(y0, p.y());
            y1 = std::max(y1, p.y());
        }
    QString svg = QStringLiteral("<svg xmlns='http://www.w3.org/2000/svg' width='%1' height='%2' "
                                 "viewBox='0 0 %1 %2' role='img' aria-label='%3'>")
                      .arg(W).arg(H).arg(esc(title));
    svg += QStringLiteral("<text x='%1' y='18' font-size='14' font-weight='bold'>%2</text>")
               .arg(left).arg(esc(title));
    if (!std::isfinite(x0)) // no points at all
        return svg + QStringLiteral("<text x='%1' y='%2' font-size='12'>no data</text></svg>")
                         .arg(left).arg(H / 2);
    if (!std::isnan(yMin))
        y0 = yMin;
    if (!std::isnan(yMax))
        y1 = yMax;
    if (x1 <= x0)
        x1 = x0 + 1;
    if (y1 <= y0)
        y1 = y0 + 1;
    const auto sx = [&](double x) { return left + (x - x0) / (x1 - x0) * (W - left - right); };
    const auto sy = [&](double y) { return H - bottom - (y - y0) / (y1 - y0) * (H - top - bottom); };
    svg += QStringLiteral("<rect x='%1' y='%2' width='%3' height='%4' fill='none' stroke='#999'/>")
               .arg(left).arg(top).arg(W - left - right).arg(H - top - bottom);
    for (int i = 0; i <= 4; ++i) { // y grid with labels
        const double y = y0 + (y1 - y0) * i / 4;
        svg += QStringLiteral("<line x1='%1' x2='%2' y1='%3' y2='%3' stroke='#eee'/>"
                              "<text x='%4' y='%5' font-size='11' text-anchor='end'>%6</text>")
                   .arg(left).arg(W - right).arg(sy(y)).arg(left - 4).arg(sy(y) + 4).arg(num(y, 3));
    }
    svg += QStringLiteral("<text x='%1' y='%2' font-size='11' text-anchor='start'>%3</text>"
                          "<text x='%4' y='%2' font-size='11' text-anchor='end'>step %5</text>")
               .arg(left).arg(H - bottom + 16).arg(num(x0, 6)).arg(W - right).arg(num(x1, 6));
    double legendX = left + 8;
    for (const ChartSeries& s : series) {
        if (s.points.isEmpty())
            continue;
        QStringList coords;
        for (const QPointF& p : s.points)
            coords << QStringLiteral("%1,%2").arg(sx(p.x()), 0, 'f', 1).arg(sy(std::clamp(p.y(), y0, y1)), 0, 'f', 1);
        svg += QStringLiteral("<polyline fill='none' stroke='%1' stroke-width='1.6'%2 points='%3'/>")
                   .arg(esc(s.colour), s.dashed ? QStringLiteral(" stroke-dasharray='5,3'") : QString(),
                        coords.join(QLatin1Char(' ')));
        svg += QStringLiteral("<rect x='%1' y='%2' width='12' height='3' fill='%3'/>"
                              "<text x='%4' y='%5' font-size='11'>%6</text>")
                   .arg(legendX).arg(H - 10).arg(esc(s.colour)).arg(legendX + 16).arg(H - 6).arg(esc(s.name));
        legendX += 24 + 7 * s.name.size();
    }
    return svg + QStringLiteral("</svg>");
}

QString runReportHtml(const RunReportInput& in)
{
    const RunRecord& r = in.run;
    QString html = QStringLiteral(
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Run %1 — %2</title><style>"
        "body{font-family:sans-serif;max-width:760px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:.5em 0}th,td{padding:3px 8px;text-align:left}"
        ".grid td,.grid th{border:1px solid #ccc}.kv th{color:#555;font-weight:normal}"
        ".diag{background:#e3f1e3}.error{color:#b00020}</style></head><body>")
                       .arg(r.id).arg(esc(in.projectName));
    html += QStringLiteral("<h1>Training run %1</h1><p>Project <b>%2</b></p>").arg(r.id).arg(esc(in.projectName));
    QList<std::pair<QString, QString>> facts = {
        {QStringLiteral("Status"), esc(r.status)},
        {QStringLiteral("Started"), esc(r.createdAt)},
        {QStringLiteral("Task (label column)"), esc(r.task)},
        {QStringLiteral("Model"), esc(r.modelDir)},
        {QStringLiteral("Method"), esc(r.method)},
        {QStringLiteral("Seed"), QString::number(r.seed)},
        {QStringLiteral("Training time"), QStringLiteral("%1 s").arg(r.trainSeconds, 0, 'f', 1)}};
    if (r.bestStep >= 0)
        facts << std::pair{QStringLiteral("Best validation score"),
                           QStringLiteral("%1 at step %2").arg(num(r.bestMetric)).arg(r.bestStep)};
    for (const QString& split : {QStringLiteral("train"), QStringLiteral("val"), QStringLiteral("test")})
        if (r.snapshot.contains(split))
            facts << std::pair{QStringLiteral("Rows in %1").arg(split),
                               QString::number(r.snapshot.value(split).toArray().size())};
    if (r.snapshot.contains(QLatin1String("hash")))
        facts << std::pair{QStringLiteral("Data snapshot (SHA-256)"),
                           QStringLiteral("<code>%1</code>").arg(esc(r.snapshot.value(QLatin1String("hash")).toString()))};
    html += keyValueTable(facts);
    if (!r.error.isEmpty())
        html += QStringLiteral("<p class='error'>%1</p>").arg(esc(r.error));

    html += QStringLiteral("<h2>Curves</h2>");
    html += svgLineChart(QStringLiteral("Loss"),
                         {{QStringLiteral("train loss"), QStringLiteral("#1f77b4"), curve(in.metrics, QStringLiteral("train"), QStringLiteral("loss")), false},
                          {QStringLiteral("validation loss"), QStringLiteral("#d62728"), curve(in.metrics, QStringLiteral("val"), QStringLiteral("loss")), true}},
                         0);
    html += svgLineChart(QStringLiteral("Validation scores"),
                         {{QStringLiteral("accuracy"), QStringLiteral("#2ca02c"), curve(in.metrics, QStringLiteral("val"), QStringLiteral("accuracy")), false},
                          {QStringLiteral("macro F1"), QStringLiteral("#9467bd"), curve(in.metrics, QStringLiteral("val"), QStringLiteral("macro_f1")), true}},
                         0, 1);
    if (in.evaluation.total > 0)
        html += evaluationSection(in.evaluation, in.evaluationSplit);

    html += QStringLiteral("<h2>Hyperparameters</h2>");
    QList<std::pair<QString, QString>> hp;
    for (auto it = r.hyperparameters.begin(); it != r.hyperparameters.end(); ++it)
        hp << std::pair{it.key(), esc(it.value().toVariant().toString())};
    html += keyValueTable(hp);
    if (!r.software.isEmpty())
        html += QStringLiteral("<h2>Software</h2><pre>%1</pre>")
                    .arg(esc(QString::fromUtf8(QJsonDocument(r.software).toJson(QJsonDocument::Indented))));
    return html + QStringLiteral("<p style='color:#888'>Written by Finetune Studio %1.</p></body></html>")
                      .arg(QStringLiteral(FTS_VERSION));
}

} // namespace fts
