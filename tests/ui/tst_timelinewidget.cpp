// TimelineWidget's arithmetic and interaction without a gateway: x <-> time, zoom around an anchor,
// nearest event, stepping and scrubbing with the mouse.
#include "sessions/TimelineWidget.h"

#include <QPainter>
#include <QSignalSpy>
#include <QtTest>

using gh::TimelineWidget;

class tst_TimelineWidget final : public QObject {
    Q_OBJECT

private:
    // Events at 0, 10, 20, ... ms (microsecond stamps), kinds alternating request/response.
    static void fill(TimelineWidget &w, int n, qint64 stepUs = 10'000)
    {
        std::vector<qint64> ts;
        std::vector<quint16> kind;
        for (int i = 0; i < n; ++i) {
            ts.push_back(1'700'000'000'000'000 + i * stepUs);
            kind.push_back(quint16(i % 2));
        }
        w.setEvents(std::move(ts), std::move(kind), {QStringLiteral("http.request"), QStringLiteral("http.response")});
    }

private Q_SLOTS:
    void categories()
    {
        QCOMPARE(TimelineWidget::categoryOf(QStringLiteral("http.request")), TimelineWidget::Category::Request);
        QCOMPARE(TimelineWidget::categoryOf(QStringLiteral("http.request.body")), TimelineWidget::Category::Request);
        QCOMPARE(TimelineWidget::categoryOf(QStringLiteral("http.response.end")), TimelineWidget::Category::Response);
        QCOMPARE(TimelineWidget::categoryOf(QStringLiteral("http.chunk")), TimelineWidget::Category::Chunk);
        QCOMPARE(TimelineWidget::categoryOf(QStringLiteral("policy.refused")), TimelineWidget::Category::Deny);
        QCOMPARE(TimelineWidget::categoryOf(QStringLiteral("approval.decided")), TimelineWidget::Category::Approval);
        QCOMPARE(TimelineWidget::categoryOf(QStringLiteral("policy.masked")), TimelineWidget::Category::Masking);
        QCOMPARE(TimelineWidget::categoryOf(QStringLiteral("pg.query")), TimelineWidget::Category::Other);
        QVERIFY(TimelineWidget::colorOf(TimelineWidget::Category::Deny) != TimelineWidget::colorOf(TimelineWidget::Category::Request));
    }

    void mapping()
    {
        TimelineWidget w;
        w.resize(1000, 120);
        fill(w, 101);   // 0 .. 1000 ms
        w.setView(1'700'000'000'000'000, 1'000'000);   // exactly the events' span
        const double x0 = w.timeToX(1'700'000'000'000'000);
        const double x1 = w.timeToX(1'700'000'001'000'000);
        QVERIFY(x1 > x0);
        QVERIFY(qAbs(w.xToTime(x0) - 1.7e15) < 1);
        QVERIFY(qAbs(w.xToTime((x0 + x1) / 2) - (1.7e15 + 500'000)) < 1);
        // Round trip anywhere.
        for (double x : {x0 + 3.5, x0 + 123.0, x1 - 1.0})
            QVERIFY(qAbs(w.timeToX(w.xToTime(x)) - x) < 1e-3);   // 1e15 us in a double: sub-us steps
    }

    void zoomKeepsAnchor()
    {
        TimelineWidget w;
        w.resize(1000, 120);
        fill(w, 1001);   // 10 s
        const double x = w.timeToX(w.timeAt(400)) + 0.25;
        const double before = w.xToTime(x);
        const double span = w.viewSpan();
        w.zoomAt(x, 4.0);
        QVERIFY(qAbs(w.viewSpan() - span / 4) < 1);
        QVERIFY2(qAbs(w.xToTime(x) - before) < 1, qPrintable(QString::number(w.xToTime(x) - before)));
        w.zoomAt(x, 0.5);
        QVERIFY(qAbs(w.viewSpan() - span / 2) < 1);
        QVERIFY(qAbs(w.xToTime(x) - before) < 1);
        // Zooming out past everything shows everything, no more.
        w.zoomAt(x, 0.001);
        QVERIFY(w.viewStart() <= double(w.timeAt(0)));
        QVERIFY(w.viewStart() + w.viewSpan() >= double(w.timeAt(1000)));
        QVERIFY(w.viewSpan() <= 10'000'000 * 1.03);
    }

    void nearest()
    {
        TimelineWidget w;
        fill(w, 5);   // 0, 10, 20, 30, 40 ms
        const double t0 = double(w.timeAt(0));
        QCOMPARE(w.nearestIndex(t0 - 1e6), qsizetype(0));
        QCOMPARE(w.nearestIndex(t0 + 4'000), qsizetype(0));
        QCOMPARE(w.nearestIndex(t0 + 6'000), qsizetype(1));
        QCOMPARE(w.nearestIndex(t0 + 5'000), qsizetype(0));   // a tie goes to the earlier one
        QCOMPARE(w.nearestIndex(t0 + 39'000), qsizetype(4));
        QCOMPARE(w.nearestIndex(t0 + 1e9), qsizetype(4));
        TimelineWidget empty;
        QCOMPARE(empty.nearestIndex(0), qsizetype(-1));
    }

    void equalTimesStepThrough()
    {
        TimelineWidget w;
        w.setEvents({100, 100, 100, 200}, {0, 0, 0, 0}, {QStringLiteral("http.chunk")});
        QCOMPARE(w.nearestIndex(101), qsizetype(0));   // the first of the simultaneous ones
        w.setCursor(0);
        w.step(1);
        QCOMPARE(w.cursor(), qsizetype(1));
    }

    void keysAndMouse()
    {
        TimelineWidget w;
        w.resize(1000, 120);
        fill(w, 101);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QSignalSpy moved(&w, &TimelineWidget::cursorMoved);
        QSignalSpy play(&w, &TimelineWidget::playPauseRequested);
        QCOMPARE(w.cursor(), qsizetype(0));
        QTest::keyClick(&w, Qt::Key_Right);
        QTest::keyClick(&w, Qt::Key_Right);
        QCOMPARE(w.cursor(), qsizetype(2));
        QTest::keyClick(&w, Qt::Key_Left);
        QCOMPARE(w.cursor(), qsizetype(1));
        QTest::keyClick(&w, Qt::Key_Space);
        QCOMPARE(play.size(), 1);

        // Click at the 70th event's x, then drag to the 30th's: the cursor follows the mouse.
        const int y = 40;
        const QPoint at70(qRound(w.timeToX(double(w.timeAt(70)))), y);
        const QPoint at30(qRound(w.timeToX(double(w.timeAt(30)))), y);
        QTest::mousePress(&w, Qt::LeftButton, {}, at70);
        QCOMPARE(w.cursor(), qsizetype(70));
        QMouseEvent move(QEvent::MouseMove, QPointF(at30), w.mapToGlobal(QPointF(at30)), Qt::NoButton, Qt::LeftButton, {});
        QApplication::sendEvent(&w, &move);
        QTest::mouseRelease(&w, Qt::LeftButton, {}, at30);
        QCOMPARE(w.cursor(), qsizetype(30));
        QCOMPARE(moved.last().at(0).value<qsizetype>(), qsizetype(30));

        // + zooms in around the cursor, which stays where it was on screen.
        const double cx = w.timeToX(double(w.timeAt(30)));
        const double span = w.viewSpan();
        QTest::keyClick(&w, Qt::Key_Plus);
        QVERIFY(w.viewSpan() < span);
        QVERIFY(qAbs(w.timeToX(double(w.timeAt(30))) - cx) < 1);

        // Stepping off the visible window scrolls it to keep the cursor in view.
        for (int i = 0; i < 60; ++i)
            QTest::keyClick(&w, Qt::Key_Right);
        QCOMPARE(w.cursor(), qsizetype(90));
        const double x = w.timeToX(double(w.timeAt(90)));
        QVERIFY(x >= 0 && x <= w.width());
    }

    void paintsManyEvents()
    {
        // A smoke check that 100k marks paint and leave marks in the lanes (timing is in bench/).
        TimelineWidget w;
        w.resize(800, 120);
        std::vector<qint64> ts;
        std::vector<quint16> kind;
        for (int i = 0; i < 100'000; ++i) {
            ts.push_back(qint64(i) * 1000);
            kind.push_back(quint16(i % 3));
        }
        w.setEvents(std::move(ts), std::move(kind),
                    {QStringLiteral("http.request"), QStringLiteral("http.response"), QStringLiteral("policy.refused")});
        QImage img(w.size(), QImage::Format_ARGB32_Premultiplied);
        QPainter p(&img);
        w.paintTo(p, w.rect());
        p.end();
        // The deny lane (4th) is filled across the middle of the marks area with its colour.
        const QColor deny = TimelineWidget::colorOf(TimelineWidget::Category::Deny);
        int hits = 0;
        for (int x = 120; x < 780; x += 10) {
            for (int y = 0; y < 120; ++y)
                hits += img.pixelColor(x, y) == deny ? 1 : 0;
        }
        QVERIFY2(hits > 60, qPrintable(QString::number(hits)));
    }
};

QTEST_MAIN(tst_TimelineWidget)
#include "tst_timelinewidget.moc"
