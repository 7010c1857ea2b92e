// libtorch thread configuration: the one place that sets the intra-op pool size.
#include "runtime/TorchRuntime.h"

#include <ATen/Parallel.h>
#include <torch/version.h>

#include <QThread>

namespace fts::runtime {

int defaultThreadCount()
{
    bool ok = false;
    const int fromEnv = qEnvironmentVariableIntValue("FTS_THREADS", &ok);
    if (ok && fromEnv > 0)
        return fromEnv;
    return std::max(1, QThread::idealThreadCount());
}

void configureThreads(int threads)
{
    at::set_num_threads(threads > 0 ? threads : defaultThreadCount());
}

int intraOpThreads()
{
    return at::get_num_threads();
}

QString torchVersion()
{
    return QStringLiteral(TORCH_VERSION);
}

} // namespace fts::runtime
