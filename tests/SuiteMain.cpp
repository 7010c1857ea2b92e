// The entry point of a test executable: runs the one suite named by its first argument.
#include "Suite.h"

#ifdef FTS_GUI_SUITES
#include <QApplication>
#endif
#include <QCoreApplication>
#include <QFileInfo>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace fts::test {
namespace {

struct Registry
{
    std::map<std::string, std::pair<SuiteMain, std::string>> suites; // name -> main, source file
    std::string current;
};

Registry& registry()
{
    static Registry r;
    return r;
}

} // namespace

bool registerSuite(const char* file, SuiteMain main)
{
    const std::string name = QFileInfo(QString::fromUtf8(file)).completeBaseName().toStdString();
    registry().suites[name] = {main, file};
    return true;
}

QString currentSuite()
{
    return QString::fromStdString(registry().current);
}

} // namespace fts::test

int main(int argc, char** argv)
{
    auto& r = fts::test::registry();
    const auto found = argc >= 2 ? r.suites.find(argv[1]) : r.suites.end();
    if (found == r.suites.end()) {
        std::fprintf(stderr, "%s\nUsage: %s SUITE [Qt Test arguments]; the suites here:\n",
                     argc >= 2 ? (std::string("No suite named ") + argv[1] + ".").c_str() : "No suite named.", argv[0]);
        for (const auto& [name, entry] : r.suites)
            std::fprintf(stderr, "  %s\n", name.c_str());
        return 2;
    }
    r.current = found->first;
    // The suite sees its own arguments only, as if it were the executable.
    std::vector<char*> args{argv[0]};
    args.insert(args.end(), argv + 2, argv + argc);
    int count = int(args.size());
#ifdef FTS_GUI_SUITES
    QApplication app(count, args.data());
#else
    QCoreApplication app(count, args.data());
#endif
    app.setAttribute(Qt::AA_Use96Dpi, true);
    QTest::setMainSourcePath(found->second.second.c_str());
    return found->second.first(count, args.data());
}
