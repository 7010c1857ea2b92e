#include "ChartExport.h"

#include "io/AtomicWrite.h"
#include "Error.h"
#include "data/CsvField.h"

#include <QFileDialog>
#include <QMenu>
#include <QSvgGenerator>

#include <qcustomplot.h>

namespace fts {
namespace {

// Asks for a file name with the given extension and adds it when the user left it out.
QString askFile(QWidget* parent, const QString& title, const QString& suggested, const QString& filter,
                const QString& extension)
{
    QString f = QFileDialog::getSaveFileName(parent, title, suggested, filter);
    if (!f.isEmpty() && !f.endsWith(extension, Qt::CaseInsensitive))
        f += extension;
    return f;
}

} // namespace

bool saveChartSvg(QCustomPlot* plot, const QString& file)
{
    QSvgGenerator svg;
    svg.setFileName(file);
    svg.setSize(plot->size());
    svg.setViewBox(QRect(QPoint(0, 0), plot->size()));
    svg.setTitle(plot->objectName());
    QCPPainter painter;
    if (!painter.begin(&svg))
        return false;
    plot->toPainter(&painter, plot->width(), plot->height());
    return painter.end();
}

QByteArray plottablesCsv(QCustomPlot* plot)
{
    QByteArray csv = "series,x,y\n";
    for (int i = 0; i < plot->plottableCount(); ++i) {
        QCPAbstractPlottable* p = plot->plottable(i);
        const QString name = csvField(p->name().isEmpty() ? QStringLiteral("series %1").arg(i + 1) : p->name(),
                                      true);
        const auto rows = [&](const auto& data) {
            for (auto it = data->constBegin(); it != data->constEnd(); ++it)
                csv += QStringLiteral("%1,%2,%3\n").arg(name).arg(it->key, 0, 'g', 10).arg(it->value, 0, 'g', 10).toUtf8();
        };
        if (auto* g = qobject_cast<QCPGraph*>(p))
            rows(g->data());
        else if (auto* b = qobject_cast<QCPBars*>(p))
            rows(b->data());
    }
    return csv;
}

bool saveChartCsv(const QByteArray& csv, const QString& file)
{
    try {
        writeFileAtomically(file, [&csv](QIODevice& d) { d.write(csv); });
        return true;
    } catch (const Error&) {
        return false;
    }
}

QMenu* chartExportMenu(QCustomPlot* plot, const QString& baseName, const ChartCsv& csv, QWidget* parent)
{
    auto* menu = new QMenu(parent);
    QObject::connect(menu->addAction(QObject::tr("Save as PNG…")), &QAction::triggered, plot, [=] {
        const QString f = askFile(plot, QObject::tr("Save chart"), baseName + QStringLiteral(".png"),
                                  QObject::tr("PNG image (*.png)"), QStringLiteral(".png"));
        if (!f.isEmpty())
            plot->savePng(f, 0, 0, 2.0);
    });
    QObject::connect(menu->addAction(QObject::tr("Save as SVG…")), &QAction::triggered, plot, [=] {
        const QString f = askFile(plot, QObject::tr("Save chart"), baseName + QStringLiteral(".svg"),
                                  QObject::tr("SVG image (*.svg)"), QStringLiteral(".svg"));
        if (!f.isEmpty())
            saveChartSvg(plot, f);
    });
    QObject::connect(menu->addAction(QObject::tr("Save as PDF…")), &QAction::triggered, plot, [=] {
        const QString f = askFile(plot, QObject::tr("Save chart"), baseName + QStringLiteral(".pdf"),
                                  QObject::tr("PDF (*.pdf)"), QStringLiteral(".pdf"));
        if (!f.isEmpty())
            plot->savePdf(f);
    });
    QObject::connect(menu->addAction(QObject::tr("Save data as CSV…")), &QAction::triggered, plot, [=] {
        const QString f = askFile(plot, QObject::tr("Save chart data"), baseName + QStringLiteral(".csv"),
                                  QObject::tr("CSV (*.csv)"), QStringLiteral(".csv"));
        if (!f.isEmpty())
            saveChartCsv(csv ? csv() : plottablesCsv(plot), f);
    });
    return menu;
}

void addChartExportMenu(QCustomPlot* plot, const QString& baseName, ChartCsv csv)
{
    plot->setContextMenuPolicy(Qt::CustomContextMenu);
    QObject::connect(plot, &QWidget::customContextMenuRequested, plot, [plot, baseName, csv](const QPoint& pos) {
        QMenu* menu = chartExportMenu(plot, baseName, csv, plot);
        menu->setAttribute(Qt::WA_DeleteOnClose);
        menu->popup(plot->mapToGlobal(pos));
    });
    if (plot->toolTip().isEmpty())
        plot->setToolTip(QObject::tr("Right-click to save the chart (PNG, SVG, PDF) or its data (CSV)"));
}

} // namespace fts
