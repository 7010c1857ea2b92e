// Curation: each step on crafted rows, preview, undo, replay; near-duplicates; redaction; splits;
// augmentation never leaking into val/test; migration of a version-1 project.
#include "Suite.h"
#include "Error.h"
#include "TestUtil.h"
#include "data/Curation.h"
#include "data/Importer.h"
#include "data/NearDuplicates.h"
#include "data/Redaction.h"
#include "data/TextNormalize.h"
#include "project/Project.h"

#include <QJsonArray>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>

using namespace fts;

class TestCuration : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void normalizeText_data();
    void normalizeText();
    void normalizeStepAndUndo();
    void previewChangesNothing();
    void dedupeKeepsConflictsForReview();
    void nearDuplicatesFindPlantedCopies();
    void redactionCatchesPiiAndSparesLookalikes();
    void redactStepReportsCounts();
    void lengthAndDropEmpty();
    void stratifiedSplitKeepsProportions();
    void augmentationStaysInTrain();
    void recipeReplayReproducesRows();
    void badParametersAreExplained();
    void versionOneProjectIsMigratedWithBackup();

private:
    std::unique_ptr<Project> projectWith(const QString& name, const QByteArray& csv)
    {
        auto p = Project::create(m_dir.filePath(name + ".ftproj"));
        const QString file = m_dir.filePath(name + ".csv");
        test::writeFile(file, csv);
        ImportOptions o;
        o.file = file;
        importTable(*p, o);
        return p;
    }
    QStringList activeTexts(Project& p)
    {
        QStringList out;
        QSqlQuery q(p.db());
        q.exec("SELECT text FROM rows WHERE removed_by_step IS NULL ORDER BY id");
        while (q.next())
            out << q.value(0).toString();
        return out;
    }
    QTemporaryDir m_dir;
};

void TestCuration::normalizeText_data()
{
    QTest::addColumn<QString>("in");
    QTest::addColumn<QString>("out");
    QTest::newRow("nfkc") << QString::fromUtf8("ＦＵＬＬ width ﬁne") << "FULL width fine";
    QTest::newRow("spaces") << QString("  many \t spaces\n\nhere ") << "many spaces here";
    QTest::newRow("html") << QString("<p>Great <b>value</b> &amp; fast&nbsp;delivery &#39;yes&#39;</p>") << "Great value & fast delivery 'yes'";
    QTest::newRow("mojibake") << QString::fromUtf8("CafÃ© crÃ¨me, itâ€™s fine") << QString::fromUtf8("Café crème, it’s fine");
    QTest::newRow("clean stays") << QString::fromUtf8("Déjà vu — naïve café") << QString::fromUtf8("Déjà vu — naïve café");
    QTest::newRow("not a tag") << QString("3 < 5 and 7 > 2") << "3 < 5 and 7 > 2";
}

void TestCuration::normalizeText()
{
    QFETCH(QString, in);
    QFETCH(QString, out);
    QCOMPARE(fts::normalizeText(in), out);
}

void TestCuration::normalizeStepAndUndo()
{
    auto p = projectWith("norm", "text,label\n\"<i>Nice</i>  place\",pos\nplain,neg\n");
    const StepEffect e = applyCurationStep(*p, "normalize", {});
    QCOMPARE(e.changed, 1);
    QCOMPARE(activeTexts(*p), (QStringList{"Nice place", "plain"}));
    QCOMPARE(curationRecipe(*p).size(), 1);
    const RecipeStep undone = undoLastCurationStep(*p);
    QCOMPARE(undone.kind, QString("normalize"));
    QCOMPARE(activeTexts(*p), (QStringList{"<i>Nice</i>  place", "plain"}));
    QCOMPARE(curationRecipe(*p).size(), 0);
    QVERIFY_THROWS_EXCEPTION(Error, undoLastCurationStep(*p));
}

void TestCuration::previewChangesNothing()
{
    auto p = projectWith("preview", "text,label\n\"a  b\",x\n\"a b\",x\n");
    const StepEffect e = applyCurationStep(*p, "dedupe", {}, /*preview=*/true);
    QCOMPARE(e.removed, 1);
    QCOMPARE(activeTexts(*p).size(), 2);
    QCOMPARE(curationRecipe(*p).size(), 0);
}

void TestCuration::dedupeKeepsConflictsForReview()
{
    auto p = projectWith("dupes", "text,label\n"
                                  "Great phone!,\n"          // 1: unlabeled twin of 2
                                  "great phone,positive\n"   // 2
                                  "Terrible.,negative\n"     // 3: conflicting with 4
                                  "terrible,positive\n"      // 4
                                  "Unique text,neutral\n");  // 5
    const StepEffect e = applyCurationStep(*p, "dedupe", {});
    QCOMPARE(e.removed, 1);
    QCOMPARE(activeTexts(*p), (QStringList{"great phone", "Terrible.", "terrible", "Unique text"}));
    const QJsonArray conflicts = e.details.value("conflicts").toArray();
    QCOMPARE(conflicts.size(), 1);
    QCOMPARE(conflicts[0].toArray(), (QJsonArray{3, 4}));
    QCOMPARE(p->summary().totalRows, 4);
    undoLastCurationStep(*p);
    QCOMPARE(p->summary().totalRows, 5);
}

void TestCuration::nearDuplicatesFindPlantedCopies()
{
    // 300 distinct sentences from the sample dataset, plus 30 planted near-copies of some of them.
    QFile f(FTS_SOURCE_DIR "/datasets/sentiment/sentiment.csv");
    QVERIFY(f.open(QIODevice::ReadOnly));
    QStringList originals;
    for (const QByteArray& line : f.readAll().split('\n').mid(1))
        if (!line.contains('"') && line.count(',') == 2 && originals.size() < 300)
            originals << QString::fromUtf8(line.left(line.indexOf(','))).trimmed();
    QCOMPARE(originals.size(), 300);
    QStringList texts = originals;
    for (int i = 0; i < 30; ++i) {
        QString copy = originals[i * 7];
        if (i % 3 == 0)
            copy = copy.toUpper() + "!!";
        else if (i % 3 == 1)
            copy.replace(" the ", " teh ");
        else
            copy = "  " + copy + " really";
        texts << copy;
    }
    const QList<QList<int>> groups = nearDuplicateGroups(texts, 0.7);
    int found = 0, falseGroups = 0;
    for (const QList<int>& g : groups) {
        const bool planted = g.size() == 2 && g[1] >= 300 && g[0] == (g[1] - 300) * 7;
        found += planted;
        falseGroups += !planted;
    }
    qInfo("near-duplicates: %d of 30 planted copies found, %d other groups", found, falseGroups);
    QVERIFY2(found >= 27, qPrintable(QString::number(found)));
    QCOMPARE(falseGroups, 0);
    QVERIFY(shingleJaccard("The room was clean and quiet.", "The room was clean and quiet!") > 0.9);
    QVERIFY(shingleJaccard("The room was clean and quiet.", "Breakfast ended far too early.") < 0.2);
}

void TestCuration::redactionCatchesPiiAndSparesLookalikes()
{
    const RedactionResult r = redactText(
        "Mail jane.doe@example.org or call +1 555-123-4567 / (030) 1234 5678. See https://shop.example.com/x?id=3. "
        "Server 192.168.10.20 and fe80::1ff:fe23:4567:890a. Card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00.",
        {});
    QCOMPARE(r.counts.value("[EMAIL]"), 1);
    QCOMPARE(r.counts.value("[PHONE]"), 2);
    QCOMPARE(r.counts.value("[URL]"), 1);
    QVERIFY2(r.counts.value("[IP]") == 2, qPrintable(r.text));
    QCOMPARE(r.counts.value("[CARD]"), 1);
    QCOMPARE(r.counts.value("[IBAN]"), 1);
    QVERIFY2(!r.text.contains("4111") && !r.text.contains("example"), qPrintable(r.text));

    const QString lookalikes = "Order 4111 1111 1111 1112 shipped on 2024-01-15 (version 1.2.3.4, v2.10.0), "
                               "ticket 12345678, DE89 3704 0044 0532 0130 01, price 1,299.00, meet at 10:30:45.";
    const RedactionResult l = redactText(lookalikes, {});
    QVERIFY2(l.counts.isEmpty(), qPrintable(l.text));
    QCOMPARE(l.text, lookalikes);

    RedactionOptions custom;
    custom.words = {"Acme Corp"};
    custom.patterns = {"EMP-\\d{4}"};
    QCOMPARE(redactText("acme corp employee EMP-1234", custom).text, QString("[REDACTED] employee [REDACTED]"));
    custom.patterns = {"("};
    QVERIFY_THROWS_EXCEPTION(Error, redactText("x", custom));
    QVERIFY(luhnValid("79927398713") == false || luhnValid("4111111111111111"));
    QVERIFY(ibanValid("GB82 WEST 1234 5698 7654 32"));
    QVERIFY(!ibanValid("GB82 WEST 1234 5698 7654 33"));
}

void TestCuration::redactStepReportsCounts()
{
    auto p = projectWith("pii", "text,label\n\"write to a@b.com, a@b.com\",x\nclean,y\n");
    const StepEffect e = applyCurationStep(*p, "redact", {{"phones", false}});
    QCOMPARE(e.changed, 1);
    QCOMPARE(e.details.value("found").toObject().value("[EMAIL]").toInt(), 2);
    QCOMPARE(activeTexts(*p).first(), QString("write to [EMAIL], [EMAIL]"));
}

void TestCuration::lengthAndDropEmpty()
{
    auto p = projectWith("len", "text,label\n\" \",x\nok,y\none two three four five six,z\nfine words here,x\n");
    QCOMPARE(applyCurationStep(*p, "drop-empty", {}).removed, 1);
    QCOMPARE(applyCurationStep(*p, "length", {{"min_words", 2}, {"max_words", 5}}).removed, 2);
    QCOMPARE(activeTexts(*p), QStringList{"fine words here"});
    undoLastCurationStep(*p);
    undoLastCurationStep(*p);
    QCOMPARE(activeTexts(*p).size(), 4);
}

void TestCuration::stratifiedSplitKeepsProportions()
{
    QByteArray csv = "text,label\n";
    const QMap<QString, int> classes = {{"a", 101}, {"b", 37}, {"c", 12}};
    for (auto it = classes.begin(); it != classes.end(); ++it)
        for (int i = 0; i < it.value(); ++i)
            csv += it.key().toUtf8() + " row " + QByteArray::number(i) + "," + it.key().toUtf8() + "\n";
    auto p = projectWith("split", csv);
    const StepEffect e = applyCurationStep(*p, "split", {{"train", 0.7}, {"val", 0.15}, {"test", 0.15}, {"seed", 5}});
    QCOMPARE(e.changed, 150);
    for (auto it = classes.begin(); it != classes.end(); ++it)
        for (const auto& [split, share] : {std::pair{"train", 0.7}, {"val", 0.15}, {"test", 0.15}}) {
            QSqlQuery q(p->db());
            q.exec(QString("SELECT COUNT(*) FROM rows r JOIN labels l ON l.row_id = r.id WHERE l.value = '%1' AND r.split = '%2'")
                       .arg(it.key(), split));
            q.next();
            QVERIFY2(std::abs(q.value(0).toInt() - share * it.value()) <= 1.0,
                     qPrintable(QString("%1/%2: %3").arg(it.key(), split).arg(q.value(0).toInt())));
        }
    // Same seed on a fresh copy: the same assignment.
    QSqlQuery first(p->db());
    first.exec("SELECT group_concat(split, '') FROM (SELECT split FROM rows ORDER BY id)");
    first.next();
    auto q2 = projectWith("split2", csv);
    applyCurationStep(*q2, "split", {{"train", 0.7}, {"val", 0.15}, {"test", 0.15}, {"seed", 5}});
    QSqlQuery second(q2->db());
    second.exec("SELECT group_concat(split, '') FROM (SELECT split FROM rows ORDER BY id)");
    second.next();
    QCOMPARE(second.value(0).toString(), first.value(0).toString());
    undoLastCurationStep(*p);
    QCOMPARE(p->summary().rowsPerSplit.value(""), 150);
}

void TestCuration::augmentationStaysInTrain()
{
    auto p = projectWith("aug", "text,label,split\n"
                                "The staff were happy and very helpful today,positive,train\n"
                                "The room was small but clean and quiet,neutral,train\n"
                                "The food arrived cold and the waiter was rude,negative,val\n"
                                "A good film with a sad ending,positive,test\n");
    const StepEffect e = applyCurationStep(*p, "augment", {{"per_row", 4}, {"alpha", 0.2}});
    QVERIFY(e.added >= 6);
    QSqlQuery q(p->db());
    q.exec("SELECT COUNT(*), SUM(split = 'train'), SUM(synthetic_of IS NOT NULL) FROM rows WHERE created_by_step IS NOT NULL");
    q.next();
    QCOMPARE(q.value(0).toInt(), int(e.added));
    QCOMPARE(q.value(1).toInt(), int(e.added)); // every synthetic row is in train
    QCOMPARE(q.value(2).toInt(), int(e.added));
    q.exec("SELECT COUNT(*) FROM rows r JOIN rows s ON r.synthetic_of = s.id WHERE s.split != 'train'");
    q.next();
    QCOMPARE(q.value(0).toInt(), 0); // nothing derived from val/test
    q.exec("SELECT COUNT(*) FROM rows r JOIN labels l ON l.row_id = r.id JOIN labels o ON o.row_id = r.synthetic_of "
           "WHERE l.value = o.value");
    q.next();
    QCOMPARE(q.value(0).toInt(), int(e.added)); // labels carried over
    undoLastCurationStep(*p);
    QCOMPARE(p->summary().totalRows, 4);
}

void TestCuration::recipeReplayReproducesRows()
{
    const QByteArray csv = "text,label\n\"<b>Good</b>  one\",pos\n\"good one\",pos\n\" \",neg\n"
                           "\"Call 555-123-4567 now\",neg\nshort,pos\n";
    auto a = projectWith("replayA", csv);
    applyCurationStep(*a, "normalize", {});
    applyCurationStep(*a, "drop-empty", {});
    applyCurationStep(*a, "dedupe", {});
    applyCurationStep(*a, "redact", {});
    applyCurationStep(*a, "split", {{"seed", 3}});
    auto b = projectWith("replayB", csv);
    replayCurationRecipe(*b, curationRecipe(*a));
    QCOMPARE(activeTexts(*b), activeTexts(*a));
    QCOMPARE(activeTexts(*a), (QStringList{"Good one", "Call [PHONE] now", "short"}));
    QCOMPARE(b->summary().rowsPerSplit, a->summary().rowsPerSplit);
}

void TestCuration::badParametersAreExplained()
{
    auto p = projectWith("bad", "text,label\na,b\n");
    auto message = [&](const QString& kind, const QJsonObject& params) {
        try {
            applyCurationStep(*p, kind, params);
        } catch (const Error& e) {
            return e.message();
        }
        return QString();
    };
    QVERIFY(message("shuffle", {}).contains("the steps are: normalize"));
    QVERIFY(message("near-dedupe", {{"threshold", 3}}).contains("'threshold' must be a number from 0.3 to 1"));
    QVERIFY(message("split", {{"train", 0.5}, {"val", 0.1}, {"test", 0.1}}).contains("add up to 1"));
    QVERIFY(message("augment", {{"ops", QJsonArray{"rotate"}}}).contains("'rotate' is not an operation"));
    QVERIFY(message("length", {{"min_chars", 10}, {"max_chars", 5}}).contains("minimum is larger"));
    QCOMPARE(curationRecipe(*p).size(), 0);
}

void TestCuration::versionOneProjectIsMigratedWithBackup()
{
    const QString path = m_dir.filePath("old.ftproj");
    {
        auto p = projectWith("old", "text,label\nkept,x\n");
        // Rebuild the version-1 layout that older studios wrote.
        QSqlQuery q(p->db());
        for (const char* sql : {"DROP TABLE run_evaluations", "DROP TABLE feedback_comparisons", "DROP TABLE feedback_judgements", "DROP TABLE feedback_candidates",
                                "DROP TABLE feedback_prompts", "DROP INDEX run_metrics_run", "DROP TABLE run_metrics", "DROP TABLE runs",
                                "DROP VIEW gold_labels", "DROP TABLE label_notes", "DROP INDEX labels_current_by",
                                "ALTER TABLE tasks DROP COLUMN schema", "DROP INDEX rows_removed", "DROP TABLE row_edits",
                                "ALTER TABLE rows DROP COLUMN removed_by_step",
                                "ALTER TABLE rows DROP COLUMN created_by_step",
                                "ALTER TABLE rows DROP COLUMN synthetic_of", "PRAGMA user_version = 1"})
            QVERIFY2(q.exec(sql), sql);
    }
    auto p = Project::open(path);
    QCOMPARE(p->summary().totalRows, 1);
    QCOMPARE(p->summary().labels.size(), 1); // through the gold_labels view that version 3 added
    QCOMPARE(applyCurationStep(*p, "normalize", {}).changed, 0);
    QVERIFY(QFile::exists(path + ".v1.bak"));
    QFile backup(path + ".v1.bak");
    QVERIFY(backup.open(QIODevice::ReadOnly));
    QCOMPARE(int(uchar(backup.read(64).at(63))), 1); // user_version of the backup is still 1
}

FTS_TEST_SUITE(TestCuration)
#include "tst_curation.moc"
