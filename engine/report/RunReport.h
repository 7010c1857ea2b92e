// Reports of a run, or of several runs side by side: what was trained, on what data, with which
// settings, how the curves went and how it scored (metrics, confusion matrix, calibration, top
// errors). Written as one self-contained HTML file (charts embedded as PNG, no scripts, nothing
// external) or as a PDF, for sharing with people who do not have the studio and for lab hand-ins.
// Needs a QGuiApplication (the charts are drawn with fonts).
#pragma once

#include "train/Evaluation.h"
#include "train/RunStore.h"

#include <QImage>

namespace fts {

struct ReportDocument
{
    QString title;
    QString body; // HTML; images as <img src='NAME'>, NAME a key of `images`
    QList<std::pair<QString, QImage>> images;
};

struct RunReportInput
{
    QString projectName;
    RunRecord run;
    QList<MetricPoint> metrics;
    // Optional: the run evaluated on a split, with every row's prediction (for the top errors);
    // skipped when evaluation.report.total is 0.
    Evaluation evaluation;
    // A multi-task run: one evaluation per task (Evaluation::task names it), each with its own
    // sections; `evaluation` is then not used.
    QList<Evaluation> taskEvaluations;
    int topErrors = 10; // misclassified rows listed, most confident first
};

ReportDocument runReport(const RunReportInput& input);

// Two to six runs: their facts and scores in one table, their curves overlaid, and only the
// hyperparameters that differ (each value that differs from the first run's highlighted).
// Throws fts::Error for fewer than two or more than six runs.
ReportDocument comparisonReport(const QString& projectName, const QList<RunReportInput>& runs);

// The document as one HTML file, the images inlined as PNG data.
QString reportHtml(const ReportDocument& document);

// Writes `document` to `file` atomically: PDF when the name ends in .pdf, HTML otherwise.
// Throws fts::Error when the file cannot be written.
void writeReport(const ReportDocument& document, const QString& file);

} // namespace fts
