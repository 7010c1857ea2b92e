// CSV parsing and import: quoting, embedded newlines, BOM, empty files, ragged rows, all-or-nothing.
#include "Error.h"
#include "TestUtil.h"
#include "data/CsvReader.h"
#include "data/Importer.h"
#include "project/Project.h"

#include <QBuffer>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>

using namespace fts;

namespace {
QList<CsvRecord> parse(const QByteArray& bytes, char delimiter = ',')
{
    QBuffer buffer;
    buffer.setData(bytes);
    buffer.open(QIODevice::ReadOnly);
    CsvReader reader(&buffer, "mem.csv", delimiter);
    QList<CsvRecord> out;
    CsvRecord r;
    while (reader.next(r))
        out << r;
    return out;
}

QString parseError(const QByteArray& bytes)
{
    try {
        parse(bytes);
    } catch (const Error& e) {
        return e.message();
    }
    return {};
}
} // namespace

class TestCsvImport : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init() { QVERIFY(m_dir.isValid()); }
    void quotingAndEmbeddedNewlines();
    void crlfAndBlankLines();
    void utf8BomIsStripped();
    void literalQuoteInUnquotedField();
    void unclosedQuoteNamesItsLine();
    void strayCharacterAfterQuoteNamesLine();
    void invalidUtf8NamesLine();
    void tabDelimited();
    void largeInputAcrossChunks();
    void detectsColumns();
    void normalizesSplits();
    void importsRowsLabelsAndSplits();
    void emptyFileIsRefused();
    void headerOnlyIsRefused();
    void raggedRowNamesLineAndImportsNothing();
    void badSplitValueImportsNothing();
    void unknownColumnListsColumns();
    void spreadsheetFormatExplained();
    void extraColumnsKeptAsMetadata();
    void cancelLeavesProjectUnchanged();

private:
    QString writeCsv(const QString& name, const QByteArray& bytes)
    {
        const QString p = m_dir.filePath(name);
        test::writeFile(p, bytes);
        return p;
    }
    qint64 rowCount(Project& p)
    {
        QSqlQuery q(p.db());
        q.exec("SELECT COUNT(*) FROM rows");
        q.next();
        return q.value(0).toLongLong();
    }
    QTemporaryDir m_dir;
};

void TestCsvImport::quotingAndEmbeddedNewlines()
{
    const auto records = parse("a,b\n\"x, y\",\"she said \"\"hi\"\"\"\n\"two\nlines\",z\n");
    QCOMPARE(records.size(), 3);
    QCOMPARE(records[1].fields, (QStringList{"x, y", "she said \"hi\""}));
    QCOMPARE(records[2].fields, (QStringList{"two\nlines", "z"}));
    QCOMPARE(records[2].line, 3);
}

void TestCsvImport::crlfAndBlankLines()
{
    const auto records = parse("a,b\r\n1,2\r\n\r\n3,\r\n");
    QCOMPARE(records.size(), 3);
    QCOMPARE(records[1].fields, (QStringList{"1", "2"}));
    QCOMPARE(records[2].fields, (QStringList{"3", ""}));
    QCOMPARE(records[2].line, 4);
}

void TestCsvImport::utf8BomIsStripped()
{
    const auto records = parse("\xEF\xBB\xBFtext,label\nCaf\xC3\xA9,ok\n");
    QCOMPARE(records[0].fields[0], QString("text"));
    QCOMPARE(records[1].fields[0], QString::fromUtf8("Café"));
}

void TestCsvImport::literalQuoteInUnquotedField()
{
    const auto records = parse("text\na 5\" screen\n");
    QCOMPARE(records[1].fields[0], QString("a 5\" screen"));
}

void TestCsvImport::unclosedQuoteNamesItsLine()
{
    const QString e = parseError("a,b\n1,2\n3,\"never closed\n4,5\n");
    QVERIFY2(e.contains("line 3") && e.contains("closing quote"), qPrintable(e));
}

void TestCsvImport::strayCharacterAfterQuoteNamesLine()
{
    const QString e = parseError("a,b\n\"x\"y,2\n");
    QVERIFY2(e.contains("line 2") && e.contains("after the closing quote"), qPrintable(e));
}

void TestCsvImport::invalidUtf8NamesLine()
{
    const QString e = parseError("a\nok\nbad \xFF\xFE byte\n");
    QVERIFY2(e.contains("line 3") && e.contains("UTF-8"), qPrintable(e));
}

void TestCsvImport::tabDelimited()
{
    const auto records = parse("text\tlabel\nhas, comma\tpos\n", '\t');
    QCOMPARE(records[1].fields, (QStringList{"has, comma", "pos"}));
}

void TestCsvImport::largeInputAcrossChunks()
{
    // Records straddle the reader's 64 KiB chunks; a quoted field spans a boundary too.
    QByteArray bytes = "id,text\n";
    for (int i = 0; i < 20000; ++i)
        bytes += QByteArray::number(i) + ",\"row " + QByteArray::number(i) + " says \"\"hi\"\",\nok\"\n";
    const auto records = parse(bytes);
    QCOMPARE(records.size(), 20001);
    QCOMPARE(records.last().fields[1], QString("row 19999 says \"hi\",\nok"));
    QCOMPARE(records.last().line, 1 + 2 * 19999 + 1);
}

void TestCsvImport::detectsColumns()
{
    const QStringList header = {"id", "Review", "Sentiment", "split"};
    const QList<QStringList> sample = {{"1", "nice place", "positive", "train"},
                                       {"2", "bad food", "negative", "test"}};
    const ColumnMapping m = detectColumns(header, sample);
    QCOMPARE(m.text, 1);
    QCOMPARE(m.labels, QList<int>{2});
    QCOMPARE(m.split, 3);

    // Unnamed columns: the long one is the text, the short low-variety one the label.
    QList<QStringList> rows;
    for (int i = 0; i < 40; ++i)
        rows << QStringList{QString::number(i), QString("a fairly long sentence number %1").arg(i),
                            i % 2 ? "yes" : "no"};
    const ColumnMapping u = detectColumns({"c1", "c2", "c3"}, rows);
    QCOMPARE(u.text, 1);
    QCOMPARE(u.labels, QList<int>{2});
    QCOMPARE(u.split, -1);

    // Identifier and all-numeric columns are never guessed as labels, even in a tiny sample.
    const ColumnMapping ids = detectColumns({"ticket_id", "n", "body", "team"},
                                            {{"7", "3", "printer is on fire", "ops"},
                                             {"8", "4", "cannot log in today", "it"}});
    QCOMPARE(ids.text, 2);
    QCOMPARE(ids.labels, QList<int>{3});
}

void TestCsvImport::normalizesSplits()
{
    QCOMPARE(normalizeSplit(" Training "), QString("train"));
    QCOMPARE(normalizeSplit("DEV"), QString("val"));
    QCOMPARE(normalizeSplit("validation"), QString("val"));
    QCOMPARE(normalizeSplit("test"), QString("test"));
    QVERIFY(normalizeSplit("").isEmpty() && !normalizeSplit("").isNull());
    QVERIFY(normalizeSplit("holdout").isNull());
}

void TestCsvImport::importsRowsLabelsAndSplits()
{
    auto project = Project::create(m_dir.filePath("ok.ftproj"));
    ImportOptions o;
    o.file = writeCsv("ok.csv", "text,sentiment,topic,split\n"
                                "\"Loved it, truly\",positive,food,train\n"
                                "Cold soup,negative,food,val\n"
                                "Arrived Tuesday,,shipping,test\n");
    const ImportResult r = importTable(*project, o);
    QCOMPARE(r.rows, 3);
    QCOMPARE(r.labels, 5);
    QCOMPARE(r.tasks, (QStringList{"sentiment", "topic"}));
    QCOMPARE(r.rowsPerSplit.value("val"), 1);
    const ProjectSummary s = project->summary();
    QCOMPARE(s.tasks, (QStringList{"sentiment", "topic"}));
    QCOMPARE(s.unlabeledRows, 0); // the third row has a topic label
    QSqlQuery q(project->db());
    QVERIFY(q.exec("SELECT text, source_line, annotator FROM rows JOIN labels ON labels.row_id = rows.id "
                   "WHERE task = 'sentiment' ORDER BY rows.id"));
    QVERIFY(q.next());
    QCOMPARE(q.value(0).toString(), QString("Loved it, truly"));
    QCOMPARE(q.value(1).toInt(), 2);
    QCOMPARE(q.value(2).toString(), QString("import:ok.csv"));
}

void TestCsvImport::emptyFileIsRefused()
{
    auto project = Project::create(m_dir.filePath("empty.ftproj"));
    ImportOptions o;
    o.file = writeCsv("empty.csv", "");
    try {
        importTable(*project, o);
        QFAIL("imported an empty file");
    } catch (const Error& e) {
        QVERIFY2(e.message().contains("empty.csv is empty"), qPrintable(e.message()));
    }
    QCOMPARE(rowCount(*project), 0);
}

void TestCsvImport::headerOnlyIsRefused()
{
    auto project = Project::create(m_dir.filePath("header.ftproj"));
    ImportOptions o;
    o.file = writeCsv("header.csv", "text,label\n");
    QVERIFY_THROWS_EXCEPTION(Error, importTable(*project, o));
    QCOMPARE(rowCount(*project), 0);
}

void TestCsvImport::raggedRowNamesLineAndImportsNothing()
{
    auto project = Project::create(m_dir.filePath("ragged.ftproj"));
    // The bad row comes after the detection sample, so some rows were already inserted: all must go.
    QByteArray bytes = "text,label\n";
    for (int i = 0; i < 500; ++i)
        bytes += "row " + QByteArray::number(i) + ",pos\n";
    bytes += "one,two,three\n";
    ImportOptions o;
    o.file = writeCsv("ragged.csv", bytes);
    try {
        importTable(*project, o);
        QFAIL("imported a ragged file");
    } catch (const Error& e) {
        QVERIFY2(e.message().contains("ragged.csv, line 502") && e.message().contains("3 fields"),
                 qPrintable(e.message()));
    }
    QCOMPARE(rowCount(*project), 0);
    QCOMPARE(project->summary().tasks.size(), 0);
    QSqlQuery q(project->db());
    q.exec("SELECT COUNT(*) FROM imports");
    q.next();
    QCOMPARE(q.value(0).toInt(), 0);
}

void TestCsvImport::badSplitValueImportsNothing()
{
    auto project = Project::create(m_dir.filePath("split.ftproj"));
    ImportOptions o;
    o.file = writeCsv("split.csv", "text,split\na,train\nb,holdout\n");
    o.splitColumn = "split";
    try {
        importTable(*project, o);
        QFAIL("accepted a bad split");
    } catch (const Error& e) {
        QVERIFY2(e.message().contains("line 3") && e.message().contains("holdout"), qPrintable(e.message()));
    }
    QCOMPARE(rowCount(*project), 0);
}

void TestCsvImport::unknownColumnListsColumns()
{
    auto project = Project::create(m_dir.filePath("col.ftproj"));
    ImportOptions o;
    o.file = writeCsv("col.csv", "body,stars\nhi,5\n");
    o.textColumn = "review";
    try {
        importTable(*project, o);
        QFAIL("accepted a missing column");
    } catch (const Error& e) {
        QVERIFY2(e.message().contains("'review'") && e.message().contains("body, stars"),
                 qPrintable(e.message()));
    }
}

void TestCsvImport::spreadsheetFormatExplained()
{
    try {
        formatForFile("/tmp/book.xlsx");
        QFAIL("accepted xlsx");
    } catch (const Error& e) {
        QVERIFY(e.message().contains("Save As > CSV"));
    }
    QCOMPARE(formatForFile("x.tsv"), TableFormat::Tsv);
    QCOMPARE(formatForFile("x.txt", "csv"), TableFormat::Csv);
}

void TestCsvImport::extraColumnsKeptAsMetadata()
{
    auto project = Project::create(m_dir.filePath("meta.ftproj"));
    ImportOptions o;
    o.file = writeCsv("meta.csv", "ticket,text,label\nT-1,printer jammed,negative\n");
    importTable(*project, o);
    QSqlQuery q(project->db());
    QVERIFY(q.exec("SELECT meta FROM rows"));
    QVERIFY(q.next());
    QCOMPARE(q.value(0).toString(), QString("{\"ticket\":\"T-1\"}"));
}

void TestCsvImport::cancelLeavesProjectUnchanged()
{
    auto project = Project::create(m_dir.filePath("cancel.ftproj"));
    QByteArray bytes = "text,label\n";
    for (int i = 0; i < 2000; ++i)
        bytes += "row " + QByteArray::number(i) + ",pos\n";
    ImportOptions o;
    o.file = writeCsv("cancel.csv", bytes);
    std::atomic<bool> cancel{true};
    JobContext ctx(&cancel, {});
    QVERIFY_THROWS_EXCEPTION(Cancelled, importTable(*project, o, &ctx));
    QCOMPARE(rowCount(*project), 0);
}

QTEST_GUILESS_MAIN(TestCsvImport)
#include "tst_csvimport.moc"
