// The replay view against a real gatehoused: the timeline loads, the chain badge, the detail pane
// following the cursor (buttons, keys, a mouse drag on the timeline), masked values highlighted,
// and playback.
#include "SessionsTestGateway.h"

#include "GatewayLink.h"
#include "sessions/EventDetailPane.h"
#include "sessions/ReplayView.h"
#include "sessions/TimelineWidget.h"
#include "support/SegmentTamper.h"

#include <QComboBox>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QtTest>

using gh::test::SessionsTestGateway;

class tst_ReplayView final : public QObject {
    Q_OBJECT

private:
    QString text(const char *name) const { return m_view->findChild<QLabel *>(QLatin1String(name))->text(); }
    QString body() const { return m_view->findChild<QPlainTextEdit *>(QStringLiteral("detailBody"))->toPlainText(); }
    gh::TimelineWidget *timeline() const { return m_view->timeline(); }

    void openAndWait(const QString &id)
    {
        QSignalSpy loaded(m_view.get(), &gh::ReplayView::loaded);
        QSignalSpy verified(m_view.get(), &gh::ReplayView::verified);
        QSignalSpy shown(m_view.get(), &gh::ReplayView::detailShown);
        m_view->open(id);
        QVERIFY(loaded.wait(10000));
        QVERIFY(verified.size() == 1 || verified.wait(10000));
        // The first event in full, fetched with its window.
        QVERIFY(shown.size() > 0 || shown.wait(10000));
        QCOMPARE(shown.first().at(0).toLongLong(), m_view->seqAt(0));
    }
    // Moves the cursor with `act` and waits until the pane shows that event in full.
    bool showsAfter(const std::function<void()> &act, qint64 seq)
    {
        QSignalSpy shown(m_view.get(), &gh::ReplayView::detailShown);
        act();
        if (m_view->detail()->seq() == seq && text("detailSummary") != tr("Loading…"))
            return true;   // already shown in full (the cursor was there, or its window was cached)
        while (shown.wait(5000)) {
            if (shown.last().at(0).toLongLong() == seq)
                return true;
        }
        return !shown.isEmpty() && shown.last().at(0).toLongLong() == seq;
    }
    qsizetype indexOfKind(const QString &kind) const
    {
        for (qsizetype i = 0; i < timeline()->count(); ++i) {
            if (timeline()->kindAt(i) == kind)
                return i;
        }
        return -1;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QString why;
        QVERIFY2(m_gw.start(&why), qPrintable(why));
        m_link = std::make_unique<gh::GatewayLink>();
        m_link->attachRemote(QUrl(m_gw.daemon().adminUrl()), QString::fromLatin1(m_gw.audrey));
        m_view = std::make_unique<gh::ReplayView>(m_link.get(), nullptr);
        m_view->resize(1200, 700);
        m_view->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_view.get()));
    }

    void loadsAndVerifies()
    {
        QCOMPARE(text("replayBadge"), QStringLiteral("not verified yet"));
        openAndWait(m_gw.allowedId());
        const qint64 count = qint64(m_gw.sessions.at(2).toObject().value(QLatin1String("event_count")).toDouble());
        QCOMPARE(qint64(timeline()->count()), count);
        QCOMPARE(text("replayBadge"), QStringLiteral("chain verified"));
        QVERIFY(!m_view->findChild<QWidget *>(QStringLiteral("replayProgress"))->isVisible());
        QVERIFY(text("detailKind").contains(QLatin1String("http.request")));
        QVERIFY2(text("detailSummary").contains(QLatin1String("/v1/models")), qPrintable(text("detailSummary")));
        // The request's headers, without the caller's token (never recorded).
        auto *headers = m_view->findChild<QTableWidget *>(QStringLiteral("detailHeaders"));
        QVERIFY(headers->rowCount() > 0);
        for (int r = 0; r < headers->rowCount(); ++r)
            QVERIFY(headers->item(r, 0)->text().compare(QLatin1String("authorization"), Qt::CaseInsensitive) != 0);
        QVERIFY(text("replayGapNote").contains(QLatin1String("2 s")));
    }

    void stepWithButtonsAndKeys()
    {
        auto *next = m_view->findChild<QPushButton *>(QStringLiteral("replayNext"));
        auto *prev = m_view->findChild<QPushButton *>(QStringLiteral("replayPrev"));
        QVERIFY(showsAfter([&] { next->click(); }, m_view->seqAt(1)));
        QVERIFY(text("detailKind").contains(timeline()->kindAt(1)));
        QVERIFY(showsAfter([&] { next->click(); }, m_view->seqAt(2)));
        QVERIFY(showsAfter([&] { prev->click(); }, m_view->seqAt(1)));
        timeline()->setFocus();
        QVERIFY(showsAfter([&] { QTest::keyClick(timeline(), Qt::Key_Right); }, m_view->seqAt(2)));
        QVERIFY(showsAfter([&] { QTest::keyClick(timeline(), Qt::Key_Left); }, m_view->seqAt(1)));
        QVERIFY(text("replayPosition").startsWith(tr("event 2 of")));
    }

    void scrubWithTheMouse()
    {
        // Press on the first mark and drag to the last: the pane ends on the last event.
        const qsizetype last = timeline()->count() - 1;
        const int y = timeline()->height() / 2;
        const QPoint from(qRound(timeline()->timeToX(double(timeline()->timeAt(0)))), y);
        const QPoint to(qRound(timeline()->timeToX(double(timeline()->timeAt(last)))), y);
        QVERIFY(showsAfter([&] {
            QTest::mousePress(timeline(), Qt::LeftButton, {}, from);
            for (int i = 1; i <= 10; ++i) {
                const QPointF p = QPointF(from) + (QPointF(to) - QPointF(from)) * (i / 10.0);
                QMouseEvent move(QEvent::MouseMove, p, timeline()->mapToGlobal(p), Qt::NoButton, Qt::LeftButton, {});
                QApplication::sendEvent(timeline(), &move);
            }
            QTest::mouseRelease(timeline(), Qt::LeftButton, {}, to);
        }, m_view->seqAt(last)));
        QCOMPARE(timeline()->cursor(), last);
        QVERIFY(text("detailKind").contains(timeline()->kindAt(last)));
    }

    void playback()
    {
        auto *speed = m_view->findChild<QComboBox *>(QStringLiteral("replaySpeed"));
        speed->setCurrentIndex(speed->count() - 1);
        QCOMPARE(m_view->speed(), 16.0);
        timeline()->setCursor(0);
        timeline()->setFocus();
        QTest::keyClick(timeline(), Qt::Key_Space);
        QVERIFY(m_view->isPlaying());
        QCOMPARE(m_view->findChild<QPushButton *>(QStringLiteral("replayPlay"))->text(), tr("Pause"));
        QTRY_VERIFY_WITH_TIMEOUT(!m_view->isPlaying(), 10000);
        QCOMPARE(timeline()->cursor(), timeline()->count() - 1);
        QTRY_COMPARE(m_view->detail()->seq(), m_view->seqAt(timeline()->count() - 1));
    }

    void deniedRequest()
    {
        openAndWait(m_gw.deniedId());
        const qsizetype i = indexOfKind(QStringLiteral("policy.refused"));
        QVERIFY(i >= 0);
        QVERIFY(showsAfter([&] { timeline()->setCursor(i); }, m_view->seqAt(i)));
        QVERIFY2(text("detailSummary").contains(QLatin1String("no-secrets")), qPrintable(text("detailSummary")));
        QVERIFY(text("detailSummary").contains(QLatin1String("403")));
    }

    void maskedResponse()
    {
        openAndWait(m_gw.maskedId());
        QVERIFY(indexOfKind(QStringLiteral("policy.masked")) >= 0);
        // The response that carries the body.
        qsizetype i = -1;
        for (qsizetype k = 0; k < timeline()->count(); ++k) {
            if (timeline()->kindAt(k).startsWith(QLatin1String("http.response")) || timeline()->kindAt(k) == QLatin1String("http.chunk")) {
                QVERIFY(showsAfter([&] { timeline()->setCursor(k); }, m_view->seqAt(k)));
                if (body().contains(QLatin1String("note"))) {
                    i = k;
                    break;
                }
            }
        }
        QVERIFY2(i >= 0, "no recorded response body");
        QVERIFY(!body().contains(QLatin1String("bob@example.com")));
        QVERIFY(body().contains(QLatin1String("hello")));
        // One value masked, shown highlighted as what the gateway put in its place.
        const QStringList spans = m_view->detail()->maskedSpans();
        QCOMPARE(spans.size(), 1);
        QVERIFY2(spans.first().startsWith(QLatin1Char('[')) && !spans.first().contains(QLatin1Char('@')), qPrintable(spans.first()));
        QVERIFY(body().contains(spans.first()));
    }

    void cancelLoading()
    {
        // Cancel before the first slice arrives: the view says what it shows, and is usable.
        QSignalSpy loaded(m_view.get(), &gh::ReplayView::loaded);
        m_view->open(m_gw.allowedId());
        auto *cancel = m_view->findChild<QPushButton *>(QStringLiteral("replayCancel"));
        QVERIFY(cancel->isVisible());
        QVERIFY(m_view->findChild<QWidget *>(QStringLiteral("replayProgress"))->isVisible());
        cancel->click();
        QCOMPARE(loaded.size(), 1);
        QVERIFY(!m_view->isLoading());
        QVERIFY(!cancel->isVisible());
        QVERIFY2(text("replayStatus").contains(QLatin1String("cancelled")), qPrintable(text("replayStatus")));
        QTest::qWait(200);   // the slice still on its way changes nothing
        QCOMPARE(timeline()->count(), 0);
        QCOMPARE(loaded.size(), 1);
    }

    void brokenChain()
    {
        // Someone edits a recorded event on disk: the badge names the first bad event.
        const QString recordings = m_gw.daemon().dataDir() + QStringLiteral("/gatehouse.db.recordings");
        qint64 first = -1;
        gh::Result<int> changed = gh::test::editEventRecords(recordings, m_gw.allowedId(), [&first](gh::journal::Decoded &d) {
            if (first < 0 || d.event.seq == first) {
                first = d.event.seq;
                d.event.tsUs += 1;
            }
        });
        QVERIFY2(changed.ok(), changed ? "" : qPrintable(changed.error().message));
        QCOMPARE(*changed, 1);
        openAndWait(m_gw.allowedId());
        QCOMPARE(text("replayBadge"), QStringLiteral("chain BROKEN at seq %1").arg(m_view->seqAt(0)));
    }

private:
    SessionsTestGateway m_gw;
    std::unique_ptr<gh::GatewayLink> m_link;
    std::unique_ptr<gh::ReplayView> m_view;
};

QTEST_MAIN(tst_ReplayView)
#include "tst_replayview.moc"
