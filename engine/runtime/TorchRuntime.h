// Process-wide libtorch settings (threads, versions), kept behind a torch-free header.
#pragma once

#include <QString>

namespace fts::runtime {

// Threads for libtorch's intra-op pool. Debian's build starts with one; the default here is the
// machine's core count, overridable by the FTS_THREADS environment variable or the caller.
int defaultThreadCount();
void configureThreads(int threads = 0);
int intraOpThreads();
QString torchVersion();

} // namespace fts::runtime
