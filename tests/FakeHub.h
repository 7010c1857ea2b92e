// A loopback HTTP server that imitates the Hub's file endpoints for the download tests:
// model listing, resolve redirects, byte ranges, and injected faults (drop, stall, bad checksum).
#pragma once

#include <QCryptographicHash>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTcpServer>
#include <QTcpSocket>
#include <QUrl>

namespace fts::test {

class FakeHub : public QTcpServer
{
public:
    struct Repo
    {
        QMap<QString, QByteArray> files;
        QSet<QString> lfs;          // listed with an lfs sha256 (safetensors files)
        QSet<QString> wrongSha;     // listed with a wrong sha256
        bool gated = false;
    };

    QHash<QString, Repo> repos;
    QSet<QString> dropOnce;  // cdn paths whose first transfer stops halfway and closes
    QSet<QString> stall;     // cdn paths that send headers and then nothing
    QStringList requests;    // "GET path [range]" in arrival order

    FakeHub()
    {
        connect(this, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* s = nextPendingConnection())
                connect(s, &QTcpSocket::readyRead, s, [this, s] { handle(s); });
        });
        listen(QHostAddress::LocalHost);
    }
    QString endpoint() const { return QStringLiteral("http://127.0.0.1:%1").arg(serverPort()); }

private:
    void reply(QTcpSocket* s, int status, const QByteArray& body, const QList<QByteArray>& headers = {},
               qint64 sendBytes = -1)
    {
        QByteArray head = "HTTP/1.1 " + QByteArray::number(status) + " X\r\nConnection: close\r\n";
        for (const QByteArray& h : headers)
            head += h + "\r\n";
        head += "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n";
        s->write(head);
        s->write(sendBytes < 0 ? body : body.left(sendBytes));
        if (sendBytes != 0)
            s->disconnectFromHost();
    }

    void handle(QTcpSocket* s)
    {
        if (!s->canReadLine() || s->property("handled").toBool())
            return;
        const QByteArray all = s->readAll();
        if (!all.contains("\r\n\r\n"))
            return;
        s->setProperty("handled", true);
        const QList<QByteArray> lines = all.split('\n');
        const QByteArray target = lines[0].split(' ').value(1);
        qint64 rangeStart = -1;
        for (const QByteArray& l : lines)
            if (l.toLower().startsWith("range: bytes="))
                rangeStart = l.mid(13).trimmed().chopped(1).toLongLong();
        const QUrl url(QString::fromUtf8(target));
        const QString path = url.path();
        requests << QStringLiteral("GET %1%2").arg(path, rangeStart >= 0 ? QStringLiteral(" range=%1").arg(rangeStart) : QString());

        if (path.startsWith("/api/models/")) {
            const QString id = path.mid(12).section("/revision/", 0, 0);
            if (!repos.contains(id))
                return reply(s, 404, "{\"error\":\"Repository not found\"}");
            const Repo& r = repos[id];
            if (r.gated)
                return reply(s, 401, "{\"error\":\"gated\"}");
            QJsonArray siblings;
            for (auto it = r.files.begin(); it != r.files.end(); ++it) {
                QJsonObject o{{"rfilename", it.key()}, {"size", double(it.value().size())}};
                if (r.lfs.contains(it.key())) {
                    QByteArray sha = QCryptographicHash::hash(it.value(), QCryptographicHash::Sha256).toHex();
                    if (r.wrongSha.contains(it.key()))
                        sha = QByteArray(64, 'a');
                    o.insert("lfs", QJsonObject{{"sha256", QString::fromLatin1(sha)}, {"size", double(it.value().size())}});
                }
                siblings.append(o);
            }
            return reply(s, 200, QJsonDocument(QJsonObject{{"id", id}, {"siblings", siblings}}).toJson());
        }
        if (path.contains("/resolve/")) {
            const QString id = path.mid(1).section("/resolve/", 0, 0);
            const QString file = path.section("/resolve/", 1).section('/', 1);
            return reply(s, 302, "", {"Location: /cdn/" + id.toUtf8() + "/" + file.toUtf8()});
        }
        if (path.startsWith("/cdn/")) {
            const QString rest = path.mid(5);
            const QString file = rest.section('/', -1);
            const QString id = rest.section('/', 0, -2);
            if (!repos.contains(id) || !repos[id].files.contains(file))
                return reply(s, 404, "not found");
            const QByteArray data = repos[id].files[file];
            if (stall.contains(path)) {
                s->write("HTTP/1.1 200 OK\r\nContent-Length: " + QByteArray::number(data.size()) + "\r\n\r\n");
                return; // and never another byte
            }
            if (rangeStart > 0 && rangeStart < data.size())
                return reply(s, 206, data.mid(rangeStart),
                             {"Content-Range: bytes " + QByteArray::number(rangeStart) + "-" +
                              QByteArray::number(data.size() - 1) + "/" + QByteArray::number(data.size())});
            if (dropOnce.remove(path))
                return reply(s, 200, data, {}, data.size() / 2);
            return reply(s, 200, data);
        }
        reply(s, 404, "no route");
    }
};

} // namespace fts::test
