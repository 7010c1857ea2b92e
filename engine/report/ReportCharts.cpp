#include "report/ReportCharts.h"

#include "report/CurveDecimation.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace fts {
namespace {

constexpr double kLeft = 56, kRight = 16, kTop = 28, kBottom = 40;
constexpr double kW = kReportChartWidth, kH = kReportChartHeight;

QString tick(double v)
{
    return QString::number(v, 'g', 3);
}

QImage canvas()
{
    QImage image(kReportChartWidth * 2, kReportChartHeight * 2, QImage::Format_ARGB32_Premultiplied);
    image.setDevicePixelRatio(2);
    image.fill(Qt::white);
    return image;
}

void drawTitle(QPainter& p, const QString& title)
{
    QFont f = p.font();
    f.setPixelSize(14);
    f.setBold(true);
    p.setFont(f);
    p.setPen(QColor(0x22, 0x22, 0x22));
    p.drawText(QPointF(kLeft, 18), title);
    f.setBold(false);
    f.setPixelSize(11);
    p.setFont(f);
}

// The plot frame with four horizontal grid lines labelled from y0 to y1.
void drawFrame(QPainter& p, double y0, double y1)
{
    const QRectF plot(kLeft, kTop, kW - kLeft - kRight, kH - kTop - kBottom);
    for (int i = 0; i <= 4; ++i) {
        const double y = y0 + (y1 - y0) * i / 4;
        const double py = lineChartPosition(0, y, 0, 1, y0, y1).y();
        p.setPen(QColor(0xee, 0xee, 0xee));
        p.drawLine(QPointF(kLeft, py), QPointF(kW - kRight, py));
        p.setPen(QColor(0x55, 0x55, 0x55));
        p.drawText(QRectF(0, py - 8, kLeft - 4, 16), Qt::AlignRight | Qt::AlignVCenter, tick(y));
    }
    p.setPen(QColor(0x99, 0x99, 0x99));
    p.setBrush(Qt::NoBrush);
    p.drawRect(plot);
}

} // namespace

QColor runColour(int index)
{
    static const QList<QColor> palette = {QColor(0x1f, 0x77, 0xb4), QColor(0xd6, 0x27, 0x28),
                                          QColor(0x2c, 0xa0, 0x2c), QColor(0x94, 0x67, 0xbd),
                                          QColor(0xff, 0x7f, 0x0e), QColor(0x8c, 0x56, 0x4b)};
    return palette[index % palette.size()];
}

QPointF lineChartPosition(double x, double y, double x0, double x1, double y0, double y1)
{
    return {kLeft + (x - x0) / (x1 - x0) * (kW - kLeft - kRight),
            kH - kBottom - (y - y0) / (y1 - y0) * (kH - kTop - kBottom)};
}

QImage lineChartImage(const QString& title, const QString& xLabel, const QList<ChartSeries>& series,
                      double yMin, double yMax)
{
    QImage image = canvas();
    QPainter p(&image);
    p.setRenderHint(QPainter::Antialiasing);
    drawTitle(p, title);
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (const ChartSeries& s : series)
        for (const QPointF& pt : s.points) {
            x0 = std::min(x0, pt.x());
            x1 = std::max(x1, pt.x());
            y0 = std::min(y0, pt.y());
            y1 = std::max(y1, pt.y());
        }
    if (!std::isfinite(x0)) {
        p.setPen(QColor(0x55, 0x55, 0x55));
        p.drawText(QRectF(0, 0, kW, kH), Qt::AlignCenter, QStringLiteral("no data"));
        return image;
    }
    if (!std::isnan(yMin))
        y0 = yMin;
    if (!std::isnan(yMax))
        y1 = yMax;
    if (x1 <= x0)
        x1 = x0 + 1;
    if (y1 <= y0)
        y1 = y0 + 1;
    drawFrame(p, y0, y1);
    p.setPen(QColor(0x55, 0x55, 0x55));
    p.drawText(QRectF(kLeft, kH - kBottom + 2, 200, 16), Qt::AlignLeft, tick(x0));
    p.drawText(QRectF(kW - kRight - 200, kH - kBottom + 2, 200, 16), Qt::AlignRight, tick(x1));
    p.drawText(QRectF(kLeft, kH - kBottom + 2, kW - kLeft - kRight, 16), Qt::AlignHCenter, xLabel);
    p.setClipRect(QRectF(kLeft, kTop, kW - kLeft - kRight, kH - kTop - kBottom));
    for (const ChartSeries& s : series) {
        if (s.points.isEmpty())
            continue;
        QPen pen(s.colour, 1.6);
        if (s.dashed)
            pen.setDashPattern({5, 3});
        p.setPen(pen);
        QPainterPath path;
        const QList<QPointF> shown = decimateCurve(s.points, int(kW));
        for (qsizetype i = 0; i < shown.size(); ++i) {
            const QPointF at = lineChartPosition(shown[i].x(), std::clamp(shown[i].y(), y0, y1), x0,
                                                 x1, y0, y1);
            if (i == 0)
                path.moveTo(at);
            else
                path.lineTo(at);
        }
        if (shown.size() == 1) // a lone evaluation still shows
            p.drawEllipse(path.currentPosition(), 2.5, 2.5);
        p.drawPath(path);
    }
    p.setClipping(false);
    double legendX = kLeft + 8;
    for (const ChartSeries& s : series) {
        if (s.points.isEmpty())
            continue;
        p.fillRect(QRectF(legendX, kH - 14, 12, 3), s.colour);
        p.setPen(QColor(0x22, 0x22, 0x22));
        p.drawText(QPointF(legendX + 16, kH - 8), s.name);
        legendX += 24 + p.fontMetrics().horizontalAdvance(s.name);
    }
    return image;
}

QImage reliabilityChartImage(const QList<CalibrationBin>& bins, double ece)
{
    QImage image = canvas();
    QPainter p(&image);
    p.setRenderHint(QPainter::Antialiasing);
    drawTitle(p, ece >= 0 ? QStringLiteral("Reliability (expected calibration error %1)")
                                .arg(ece, 0, 'f', 3)
                          : QStringLiteral("Reliability"));
    drawFrame(p, 0, 1);
    p.setPen(QColor(0x55, 0x55, 0x55));
    p.drawText(QRectF(kLeft, kH - kBottom + 2, kW - kLeft - kRight, 16), Qt::AlignHCenter,
               QStringLiteral("confidence of the predicted label"));
    p.drawText(QRectF(kLeft, kH - kBottom + 2, 40, 16), Qt::AlignLeft, QStringLiteral("0"));
    p.drawText(QRectF(kW - kRight - 40, kH - kBottom + 2, 40, 16), Qt::AlignRight,
               QStringLiteral("1"));
    for (const CalibrationBin& b : bins) {
        if (b.count == 0)
            continue;
        const QPointF topLeft = lineChartPosition(b.lower, b.accuracy, 0, 1, 0, 1);
        const QPointF bottomRight = lineChartPosition(b.upper, 0, 0, 1, 0, 1);
        const QRectF bar(topLeft + QPointF(1, 0), bottomRight - QPointF(1, 0));
        p.fillRect(bar, QColor(0x1f, 0x77, 0xb4, 170));
        // The count inside a tall bar's top (above it, it would run into the title), else above.
        const bool inside = bar.height() > 18;
        p.setPen(inside ? QColor(Qt::white) : QColor(0x22, 0x22, 0x22));
        p.drawText(QRectF(bar.left(), inside ? bar.top() + 2 : bar.top() - 14, bar.width(), 12),
                   Qt::AlignHCenter, QString::number(b.count));
    }
    p.setPen(QPen(QColor(0xd6, 0x27, 0x28), 1.4, Qt::DashLine));
    p.drawLine(lineChartPosition(0, 0, 0, 1, 0, 1), lineChartPosition(1, 1, 0, 1, 0, 1));
    p.fillRect(QRectF(kLeft + 8, kH - 14, 12, 8), QColor(0x1f, 0x77, 0xb4, 170));
    p.setPen(QColor(0x22, 0x22, 0x22));
    p.drawText(QPointF(kLeft + 24, kH - 6), QStringLiteral("share correct (with the rows per bin)"));
    p.setPen(QPen(QColor(0xd6, 0x27, 0x28), 1.4, Qt::DashLine));
    p.drawLine(QPointF(kLeft + 270, kH - 10), QPointF(kLeft + 290, kH - 10));
    p.setPen(QColor(0x22, 0x22, 0x22));
    p.drawText(QPointF(kLeft + 296, kH - 6), QStringLiteral("perfectly calibrated"));
    return image;
}

} // namespace fts
