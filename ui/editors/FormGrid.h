#pragma once

#include <QGridLayout>
#include <QHash>
#include <QLabel>
#include <QString>
#include <QWidget>

namespace gh::editors {

// A two-column form (label, field) on a QGridLayout whose rows can be hidden. Not QFormLayout:
// its setRowVisible() in Qt 6.4 writes past its row table in heightForWidth() once word-wrapped
// labels are in the form (valgrind: invalid writes, then heap corruption and crashes on close).
class FormGrid final {
public:
    explicit FormGrid(QGridLayout *grid) : m_grid(grid) { m_grid->setColumnStretch(1, 1); }

    QGridLayout *layout() const { return m_grid; }

    // `label` may be empty. A mnemonic in it focuses the field (or the field's focus proxy).
    void addRow(const QString &label, QWidget *field)
    {
        const int row = m_grid->rowCount();
        m_grid->addWidget(field, row, 1);
        if (label.isEmpty())
            return;   // no label widget: a row whose field is hidden takes no space
        auto *l = new QLabel(label, field->parentWidget());
        l->setBuddy(field);
        m_grid->addWidget(l, row, 0, Qt::AlignRight | Qt::AlignTop);
        m_labels.insert(field, l);
    }

    void setRowVisible(QWidget *field, bool visible)
    {
        field->setVisible(visible);
        if (QLabel *l = m_labels.value(field))
            l->setVisible(visible);
    }

private:
    QGridLayout *m_grid;
    QHash<QWidget *, QLabel *> m_labels;
};

} // namespace gh::editors
