// The report library: curve thinning, the charts drawn as images, run and comparison reports as
// HTML (PNG inlined) and PDF. In the GUI executable because drawing text needs a QGuiApplication.
#include "Suite.h"
#include "Error.h"
#include "report/CurveDecimation.h"
#include "report/ReportCharts.h"
#include "report/RunReport.h"
#include "ChartExport.h"
#include "ConfusionMatrixWidget.h"
#include "TrainingChart.h"

#include "TestUtil.h"

#include <QBuffer>
#include <QJsonArray>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <qcustomplot.h>

#include <random>

using namespace fts;

class TestReport : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void decimationKeepsShapeAndSpikes();
    void trainingChartThinsLongCurves();
    void chartsSaveAsSvgAndCsv();
    void lineChartDrawsWhereTheDataIs();
    void reliabilityChartBars();
    void runReportHasEverySection();
    void comparisonShowsOnlyDifferingSettings();
    void pdfOpens();

private:
    static RunReportInput sampleRun(qint64 id, double lr);
    QTemporaryDir m_dir;
};

namespace {

QList<QPointF> noisyCurve(int n, quint32 seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<double> noise(0, 0.05);
    QList<QPointF> out;
    for (int i = 0; i < n; ++i)
        out << QPointF(i, 2.0 * std::exp(-i / double(n) * 4) + noise(rng));
    return out;
}

// Whether a pixel has clearly more of one colour channel than white paper would.
bool reddish(QRgb c)
{
    return qRed(c) > 150 && qGreen(c) < 140 && qBlue(c) < 140;
}

} // namespace

void TestReport::decimationKeepsShapeAndSpikes()
{
    QList<QPointF> curve = noisyCurve(100000, 1);
    curve[54321].setY(9.0); // one spike must survive thinning
    curve[77777].setY(-3.0);
    const QList<QPointF> thin = decimateCurve(curve, 500);
    QVERIFY2(thin.size() <= 4 * 500 && thin.size() >= 2 * 500, qPrintable(QString::number(thin.size())));
    QCOMPARE(thin.first(), curve.first());
    QCOMPARE(thin.last(), curve.last());
    QVERIFY(thin.contains(curve[54321]) && thin.contains(curve[77777]));
    for (qsizetype i = 1; i < thin.size(); ++i)
        QVERIFY(thin[i].x() > thin[i - 1].x()); // x order, no point twice
    // Each column's lowest and highest point is kept: the thinned curve's extremes per column equal
    // the raw ones (column width 200 steps).
    for (int column : {0, 123, 499}) {
        double rawLow = INFINITY, rawHigh = -INFINITY, thinLow = INFINITY, thinHigh = -INFINITY;
        const double width = (curve.last().x() - curve.first().x()) / 500;
        for (const QPointF& p : curve)
            if (std::min<qint64>(qint64(p.x() / width), 499) == column) {
                rawLow = std::min(rawLow, p.y());
                rawHigh = std::max(rawHigh, p.y());
            }
        for (const QPointF& p : thin)
            if (std::min<qint64>(qint64(p.x() / width), 499) == column) {
                thinLow = std::min(thinLow, p.y());
                thinHigh = std::max(thinHigh, p.y());
            }
        QCOMPARE(thinLow, rawLow);
        QCOMPARE(thinHigh, rawHigh);
    }
    const QList<QPointF> shortCurve = noisyCurve(300, 2);
    QCOMPARE(decimateCurve(shortCurve, 500), shortCurve); // short curves are left alone
}

// The Train page's chart keeps every point (values, CSV) but draws a few per pixel column of the
// visible range; zoomed in, every step shows again.
void TestReport::trainingChartThinsLongCurves()
{
    TrainingChart chart;
    chart.resize(900, 300);
    chart.show();
    const int steps = 100000;
    for (int i = 1; i <= steps; ++i)
        chart.addPoint(1, "run", {i, 0, "train", "loss", 1.0 / std::sqrt(double(i)) + 0.1 * std::sin(i * 0.37)});
    chart.redrawNow();
    QCPGraph* raw = chart.plot()->graph(0); // the first curve made: the raw train loss
    QVERIFY(raw->name().endsWith("train loss"));
    const int width = chart.plot()->axisRect()->width();
    QVERIFY2(raw->data()->size() <= 4 * std::max(200, width) + 4 && raw->data()->size() > 200,
             qPrintable(QString::number(raw->data()->size())));
    QCOMPARE(chart.values(1, "train", "loss").size(), steps);
    QCOMPARE(chart.values(1, "train", "loss_smoothed").size(), steps);
    QCOMPARE(chart.plot()->xAxis->range().lower, 1.0);
    QCOMPARE(chart.plot()->xAxis->range().upper, double(steps));
    const QString csv = m_dir.filePath("chart.csv");
    QVERIFY(chart.saveCsv(csv));
    QFile f(csv);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll().count('\n'), 1 + 2 * steps); // header, raw and smoothed: every point
    // Zoomed into 200 steps (as the wheel does), the visible range is drawn point for point.
    chart.plot()->xAxis->setRange(50000, 50200);
    QTRY_COMPARE_WITH_TIMEOUT(raw->data()->size(), 203, 2000); // 201 steps and one beyond each edge
    QCOMPARE(raw->data()->at(1)->key, 50000.0);
    QCOMPARE(raw->data()->at(1)->value, chart.values(1, "train", "loss")[49999]);
    // New points do not pull a zoomed view away; a double-click shows the whole run again.
    chart.addPoint(1, "run", {steps + 1, 0, "train", "loss", 0.5});
    QTest::qWait(400);
    QCOMPARE(chart.plot()->xAxis->range().lower, 50000.0);
    QTest::mouseDClick(chart.plot(), Qt::LeftButton, {}, QPoint(300, 150));
    QTRY_COMPARE_WITH_TIMEOUT(chart.plot()->xAxis->range().upper, double(steps + 1), 2000);
    QVERIFY(raw->data()->size() <= 4 * std::max(200, width) + 4);
}

// Every chart's right-click menu saves PNG, SVG, PDF and CSV; the SVG holds the drawing, the CSV
// the data (all of it where the chart draws thinned curves).
void TestReport::chartsSaveAsSvgAndCsv()
{
    TrainingChart chart;
    chart.resize(600, 300);
    chart.show();
    for (int i = 1; i <= 5000; ++i)
        chart.addPoint(1, "run", {i, 0, "train", "loss", 1.0 / i});
    chart.redrawNow();
    QMenu* menu = chartExportMenu(chart.plot(), "training", [&] { return chart.csv(); }, &chart);
    QStringList actions;
    for (QAction* a : menu->actions())
        actions << a->text();
    QCOMPARE(actions, QStringList({"Save as PNG…", "Save as SVG…", "Save as PDF…", "Save data as CSV…"}));
    QCOMPARE(chart.plot()->contextMenuPolicy(), Qt::CustomContextMenu);
    const QString svg = m_dir.filePath("chart.svg");
    QVERIFY(saveChartSvg(chart.plot(), svg));
    QFile f(svg);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray text = f.readAll();
    QVERIFY(text.contains("<svg") && text.contains("</svg>"));
    QVERIFY(text.contains("<path") || text.contains("<polyline"));
    QVERIFY(text.contains("optimizer step")); // the axis label is in the drawing
    QCOMPARE(chart.csv().count('\n'), 1 + 2 * 5000); // raw and smoothed, every step
    QVERIFY(!saveChartSvg(chart.plot(), m_dir.filePath("no/such/dir/chart.svg")));

    // The default CSV lists what each series draws.
    QCustomPlot plot;
    QCPGraph* g = plot.addGraph();
    g->setName("a \"quoted\" curve");
    g->setData({1, 2}, {0.5, 0.25});
    auto* bars = new QCPBars(plot.xAxis, plot.yAxis);
    bars->setName("bars");
    bars->setData({0}, {3});
    QCOMPARE(plottablesCsv(&plot), QByteArray("series,x,y\n\"a \"\"quoted\"\" curve\",1,0.5\n"
                                              "\"a \"\"quoted\"\" curve\",2,0.25\n\"bars\",0,3\n"));
    QVERIFY(saveChartCsv(plottablesCsv(&plot), m_dir.filePath("plot.csv")));
    QVERIFY(!saveChartCsv("x", m_dir.filePath("no/such/dir/plot.csv")));
}

void TestReport::lineChartDrawsWhereTheDataIs()
{
    const QImage image = lineChartImage("Loss", "step", {{"loss", QColor(220, 0, 0), {{0, 1.0}, {20, 0.0}}, false}}, 0, 1);
    QCOMPARE(image.size(), QSize(2 * kReportChartWidth, 2 * kReportChartHeight));
    // On the line (halfway) the pixel is red; well off it, white paper.
    const QPointF mid = lineChartPosition(10, 0.5, 0, 20, 0, 1) * 2;
    QVERIFY2(reddish(image.pixel(mid.toPoint())), qPrintable(QColor(image.pixel(mid.toPoint())).name()));
    const QPointF off = lineChartPosition(15, 0.9, 0, 20, 0, 1) * 2;
    QCOMPARE(QColor(image.pixel(off.toPoint())), QColor(Qt::white));
    // The corners of the data map to the plot's corners.
    QCOMPARE(lineChartPosition(0, 1, 0, 20, 0, 1), QPointF(56, 28));
    QCOMPARE(lineChartPosition(20, 0, 0, 20, 0, 1), QPointF(624, 220));

    const QImage empty = lineChartImage("Nothing", "step", {});
    int ink = 0;
    for (int y = 0; y < empty.height(); y += 2)
        for (int x = 0; x < empty.width(); x += 2)
            ink += empty.pixel(x, y) != qRgb(255, 255, 255);
    QVERIFY(ink > 0 && ink < 2000); // the title and "no data" only
}

void TestReport::reliabilityChartBars()
{
    CalibrationBin sure{0.9, 1.0, 20, 0.95, 1.0};
    CalibrationBin empty{0.0, 0.1, 0, 0, 0};
    const QImage image = reliabilityChartImage({empty, sure}, 0.05);
    const auto blue = [&](double x, double y) {
        const QRgb c = image.pixel((lineChartPosition(x, y, 0, 1, 0, 1) * 2).toPoint());
        return qBlue(c) > 150 && qRed(c) < 150;
    };
    QVERIFY(blue(0.95, 0.5));  // the bar of the sure bin reaches to 1.0
    QVERIFY(blue(0.95, 0.97));
    QVERIFY(!blue(0.05, 0.02)); // an empty bin draws no bar
    QVERIFY(!blue(0.5, 0.8));
}

RunReportInput TestReport::sampleRun(qint64 id, double lr)
{
    RunReportInput in;
    in.projectName = "Reviews <2026>";
    in.run.id = id;
    in.run.status = "finished";
    in.run.method = "lora";
    in.run.modelDir = "/models/starter-encoder";
    in.run.task = "label";
    in.run.bestStep = 20;
    in.run.bestMetric = 0.875;
    in.run.hyperparameters = {{"lr", lr}, {"epochs", 3}};
    in.run.snapshot = {{"hash", "abc123"}, {"train", QJsonArray{1, 2, 3}}, {"val", QJsonArray{4}}};
    in.run.software = {{"libtorch", "1.13"}};
    in.metrics = {{0, 0, "train", "loss", 1.0}, {10, 0.5, "train", "loss", 0.5},
                  {20, 1, "train", "loss", 0.25}, {20, 1, "val", "accuracy", 0.875},
                  {20, 1, "val", "macro_f1", 0.8}};
    in.evaluation.split = "test";
    const QStringList texts = {"fine <b>food</b>", "bad", "great", "awful service"};
    const std::vector<int> truth = {0, 0, 1, 1}, predicted = {0, 1, 1, 0};
    const std::vector<std::vector<double>> probs = {{0.9, 0.1}, {0.4, 0.6}, {0.2, 0.8}, {0.95, 0.05}};
    for (int i = 0; i < 4; ++i)
        in.evaluation.rows << RowPrediction{100 + i, texts[i], truth[size_t(i)], predicted[size_t(i)], probs[size_t(i)]};
    in.evaluation.report = classificationReport({"neg", "pos"}, truth, predicted, probs);
    return in;
}

void TestReport::runReportHasEverySection()
{
    const ReportDocument doc = runReport(sampleRun(7, 0.0005));
    const QString html = reportHtml(doc);
    QVERIFY(html.startsWith("<!DOCTYPE html>"));
    for (const char* section : {"<h2>Data</h2>", "<h2>Model and method</h2>", "<h2>Hyperparameters</h2>",
                                "<h2>Curves</h2>", "<h2>Metrics on the test split (4 rows)</h2>",
                                "<h3>Per class</h3>", "<h2>Confusion matrix</h2>", "<h2>Calibration</h2>",
                                "<h2>Top errors</h2>", "<h2>Software</h2>"})
        QVERIFY2(html.contains(section), section);
    QVERIFY(html.contains("Reviews &lt;2026&gt;")); // escaped, never raw markup
    QVERIFY(!html.contains("<2026>") && !html.contains("<b>food</b>"));
    QVERIFY(html.contains("0.875 at step 20"));
    QVERIFY(html.contains("<th align='left'>Rows in train</th><td>3</td>"));
    QVERIFY(html.contains("<th align='left'>Accuracy</th><td>0.5</td>"));
    QVERIFY(!html.contains("<script"));
    // Three charts (loss, scores, calibration), each an inline PNG that decodes to the chart size.
    static const QRegularExpression png("src='data:image/png;base64,([A-Za-z0-9+/=]+)'");
    int images = 0;
    for (auto it = png.globalMatch(html); it.hasNext(); ++images) {
        const QImage decoded = QImage::fromData(QByteArray::fromBase64(it.next().captured(1).toLatin1()), "PNG");
        QCOMPARE(decoded.size(), QSize(2 * kReportChartWidth, 2 * kReportChartHeight));
    }
    QCOMPARE(images, 3);
    QCOMPARE(doc.images.size(), 3);
    // Confusion [true][pred] = neg: 1 1 / pos: 1 1; the errors, surest first: row 103 (0.95), then 101.
    QVERIFY(html.contains("<tr><th>neg</th><td align='right'"));
    const qsizetype first = html.indexOf("<td>103</td>"), second = html.indexOf("<td>101</td>");
    QVERIFY(first > 0 && second > first);
    QVERIFY(!html.contains("<td>100</td>")); // correct rows are not errors
    QVERIFY(html.contains("<td>0.95</td>"));
    QVERIFY(html.contains("2 of 4 rows misclassified"));

    // Without an evaluation the report still has the run's own facts and curves.
    RunReportInput bare = sampleRun(8, 0.001);
    bare.evaluation = Evaluation();
    const QString plain = reportHtml(runReport(bare));
    QVERIFY(plain.contains("<h2>Curves</h2>") && !plain.contains("Top errors"));
}

void TestReport::comparisonShowsOnlyDifferingSettings()
{
    RunReportInput b = sampleRun(9, 0.002);
    b.evaluation = Evaluation(); // one run not evaluated
    const QString html = reportHtml(comparisonReport("P", {sampleRun(7, 0.0005), b}));
    QVERIFY(html.contains("<h1>Comparison of runs 7, 9</h1>"));
    for (const char* section : {"<h2>Runs and scores</h2>", "<h2>Metrics</h2>",
                                "<h2>Hyperparameters that differ</h2>", "<h2>Curves</h2>",
                                "<h1>Run 7 in detail</h1>", "<h2>Top errors</h2>"})
        QVERIFY2(html.contains(section), section);
    QVERIFY(!html.contains("<h1>Run 9 in detail</h1>"));
    QVERIFY(html.contains("<tr><td>9</td><td colspan='7'>not evaluated</td></tr>"));
    // lr differs (run 9's value highlighted), epochs does not and is left out.
    QVERIFY2(html.contains("<tr><th align='left'>lr</th><td>0.0005</td><td class='differs' bgcolor='#fff2a8'><b>0.002</b></td></tr>"),
             qPrintable(html.mid(html.indexOf("differ"), 600)));
    QVERIFY(!html.contains("<th align='left'>epochs</th>"));
    QVERIFY(html.contains("<td>lora</td>") && html.contains("<td>starter-encoder</td>"));
    QVERIFY(test::errorOf([] { comparisonReport("P", {sampleRun(1, 0.1)}); }).contains("2 to 6 runs"));
    QList<RunReportInput> seven;
    for (int i = 0; i < 7; ++i)
        seven << sampleRun(i + 1, 0.1);
    QVERIFY(test::errorOf([&] { comparisonReport("P", seven); }).contains("2 to 6 runs"));
}

void TestReport::pdfOpens()
{
    QVERIFY(m_dir.isValid());
    const QString pdf = m_dir.filePath("run.pdf");
    writeReport(runReport(sampleRun(7, 0.0005)), pdf);
    QFile f(pdf);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(f.read(5) == "%PDF-");
    QVERIFY(test::renderPdfFirstPage(pdf, m_dir.filePath("page1")));
    const QImage page = QImage(m_dir.filePath("page1.png"));
    QVERIFY(!page.isNull() && page.height() > page.width()); // A4 portrait
    int ink = 0;
    for (int y = 0; y < page.height(); ++y)
        for (int x = 0; x < page.width(); ++x)
            ink += qGray(page.pixel(x, y)) < 128;
    QVERIFY2(ink > 500, qPrintable(QString::number(ink))); // text and chart lines, not a blank page
    // The HTML variant goes by the file name; a folder that does not exist is a clear error.
    writeReport(runReport(sampleRun(7, 0.0005)), m_dir.filePath("run.html"));
    QFile html(m_dir.filePath("run.html"));
    QVERIFY(html.open(QIODevice::ReadOnly) && html.read(15) == "<!DOCTYPE html>");
    QVERIFY(!test::errorOf([&] { writeReport(runReport(sampleRun(7, 0.0005)), m_dir.filePath("no/such/dir/r.pdf")); }).isEmpty());
}

FTS_TEST_SUITE(TestReport)
#include "tst_gui_report.moc"
