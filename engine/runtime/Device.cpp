// Device discovery through libtorch (CUDA only exists in CUDA builds) and /proc/cpuinfo for bf16.
#include "runtime/Device.h"

#include "Error.h"
#include "runtime/TorchRuntime.h"

#include <torch/cuda.h>

#include <QFile>
#include <QRegularExpression>

namespace fts {

QStringList availableDevices()
{
    QStringList out{QStringLiteral("cpu")};
    if (torch::cuda::is_available())
        for (size_t i = 0; i < torch::cuda::device_count(); ++i)
            out << QStringLiteral("cuda:%1").arg(i);
    return out;
}

bool cpuHasNativeBf16()
{
    static const bool has = [] {
        QFile f(QStringLiteral("/proc/cpuinfo"));
        if (!f.open(QIODevice::ReadOnly))
            return false;
        const QByteArray info = f.readAll();
        return info.contains(" avx512_bf16") || info.contains(" amx_bf16");
    }();
    return has;
}

DeviceChoice defaultDeviceChoice()
{
    DeviceChoice c;
    const QStringList devices = availableDevices();
    if (devices.size() > 1) {
        c.device = devices[1];
        c.precision = QStringLiteral("bf16");
    } else {
        c.precision = cpuHasNativeBf16() ? QStringLiteral("bf16") : QStringLiteral("fp32");
    }
    return c;
}

void validateDeviceChoice(const DeviceChoice& c)
{
    if (c.precision != QLatin1String("fp32") && c.precision != QLatin1String("bf16"))
        throw Error(QStringLiteral("Precision '%1' is not supported; choose fp32 or bf16.").arg(c.precision));
    const QStringList devices = availableDevices();
    QString device = c.device;
    if (device == QLatin1String("cuda"))
        device = QStringLiteral("cuda:0");
    if (!devices.contains(device)) {
        if (device.startsWith(QLatin1String("cuda")) && devices.size() == 1)
            throw Error(QStringLiteral("No CUDA GPU is available (this build of libtorch %1 or this "
                                       "computer has none). Use the CPU.").arg(runtime::torchVersion()));
        throw Error(QStringLiteral("Device '%1' is not available; available: %2.")
                        .arg(c.device, devices.join(QStringLiteral(", "))));
    }
}

QString describeDevice(const DeviceChoice& c)
{
    if (c.device == QLatin1String("cpu"))
        return QStringLiteral("CPU (%1 threads), %2%3")
            .arg(runtime::intraOpThreads())
            .arg(c.precision)
            .arg(c.precision == QLatin1String("bf16") && !cpuHasNativeBf16()
                     ? QStringLiteral(" (emulated: slower than fp32 on this processor)")
                     : QString());
    return QStringLiteral("%1, %2").arg(c.device.toUpper(), c.precision);
}

} // namespace fts
