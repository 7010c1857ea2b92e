// The divergence message and gradient clipping shared by the classification and alignment loops.
#include "train/Divergence.h"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>

namespace fts {

QString divergenceMessage(qint64 step, const QString& quantity, double value, double lr,
                          const QString& lastCheckpoint)
{
    const QString kept =
        lastCheckpoint.isEmpty()
            ? QStringLiteral("No checkpoint had been written yet.")
            : QStringLiteral("The last good checkpoint (%1) is kept.").arg(lastCheckpoint);
    const QString cause =
        quantity == QLatin1String("loss")
            ? QStringLiteral("This usually means the learning rate (lr = %1) is too high: try one "
                             "ten times smaller.")
                  .arg(lr)
            : QStringLiteral("The loss was still a number, so a layer overflowed on the way "
                             "back: try a learning rate (lr = %1) ten times smaller, and gradient "
                             "clipping (max_grad_norm = 1.0) if it is off.")
                  .arg(lr);
    return QStringLiteral("Training stopped at step %1: the %2 became %3 (not a number), so the "
                          "weights can no longer improve. %4 %5")
        .arg(step + 1)
        .arg(quantity, std::isnan(value) ? QStringLiteral("NaN") : QStringLiteral("infinite"),
             cause, kept);
}

double clipGradients(const std::vector<at::Tensor>& params, double maxNorm)
{
    std::vector<at::Tensor> norms;
    for (const at::Tensor& p : params)
        if (p.grad().defined())
            norms.push_back(p.grad().norm());
    if (norms.empty())
        return 0;
    const double total = at::stack(norms).norm().item<double>();
    if (!std::isfinite(total) || maxNorm <= 0)
        return total;
    const double scale = maxNorm / (total + 1e-6);
    if (scale < 1)
        for (const at::Tensor& p : params)
            if (p.grad().defined())
                p.grad().mul_(scale);
    return total;
}

void poisonGradients(const std::vector<at::Tensor>& params)
{
    for (const at::Tensor& p : params)
        if (p.grad().defined()) {
            p.grad().fill_(std::numeric_limits<double>::quiet_NaN());
            return;
        }
}

} // namespace fts
