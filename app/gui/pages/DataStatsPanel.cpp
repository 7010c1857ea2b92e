// Aggregates are computed by SQLite (GROUP BY), so the panel stays fast on a million rows.
#include "DataStatsPanel.h"
#include "ChartExport.h"

#include "project/Project.h"

#include <QLabel>
#include <QRegularExpression>
#include <QSet>
#include <QVBoxLayout>
#include <qcustomplot.h>

namespace fts {
namespace {
// A class this many times rarer than the most frequent one gets a warning and a suggestion.
constexpr double kImbalanceRatio = 3.0;
constexpr int kLengthBins = 30;
constexpr int kVocabularySample = 50000;
const QList<QColor> kPalette = {QColor(0x4C, 0x72, 0xB0), QColor(0xDD, 0x84, 0x52), QColor(0x55, 0xA8, 0x68),
                                QColor(0xC4, 0x4E, 0x52), QColor(0x81, 0x72, 0xB3), QColor(0x93, 0x78, 0x60)};

QCustomPlot* makePlot(QWidget* parent, const QString& title)
{
    auto* plot = new QCustomPlot(parent);
    plot->setMinimumHeight(200);
    plot->plotLayout()->insertRow(0);
    plot->plotLayout()->addElement(0, 0, new QCPTextElement(plot, title, QFont(parent->font().family(), 10, QFont::Bold)));
    plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    addChartExportMenu(plot, title.toLower().replace(QLatin1Char(' '), QLatin1Char('-')));
    return plot;
}
} // namespace

DataStatsPanel::DataStatsPanel(QWidget* parent)
    : QWidget(parent), m_labels(makePlot(this, tr("Labels per split"))),
      m_lengths(makePlot(this, tr("Text length (characters)"))), m_facts(new QLabel(this)), m_warning(new QLabel(this))
{
    setObjectName(QStringLiteral("dataStats"));
    m_labels->setObjectName(QStringLiteral("labelChart"));
    m_lengths->setObjectName(QStringLiteral("lengthChart"));
    m_warning->setObjectName(QStringLiteral("imbalanceWarning"));
    m_warning->setWordWrap(true);
    m_warning->setStyleSheet(QStringLiteral("color: #8a5a00"));
    m_facts->setWordWrap(true);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_facts);
    layout->addWidget(m_warning);
    layout->addWidget(m_labels, 1);
    layout->addWidget(m_lengths, 1);
}

QString DataStatsPanel::factsText() const
{
    return m_facts->text();
}

QString DataStatsPanel::warningText() const
{
    return m_warning->text();
}

void DataStatsPanel::refresh(Project* project)
{
    m_labels->clearPlottables();
    m_lengths->clearPlottables();
    m_warning->clear();
    m_facts->clear();
    if (project) {
        drawLabels(*project);
        drawLengths(*project);
        SqlQuery q(project->db(), QStringLiteral(
            "SELECT COUNT(*), COUNT(DISTINCT lower(trim(text))), SUM(synthetic_of IS NOT NULL) FROM rows "
            "WHERE removed_by_step IS NULL"));
        q.exec("count rows");
        QString facts;
        if (q.next())
            facts = tr("%1 rows, %2 exact duplicates (ignoring case), %3 synthetic (augmented).")
                        .arg(q.value(0).toLongLong())
                        .arg(q.value(0).toLongLong() - q.value(1).toLongLong())
                        .arg(q.value(2).toLongLong());
        // Vocabulary: distinct lower-case words, over at most kVocabularySample rows to stay instant.
        SqlQuery texts(project->db(), QStringLiteral("SELECT text FROM rows WHERE removed_by_step IS NULL LIMIT ?"));
        texts.bind(kVocabularySample).exec("read texts");
        static const QRegularExpression nonWord(QStringLiteral("[^\\p{L}\\p{N}']+"));
        QSet<QString> words;
        qint64 sampled = 0;
        while (texts.next()) {
            ++sampled;
            for (const QString& w : texts.value(0).toString().toLower().split(nonWord, Qt::SkipEmptyParts))
                words.insert(w);
        }
        facts += tr(" Vocabulary: %1 distinct words%2.").arg(words.size())
                     .arg(sampled >= kVocabularySample ? tr(" in the first %1 rows").arg(kVocabularySample) : QString());
        m_facts->setText(facts);
    }
    m_labels->replot();
    m_lengths->replot();
}

void DataStatsPanel::drawLabels(Project& project)
{
    const QStringList tasks = project.tasks();
    if (tasks.isEmpty())
        return;
    const QString task = tasks.first();
    const QStringList allSplits = {QStringLiteral("train"), QStringLiteral("val"), QStringLiteral("test"), QString()};
    const QStringList allNames = {tr("train"), tr("val"), tr("test"), tr("none")};
    QMap<QString, QMap<QString, double>> counts; // label -> split -> rows
    QMap<QString, double> totals;
    QSet<QString> present;
    SqlQuery q(project.db(), QStringLiteral("SELECT l.value, COALESCE(r.split, ''), COUNT(*) FROM gold_labels l JOIN rows r "
                                            "ON r.id = l.row_id WHERE l.task = ? AND "
                                            "r.removed_by_step IS NULL GROUP BY 1, 2"));
    q.bind(task).exec("count labels");
    while (q.next()) {
        counts[q.value(0).toString()][q.value(1).toString()] = q.value(2).toDouble();
        totals[q.value(0).toString()] += q.value(2).toDouble();
        present.insert(q.value(1).toString());
    }
    // Only the splits that hold rows, so the bars stay wide in a narrow panel.
    QStringList splits, names;
    for (int s = 0; s < allSplits.size(); ++s)
        if (present.contains(allSplits[s])) {
            splits << allSplits[s];
            names << allNames[s];
        }
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    for (int s = 0; s < splits.size(); ++s)
        ticker->addTick(s + 1, names[s]);
    m_labels->xAxis->setTicker(ticker);
    m_labels->yAxis->setLabel(tr("rows"));
    m_labels->legend->setVisible(true);
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    m_labels->legend->setFont(small);
    m_labels->legend->setBrush(QColor(255, 255, 255, 200));
    m_labels->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    QCPBars* below = nullptr;
    double maxStack = 0;
    QVector<double> stack(splits.size(), 0);
    int colour = 0;
    for (auto it = counts.begin(); it != counts.end(); ++it) {
        auto* bars = new QCPBars(m_labels->xAxis, m_labels->yAxis);
        bars->setName(it.key());
        bars->setBrush(kPalette[colour++ % kPalette.size()]);
        bars->setPen(Qt::NoPen);
        QVector<double> keys, values;
        for (int s = 0; s < splits.size(); ++s) {
            keys << s + 1;
            values << it.value().value(splits[s]);
            stack[s] += values.last();
            maxStack = std::max(maxStack, stack[s]);
        }
        bars->setData(keys, values);
        if (below)
            bars->moveAbove(below);
        below = bars;
    }
    m_labels->xAxis->setRange(0.4, splits.size() + 0.6);
    m_labels->yAxis->setRange(0, maxStack * 1.1 + 1);
    if (totals.size() >= 2) {
        const auto [minIt, maxIt] = std::minmax_element(totals.begin(), totals.end());
        if (*minIt > 0 && *maxIt / *minIt >= kImbalanceRatio)
            m_warning->setText(tr("The labels are imbalanced: '%1' has %2 rows, '%3' only %4. Consider class "
                                  "weights when training (or label more '%3' rows), and judge the model by "
                                  "macro F1 rather than accuracy.")
                                   .arg(totals.key(*maxIt)).arg(*maxIt).arg(totals.key(*minIt)).arg(*minIt));
    }
}

void DataStatsPanel::drawLengths(Project& project)
{
    double maxLen = 0;
    {
        SqlQuery q(project.db(), QStringLiteral("SELECT MAX(length(text)) FROM rows WHERE removed_by_step IS NULL"));
        q.exec("measure texts");
        if (q.next())
            maxLen = q.value(0).toDouble();
    }
    if (maxLen <= 0)
        return;
    const double width = std::max(1.0, std::ceil(maxLen / kLengthBins));
    SqlQuery q(project.db(), QStringLiteral("SELECT CAST(length(text) / ? AS INTEGER), COUNT(*) FROM rows "
                                            "WHERE removed_by_step IS NULL GROUP BY 1"));
    q.bind(width).exec("measure texts");
    QVector<double> keys, values;
    double top = 0;
    while (q.next()) {
        keys << (q.value(0).toDouble() + 0.5) * width;
        values << q.value(1).toDouble();
        top = std::max(top, values.last());
    }
    auto* bars = new QCPBars(m_lengths->xAxis, m_lengths->yAxis);
    bars->setWidth(width * 0.9);
    bars->setBrush(kPalette[0]);
    bars->setPen(Qt::NoPen);
    bars->setData(keys, values);
    m_lengths->xAxis->setLabel(tr("characters"));
    m_lengths->xAxis->ticker()->setTickCount(4);
    m_lengths->yAxis->setLabel(tr("rows"));
    m_lengths->xAxis->setRange(0, (kLengthBins + 1) * width);
    m_lengths->yAxis->setRange(0, top * 1.1 + 1);
}

} // namespace fts
