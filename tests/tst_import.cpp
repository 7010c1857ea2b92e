// Import: CSV parsing (quoting, newlines, BOM), formats, encodings, detection, all-or-nothing, scale.
#include "Suite.h"
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

class TestImport : public QObject
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
    void malformedFilesImportNothing_data();
    void malformedFilesImportNothing();
    void headerOnlyIsRefused();
    void raggedRowNamesLineAndImportsNothing();
    void badSplitValueImportsNothing();
    void unknownColumnListsColumns();
    void spreadsheetFormatExplained();
    void extraColumnsKeptAsMetadata();
    void cancelLeavesProjectUnchanged();
    void jsonLinesKeepsLateKeysAsMetadata();
    void jsonLinesErrorsNameTheLine();
    void jsonArrayImports();
    void textLinesImport();
    void encodingsAreDetected_data();
    void encodingsAreDetected();
    void delimiterIsSniffed_data();
    void delimiterIsSniffed();
    void headerlessCsvIsDetected();
    void millionRowsWithBoundedMemory();
    void labelValuesAreNormalisedAndMapped();
    void redactionOnImportNeverStoresOriginals();

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

void TestImport::quotingAndEmbeddedNewlines()
{
    const auto records = parse("a,b\n\"x, y\",\"she said \"\"hi\"\"\"\n\"two\nlines\",z\n");
    QCOMPARE(records.size(), 3);
    QCOMPARE(records[1].fields, (QStringList{"x, y", "she said \"hi\""}));
    QCOMPARE(records[2].fields, (QStringList{"two\nlines", "z"}));
    QCOMPARE(records[2].line, 3);
}

void TestImport::crlfAndBlankLines()
{
    const auto records = parse("a,b\r\n1,2\r\n\r\n3,\r\n");
    QCOMPARE(records.size(), 3);
    QCOMPARE(records[1].fields, (QStringList{"1", "2"}));
    QCOMPARE(records[2].fields, (QStringList{"3", ""}));
    QCOMPARE(records[2].line, 4);
}

void TestImport::utf8BomIsStripped()
{
    const auto records = parse("\xEF\xBB\xBFtext,label\nCaf\xC3\xA9,ok\n");
    QCOMPARE(records[0].fields[0], QString("text"));
    QCOMPARE(records[1].fields[0], QString::fromUtf8("Café"));
}

void TestImport::literalQuoteInUnquotedField()
{
    const auto records = parse("text\na 5\" screen\n");
    QCOMPARE(records[1].fields[0], QString("a 5\" screen"));
}

void TestImport::unclosedQuoteNamesItsLine()
{
    const QString e = parseError("a,b\n1,2\n3,\"never closed\n4,5\n");
    QVERIFY2(e.contains("line 3") && e.contains("closing quote"), qPrintable(e));
}

void TestImport::strayCharacterAfterQuoteNamesLine()
{
    const QString e = parseError("a,b\n\"x\"y,2\n");
    QVERIFY2(e.contains("line 2") && e.contains("after the closing quote"), qPrintable(e));
}

void TestImport::invalidUtf8NamesLine()
{
    const QString e = parseError("a\nok\nbad \xFF\xFE byte\n");
    QVERIFY2(e.contains("line 3") && e.contains("UTF-8"), qPrintable(e));
}

void TestImport::tabDelimited()
{
    const auto records = parse("text\tlabel\nhas, comma\tpos\n", '\t');
    QCOMPARE(records[1].fields, (QStringList{"has, comma", "pos"}));
}

void TestImport::largeInputAcrossChunks()
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

void TestImport::detectsColumns()
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

void TestImport::normalizesSplits()
{
    QCOMPARE(normalizeSplit(" Training "), QString("train"));
    QCOMPARE(normalizeSplit("DEV"), QString("val"));
    QCOMPARE(normalizeSplit("validation"), QString("val"));
    QCOMPARE(normalizeSplit("test"), QString("test"));
    QVERIFY(normalizeSplit("").isEmpty() && !normalizeSplit("").isNull());
    QVERIFY(normalizeSplit("holdout").isNull());
}

void TestImport::importsRowsLabelsAndSplits()
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

void TestImport::emptyFileIsRefused()
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

// Bad files of every importable format: each refused with a message that says what is wrong
// (and where), and the project keeps exactly the rows it had.
void TestImport::malformedFilesImportNothing_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("message");
    QTest::newRow("csv unclosed quote") << "q.csv" << QByteArray("text,label\n\"open,pos\nok,neg\n")
                                        << "line 2: a quoted field starts here but its closing quote";
    QTest::newRow("csv extra field") << "r.csv" << QByteArray("text,label\na,pos\nb,neg,x\n")
                                     << "line 3: this row has 3 fields but the header has 2";
    QTest::newRow("csv missing field") << "m.csv" << QByteArray("text,label,split\na,pos,train\nb,neg\n")
                                       << "line 3: this row has 2 fields but the header has 3";
    QTest::newRow("csv only blank lines") << "b.csv" << QByteArray("\n\n\n") << "b.csv is empty";
    QTest::newRow("png saved as csv") << "p.csv" << QByteArray("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16)
                                      << "is not a text file (it looks like a PNG image)";
    QTest::newRow("xlsx renamed to csv") << "x.csv" << QByteArray("PK\x03\x04\x14\0\x06\0", 8)
                                         << "it looks like a ZIP archive";
    QTest::newRow("pdf renamed to txt") << "d.txt" << QByteArray("%PDF-1.7\n%\xe2\xe3\n1 0 obj\n")
                                        << "it looks like a PDF document";
    QTest::newRow("nul bytes in csv") << "n.csv" << QByteArray("text,label\na\0b,pos\n", 19)
                                      << "it looks like binary data";
    QTest::newRow("jsonl broken line") << "j.jsonl" << QByteArray("{\"text\": \"a\"}\n{\"text\": oops}\n")
                                       << "line 2: not valid JSON";
    QTest::newRow("jsonl array line") << "a.jsonl" << QByteArray("{\"text\": \"a\"}\n[1, 2]\n")
                                      << "line 2: each line must be a JSON object";
    QTest::newRow("json not an array") << "o.json" << QByteArray("{\"text\": \"a\"}")
                                       << "must hold an array of objects";
    QTest::newRow("json array of numbers") << "n.json" << QByteArray("[1, 2]")
                                           << "item 1: every item of the array must be an object";
    QTest::newRow("json truncated") << "t.json" << QByteArray("[{\"text\": \"a\"}, {\"text\":")
                                    << "is not valid JSON";
    QTest::newRow("json empty array") << "e.json" << QByteArray("[]") << "holds an empty array";
    QTest::newRow("jsonl without a text column") << "c.jsonl" << QByteArray("{\"a\": 1}\n{\"a\": 2}\n")
                                                 << "Could not tell which column holds the text";
    QTest::newRow("spreadsheet by name") << "s.xlsx" << QByteArray("PK\x03\x04", 4)
                                         << "Spreadsheet files cannot be imported directly";
}

void TestImport::malformedFilesImportNothing()
{
    QFETCH(QString, name);
    QFETCH(QByteArray, bytes);
    QFETCH(QString, message);
    const QString path = m_dir.filePath(QStringLiteral("malformed-%1.ftproj").arg(QTest::currentDataTag()));
    auto project = Project::create(path);
    ImportOptions good;
    good.file = writeCsv("good-before.csv", "text,label\nkept,pos\nalso kept,neg\n");
    importTable(*project, good);
    const qint64 before = rowCount(*project);
    ImportOptions o;
    o.file = writeCsv(name, bytes);
    const QString error = test::errorOf([&] {
        o.format = formatForFile(o.file);
        importTable(*project, o);
    });
    QVERIFY2(error.contains(message), qPrintable(error));
    QCOMPARE(rowCount(*project), before);
}

void TestImport::headerOnlyIsRefused()
{
    auto project = Project::create(m_dir.filePath("header.ftproj"));
    ImportOptions o;
    o.file = writeCsv("header.csv", "text,label\n");
    QVERIFY_THROWS_EXCEPTION(Error, importTable(*project, o));
    QCOMPARE(rowCount(*project), 0);
}

void TestImport::raggedRowNamesLineAndImportsNothing()
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

void TestImport::badSplitValueImportsNothing()
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

void TestImport::unknownColumnListsColumns()
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

void TestImport::spreadsheetFormatExplained()
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

void TestImport::extraColumnsKeptAsMetadata()
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

void TestImport::cancelLeavesProjectUnchanged()
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

namespace {
qint64 peakRssKb()
{
    QFile f("/proc/self/status");
    f.open(QIODevice::ReadOnly);
    for (const QByteArray& line : f.readAll().split('\n'))
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    return -1;
}

QString metaOf(Project& p, int row)
{
    QSqlQuery q(p.db());
    q.exec(QString("SELECT meta FROM rows WHERE id = %1").arg(row));
    q.next();
    return q.value(0).toString();
}
} // namespace

void TestImport::jsonLinesKeepsLateKeysAsMetadata()
{
    auto project = Project::create(m_dir.filePath("jsonl.ftproj"));
    QByteArray bytes;
    for (int i = 0; i < 250; ++i)
        bytes += "{\"text\": \"row " + QByteArray::number(i) + "\", \"label\": \"pos\", \"score\": 0.5}\n";
    bytes += "\n{\"text\": \"late\", \"label\": \"neg\", \"source\": \"mail\", \"tags\": [\"a\", \"b\"]}\n";
    ImportOptions o;
    o.file = writeCsv("data.jsonl", bytes);
    o.format = formatForFile(o.file);
    QCOMPARE(o.format, TableFormat::Jsonl);
    const ImportResult r = importTable(*project, o);
    QCOMPARE(r.rows, 251);
    QCOMPARE(r.tasks, QStringList{"label"});
    QCOMPARE(metaOf(*project, 1), QString("{\"score\":\"0.5\"}"));
    QCOMPARE(metaOf(*project, 251), QString("{\"score\":\"\",\"source\":\"mail\",\"tags\":[\"a\",\"b\"]}"));
}

void TestImport::jsonLinesErrorsNameTheLine()
{
    auto project = Project::create(m_dir.filePath("badjsonl.ftproj"));
    ImportOptions o;
    o.format = TableFormat::Jsonl;
    o.file = writeCsv("bad.jsonl", "{\"text\": \"a\"}\n{\"text\": \"b\"\n");
    try {
        importTable(*project, o);
        QFAIL("accepted broken JSON");
    } catch (const Error& e) {
        QVERIFY2(e.message().contains("bad.jsonl, line 2: not valid JSON"), qPrintable(e.message()));
    }
    o.file = writeCsv("array-line.jsonl", "{\"text\": \"a\"}\n[1, 2]\n");
    try {
        importTable(*project, o);
        QFAIL("accepted an array line");
    } catch (const Error& e) {
        QVERIFY2(e.message().contains("line 2: each line must be a JSON object"), qPrintable(e.message()));
    }
    QCOMPARE(rowCount(*project), 0);
}

void TestImport::jsonArrayImports()
{
    auto project = Project::create(m_dir.filePath("json.ftproj"));
    ImportOptions o;
    o.file = writeCsv("data.json", R"([{"review": "Nice", "sentiment": "positive", "stars": 5},
                                       {"review": "Bad", "sentiment": "negative", "stars": 1}])");
    o.format = TableFormat::Json;
    const ImportResult r = importTable(*project, o);
    QCOMPARE(r.rows, 2);
    QCOMPARE(r.tasks, QStringList{"sentiment"});
    o.file = writeCsv("object.json", R"({"text": "not an array"})");
    QVERIFY_THROWS_EXCEPTION(Error, importTable(*project, o));
    QCOMPARE(rowCount(*project), 2);
}

void TestImport::textLinesImport()
{
    auto project = Project::create(m_dir.filePath("txt.ftproj"));
    ImportOptions o;
    o.file = writeCsv("notes.txt", "first, with a comma\n\n  second \"quoted\"  \nthird\n");
    o.format = formatForFile(o.file);
    const ImportResult r = importTable(*project, o);
    QCOMPARE(r.rows, 3);
    QCOMPARE(r.labels, 0);
    QSqlQuery q(project->db());
    q.exec("SELECT text, source_line FROM rows ORDER BY id");
    q.next();
    QCOMPARE(q.value(0).toString(), QString("first, with a comma"));
    q.next();
    QCOMPARE(q.value(0).toString(), QString("second \"quoted\""));
    QCOMPARE(q.value(1).toInt(), 3);
}

void TestImport::encodingsAreDetected_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("encoding");
    const QString text = QString::fromUtf8("text,label\nCafé crème, 5€,positive\n");
    QByteArray le("\xFF\xFE", 2), be("\xFE\xFF", 2);
    for (QChar c : text) {
        le += char(c.unicode() & 0xFF);
        le += char(c.unicode() >> 8);
        be += char(c.unicode() >> 8);
        be += char(c.unicode() & 0xFF);
    }
    QTest::newRow("utf-8") << text.toUtf8() << "UTF-8";
    QTest::newRow("utf-8 bom") << QByteArray("\xEF\xBB\xBF") + text.toUtf8() << "UTF-8";
    QTest::newRow("utf-16le bom") << le << "UTF-16LE";
    QTest::newRow("utf-16be bom") << be << "UTF-16BE";
    QTest::newRow("utf-16le no bom") << le.mid(2) << "UTF-16LE";
    // Windows-1252: é = E9, è... ê = EA, € = 80 (not Latin-1).
    QTest::newRow("windows-1252") << QByteArray("text,label\nCaf\xE9 cr\xE8me, 5\x80,positive\n") << "windows-1252";
}

void TestImport::encodingsAreDetected()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, encoding);
    ImportOptions o;
    o.file = writeCsv(QString("enc-%1.csv").arg(QTest::currentDataTag()).replace(' ', '_'), bytes);
    const TablePreview p = previewTable(o);
    QCOMPARE(p.info.encoding, encoding);
    QCOMPARE(p.header, (QStringList{"text", "label"}));
    QCOMPARE(p.rows.first().first(), QString::fromUtf8("Café crème, 5€").left(p.rows.first().first().size()));
    QVERIFY(p.rows.first().first().startsWith(QString::fromUtf8("Café cr")));
}

void TestImport::delimiterIsSniffed_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<char>("delimiter");
    QTest::newRow("semicolon") << QByteArray("text;label\n\"a, b\";x\nc, d;y\n") << ';';
    QTest::newRow("tab") << QByteArray("text\tlabel\nhello, there\tx\nbye\ty\n") << '\t';
    QTest::newRow("pipe") << QByteArray("text|label\nhello; there|x\nbye|y\n") << '|';
    QTest::newRow("comma") << QByteArray("text,label\nhello; there|,x\nbye,y\n") << ',';
}

void TestImport::delimiterIsSniffed()
{
    QFETCH(QByteArray, bytes);
    QFETCH(char, delimiter);
    ImportOptions o;
    o.file = writeCsv(QString("delim-%1.csv").arg(QTest::currentDataTag()), bytes);
    const TablePreview p = previewTable(o);
    QCOMPARE(p.info.delimiter, delimiter);
    QCOMPARE(p.header, (QStringList{"text", "label"}));
    QCOMPARE(p.rows.size(), 2);
}

void TestImport::headerlessCsvIsDetected()
{
    ImportOptions o;
    o.file = writeCsv("noheader.csv", "great value for money,positive\nbroke in a day,negative\n"
                                      "works as described,positive\n");
    TablePreview p = previewTable(o);
    QVERIFY(!p.info.hasHeader);
    QCOMPARE(p.header, (QStringList{"column1", "column2"}));
    QCOMPARE(p.rows.size(), 3);
    QCOMPARE(p.detected.text, 0);
    QCOMPARE(p.detected.labels, QList<int>{1});
    o.header = 1; // the user overrides the guess
    p = previewTable(o);
    QVERIFY(p.info.hasHeader);
    QCOMPARE(p.rows.size(), 2);
}

void TestImport::millionRowsWithBoundedMemory()
{
    const QString path = m_dir.filePath("million.csv");
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("text,label\n");
        QByteArray chunk;
        for (int i = 0; i < 1000000; ++i) {
            chunk += "review number " + QByteArray::number(i) + " with some words,";
            chunk += (i % 3 == 0 ? "negative\n" : i % 3 == 1 ? "neutral\n" : "positive\n");
            if (chunk.size() > (1 << 20)) {
                f.write(chunk);
                chunk.clear();
            }
        }
        f.write(chunk);
    }
    auto project = Project::create(m_dir.filePath("million.ftproj"));
    const qint64 before = peakRssKb();
    ImportOptions o;
    o.file = path;
    const ImportResult r = importTable(*project, o);
    QCOMPARE(r.rows, 1000000);
    QCOMPARE(r.labels, 1000000);
    const qint64 growthMb = (peakRssKb() - before) / 1024;
    // The file is ~45 MB; rows stream into SQLite, so memory must not grow with the row count.
    QVERIFY2(growthMb < 150, qPrintable(QString("peak RSS grew by %1 MB").arg(growthMb)));
    qInfo("1M-row import: peak RSS grew by %lld MB", growthMb);
}

void TestImport::labelValuesAreNormalisedAndMapped()
{
    auto project = Project::create(m_dir.filePath("mapped.ftproj"));
    ImportOptions o;
    o.file = writeCsv("mapped.csv", "text,label\na,Positive\nb, positive \nc,POS\nd,Neg\ne,n/a\n");
    o.labelMapping = {{"POS", "positive"}, {"n/a", ""}};
    const ImportResult r = importTable(*project, o);
    QCOMPARE(r.labels, 4); // "n/a" mapped to nothing: row e stays unlabeled
    const ProjectSummary s = project->summary();
    QCOMPARE(s.labels.size(), 2);
    QCOMPARE(s.labels[0].label, QString("positive"));
    QCOMPARE(s.labels[0].count, 3);
    QCOMPARE(s.labels[1].label, QString("neg"));
    QCOMPARE(suggestLabelMapping({{"x", "Yes"}, {"y", " yes"}, {"z", ""}}, {1}),
             (QMap<QString, QString>{{"Yes", "yes"}, {"yes", "yes"}}));
    auto kept = Project::create(m_dir.filePath("kept.ftproj"));
    o.labelMapping.clear();
    o.unifyLabelCase = false;
    importTable(*kept, o);
    QCOMPARE(kept->summary().labels.size(), 5);
}

void TestImport::redactionOnImportNeverStoresOriginals()
{
    auto project = Project::create(m_dir.filePath("redact.ftproj"));
    ImportOptions o;
    o.file = writeCsv("pii.csv", "text,label\n\"Write to jo@example.com or +44 20 7946 0958\",neg\nplain,pos\n");
    o.redact = true;
    const ImportResult r = importTable(*project, o);
    QCOMPARE(r.redacted.value("[EMAIL]"), 1);
    QCOMPARE(r.redacted.value("[PHONE]"), 1);
    project.reset();
    QFile f(m_dir.filePath("redact.ftproj"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray bytes = f.readAll();
    QVERIFY(!bytes.contains("jo@example.com")); // not even in the database file
    QVERIFY(bytes.contains("Write to [EMAIL] or [PHONE]"));
}

FTS_TEST_SUITE(TestImport)
#include "tst_import.moc"
