#pragma once

// A real gatehoused and tests/support/upstream.py for the editor tests, with the main window
// attached to it as the admin.

#include "GatewayLink.h"
#include "MainWindow.h"
#include "ResourcePage.h"
#include "support/DaemonProcess.h"
#include "support/TestTools.h"

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QTableView>
#include <QTest>

#include <memory>

namespace gh::test {

class EditorsTestGateway final {
public:
    bool start(QString *why)
    {
        if (!m_upstream.start()) {
            *why = QStringLiteral("the test upstream did not start");
            return false;
        }
        m_daemon.setEnvironment(QStringLiteral("GH_UI_KEY"), QStringLiteral("ui-secret-value"));
        if (!m_daemon.start()) {
            *why = m_daemon.error();
            return false;
        }
        window = std::make_unique<MainWindow>();
        window->link()->setProbeInterval(std::chrono::milliseconds(200));
        window->link()->attachRemote(QUrl(m_daemon.adminUrl()), QString::fromLatin1(m_daemon.adminToken()));
        window->show();
        return true;
    }

    DaemonProcess &daemon() { return m_daemon; }
    QByteArray upstreamUrl() const { return m_upstream.url(); }

    DaemonProcess::Reply get(const QString &path) const { return m_daemon.request("GET", path, m_daemon.adminToken()); }

    // The row showing the resource `name` in the page's table, or -1.
    static int rowOf(ResourcePage *page, const QString &name)
    {
        for (int r = 0; r < page->view()->model()->rowCount(); ++r)
            if (page->view()->model()->index(r, 0).data().toString() == name)
                return r;
        return -1;
    }

    std::unique_ptr<MainWindow> window;

private:
    TestUpstream m_upstream;
    DaemonProcess m_daemon;
};

// Replaces what a line edit holds the way a user does: select all, type.
inline void retype(QLineEdit *edit, const QString &text)
{
    edit->selectAll();
    QTest::keyClick(edit, Qt::Key_Backspace);
    QTest::keyClicks(edit, text);
}

} // namespace gh::test
