// Registers a tests/tst_*.cpp file's Qt Test class as a suite of its test executable.
//
// The suites of one kind (engine, cli, gui) share one executable, run as
// `<executable> <suite> [Qt Test arguments]`, and CTest names each test after its suite. Sharing
// lets the build compile them in unity batches: most of a suite's compile time is parsing and
// instantiating the same libtorch and Qt headers, which a batch then does once.
#pragma once

#include <QString>
#include <QTest>

namespace fts::test {

// A suite's entry point: gets the arguments after the suite name, with the application object
// already made (QApplication for the GUI suites, QCoreApplication for the others).
using SuiteMain = int (*)(int argc, char** argv);

// Called from static initialisers; `file` is the suite's source file, whose name is the suite's.
bool registerSuite(const char* file, SuiteMain main);

// The running suite's name, for a test that starts its own executable again as a child process:
// the child's arguments begin with it.
QString currentSuite();

template <class Suite>
int runSuite(int argc, char** argv)
{
    Suite suite;
    return QTest::qExec(&suite, argc, argv);
}

} // namespace fts::test

// Replaces QTEST_MAIN / QTEST_GUILESS_MAIN in a suite file.
#define FTS_TEST_SUITE(Class) \
    static const bool ftsSuiteRegistered##Class = fts::test::registerSuite(__FILE__, &fts::test::runSuite<Class>);
// For a suite with its own entry point (one that also serves as a child process).
#define FTS_TEST_SUITE_MAIN(function) \
    static const bool ftsSuiteRegistered##function = fts::test::registerSuite(__FILE__, &function);
