#pragma once

#include <QByteArrayView>
#include <QList>
#include <QStringView>

namespace gh {

// The built-in masking detectors (builtinDetectorNames() in core lists the same names): the RE2
// pattern that finds a candidate and the check a candidate must also pass.
struct Detector {
    enum class Check {
        None,
        Luhn,        // credit_card: 13-19 digits with a valid Luhn check digit
        Mod97,       // iban: ISO 13616 mod-97 == 1, 15-34 characters
        BearerToken, // bearer_token: only the token after "Bearer " is replaced
        Ipv4,        // ipv4: not part of a longer dotted number (1.3.6.1.4.1 is an OID, not an address)
    };
    const char *name;     // "credit_card"
    const char *pattern;  // RE2, ASCII only, no capturing groups
    Check check;
    // What every match is known to look like, so MaskPlan can tell which detector produced a
    // candidate without running another regex, and StreamingMasker where no match can cross. Each
    // is a superset read off the pattern (RE2 class syntax: "A-Z0-9 ", '\\' escapes); a byte
    // missing from one would misattribute a match, so tst_maskplan checks them against matches.
    const char *first;    // bytes a match can start with
    const char *needs;    // a match contains at least one of these; "" when there is no such byte
    const char *alphabet; // every byte a match can contain
    int minLength;
    int maxLength;        // 0: unbounded
};

// nullptr when `name` is not a built-in detector.
const Detector *findDetector(QStringView name);

// All built-in detectors in the order of builtinDetectorNames().
QList<const Detector *> allDetectors();

// The checksums, exposed for tests; separators (' ', '-') are skipped.
bool luhnValid(QByteArrayView digits);
bool ibanValid(QByteArrayView iban);

} // namespace gh
