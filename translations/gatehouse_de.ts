<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>gh::ApprovalNotifier</name>
    <message>
        <source>%1 asks to use %2</source>
        <translation>%1 möchte %2 nutzen</translation>
    </message>
    <message>
        <source>%1 %2 (rule %3), %4 left</source>
        <translation>%1 %2 (Regel %3), noch %4</translation>
    </message>
    <message>
        <source>Justification: %1</source>
        <translation>Begründung: %1</translation>
    </message>
    <message>
        <source>Approve</source>
        <translation>Freigeben</translation>
    </message>
    <message>
        <source>Deny</source>
        <translation>Ablehnen</translation>
    </message>
</context>
<context>
    <name>gh::ApprovalsModel</name>
    <message>
        <source>not connected to a gateway</source>
        <translation>nicht mit einem Gateway verbunden</translation>
    </message>
    <message>
        <source>no limit</source>
        <translation>unbegrenzt</translation>
    </message>
    <message>
        <source>expiring</source>
        <translation>läuft ab</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 h %2 min</translation>
    </message>
    <message>
        <source>%1:%2</source>
        <translation>%1:%2</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 von %2</translation>
    </message>
    <message>
        <source>Requester</source>
        <translation>Anfragende Person</translation>
    </message>
    <message>
        <source>Connection</source>
        <translation>Verbindung</translation>
    </message>
    <message>
        <source>Request</source>
        <translation>Anfrage</translation>
    </message>
    <message>
        <source>Rule</source>
        <translation>Regel</translation>
    </message>
    <message>
        <source>Approvals</source>
        <translation>Freigaben</translation>
    </message>
    <message>
        <source>Time left</source>
        <translation>Verbleibende Zeit</translation>
    </message>
</context>
<context>
    <name>gh::ApprovalsPage</name>
    <message>
        <source>&amp;Deny…</source>
        <translation>&amp;Ablehnen…</translation>
    </message>
    <message>
        <source>(no body)</source>
        <translation>(kein Inhalt)</translation>
    </message>
    <message>
        <source>Approve &amp;once</source>
        <translation>&amp;Einmal freigeben</translation>
    </message>
    <message>
        <source>Approve for &amp;15 minutes</source>
        <translation>Für &amp;15 Minuten freigeben</translation>
    </message>
    <message>
        <source>Approve for 1 &amp;hour</source>
        <translation>Für 1 &amp;Stunde freigeben</translation>
    </message>
    <message>
        <source>Approve for &amp;a time of your choice…</source>
        <translation>Für eine &amp;gewählte Dauer freigeben…</translation>
    </message>
    <message>
        <source>A&amp;pprove</source>
        <translation>Frei&amp;geben</translation>
    </message>
    <message>
        <source>Who:</source>
        <translation>Wer:</translation>
    </message>
    <message>
        <source>Connection:</source>
        <translation>Verbindung:</translation>
    </message>
    <message>
        <source>Rule:</source>
        <translation>Regel:</translation>
    </message>
    <message>
        <source>Request:</source>
        <translation>Anfrage:</translation>
    </message>
    <message>
        <source>Body (masked):</source>
        <translation>Inhalt (maskiert):</translation>
    </message>
    <message>
        <source>Justification:</source>
        <translation>Begründung:</translation>
    </message>
    <message>
        <source>Approvals:</source>
        <translation>Freigaben:</translation>
    </message>
    <message>
        <source>Time left:</source>
        <translation>Verbleibende Zeit:</translation>
    </message>
    <message>
        <source>No requests are waiting for a decision.</source>
        <translation>Keine Anfrage wartet auf eine Entscheidung.</translation>
    </message>
    <message numerus="yes">
        <source>%n request(s) waiting for a decision.</source>
        <translation>
            <numerusform>%n Anfrage wartet auf eine Entscheidung.</numerusform>
            <numerusform>%n Anfragen warten auf eine Entscheidung.</numerusform>
        </translation>
    </message>
    <message>
        <source>Could not load the approvals: %1</source>
        <translation>Die Freigaben konnten nicht geladen werden: %1</translation>
    </message>
    <message>
        <source>%1 (groups: %2)</source>
        <translation>%1 (Gruppen: %2)</translation>
    </message>
    <message>
        <source>(none given)</source>
        <translation>(keine angegeben)</translation>
    </message>
    <message>
        <source>Sending…</source>
        <translation>Wird gesendet…</translation>
    </message>
    <message>
        <source>Approve for a while</source>
        <translation>Für eine Weile freigeben</translation>
    </message>
    <message>
        <source>Let this requester&apos;s matching requests through for (for example 30m or 4h, at most 24h):</source>
        <translation>Passende Anfragen dieser Person durchlassen für (zum Beispiel 30m oder 4h, höchstens 24h):</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a duration; write it like 30m or 4h.</source>
        <translation>„%1“ ist keine Dauer; schreiben Sie sie etwa als 30m oder 4h.</translation>
    </message>
    <message>
        <source>Deny request</source>
        <translation>Anfrage ablehnen</translation>
    </message>
    <message>
        <source>Why is it denied? The requester sees this.</source>
        <translation>Warum wird sie abgelehnt? Die anfragende Person sieht diese Begründung.</translation>
    </message>
    <message>
        <source>Approved; more approvers are needed.</source>
        <translation>Freigegeben; weitere Freigaben sind nötig.</translation>
    </message>
    <message>
        <source>Denied.</source>
        <translation>Abgelehnt.</translation>
    </message>
    <message>
        <source>Approved.</source>
        <translation>Freigegeben.</translation>
    </message>
    <message>
        <source>You cannot decide your own request.</source>
        <translation>Über die eigene Anfrage können Sie nicht entscheiden.</translation>
    </message>
    <message>
        <source>You may not decide this request: %1</source>
        <translation>Sie dürfen über diese Anfrage nicht entscheiden: %1</translation>
    </message>
    <message>
        <source>Already decided: %1</source>
        <translation>Bereits entschieden: %1</translation>
    </message>
    <message>
        <source>This request is gone.</source>
        <translation>Diese Anfrage gibt es nicht mehr.</translation>
    </message>
    <message>
        <source>The gateway did not answer: %1</source>
        <translation>Das Gateway hat nicht geantwortet: %1</translation>
    </message>
    <message>
        <source>HTTP %1: %2</source>
        <translation>HTTP %1: %2</translation>
    </message>
</context>
<context>
    <name>gh::ApprovalsTray</name>
    <message>
        <source>Gatehouse: no requests waiting</source>
        <translation>Gatehouse: keine Anfrage wartet</translation>
    </message>
    <message numerus="yes">
        <source>Gatehouse: %n request(s) waiting for approval</source>
        <translation>
            <numerusform>Gatehouse: %n Anfrage wartet auf Freigabe</numerusform>
            <numerusform>Gatehouse: %n Anfragen warten auf Freigabe</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>gh::ConnectionsModel</name>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>Typ</translation>
    </message>
    <message>
        <source>Upstream</source>
        <translation>Ziel</translation>
    </message>
    <message>
        <source>Allowed groups</source>
        <translation>Erlaubte Gruppen</translation>
    </message>
    <message>
        <source>Credential</source>
        <translation>Zugangsdaten</translation>
    </message>
    <message>
        <source>header %1</source>
        <translation>Header %1</translation>
    </message>
    <message>
        <source>user %1</source>
        <translation>Benutzer %1</translation>
    </message>
    <message>
        <source>none</source>
        <translation>keine</translation>
    </message>
</context>
<context>
    <name>gh::GatewayLink</name>
    <message>
        <source>Not connected</source>
        <translation>Nicht verbunden</translation>
    </message>
    <message>
        <source>Connecting to %1…</source>
        <translation>Verbinde mit %1 …</translation>
    </message>
    <message>
        <source>Starting gateway…</source>
        <translation>Gateway wird gestartet …</translation>
    </message>
    <message>
        <source>Connected to %1</source>
        <translation>Verbunden mit %1</translation>
    </message>
    <message>
        <source>%1 unreachable, retrying</source>
        <translation>%1 nicht erreichbar, neuer Versuch läuft</translation>
    </message>
    <message>
        <source>%1 unreachable, retrying (%2)</source>
        <translation>%1 nicht erreichbar, neuer Versuch läuft (%2)</translation>
    </message>
    <message>
        <source>not connected</source>
        <translation>nicht verbunden</translation>
    </message>
    <message>
        <source>health check answered HTTP %1</source>
        <translation>Zustandsprüfung antwortete mit HTTP %1</translation>
    </message>
    <message>
        <source>no answer</source>
        <translation>keine Antwort</translation>
    </message>
    <message>
        <source>the gateway did not start; see %1</source>
        <translation>das Gateway ist nicht gestartet; siehe %1</translation>
    </message>
    <message>
        <source>no gatehoused found to start</source>
        <translation>kein gatehoused zum Starten gefunden</translation>
    </message>
    <message>
        <source>cannot start %1: %2</source>
        <translation>%1 kann nicht gestartet werden: %2</translation>
    </message>
</context>
<context>
    <name>gh::LocalGateway</name>
    <message>
        <source>cannot create %1</source>
        <translation>%1 kann nicht angelegt werden</translation>
    </message>
</context>
<context>
    <name>gh::MainWindow</name>
    <message>
        <source>Gatehouse</source>
        <translation>Gatehouse</translation>
    </message>
    <message>
        <source>&amp;Connections</source>
        <translation>&amp;Verbindungen</translation>
    </message>
    <message>
        <source>R&amp;ules</source>
        <translation>&amp;Regeln</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Datei</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>&amp;Aktualisieren</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Hilfe</translation>
    </message>
    <message>
        <source>&amp;About Gatehouse</source>
        <translation>Ü&amp;ber Gatehouse</translation>
    </message>
    <message>
        <source>About Gatehouse</source>
        <translation>Über Gatehouse</translation>
    </message>
    <message>
        <source>Gatehouse %1
Admin and audit workstation for the Gatehouse security gateway.</source>
        <translation>Gatehouse %1
Verwaltungs- und Prüfarbeitsplatz für das Gatehouse-Sicherheits-Gateway.</translation>
    </message>
    <message>
        <source>&amp;Approvals</source>
        <translation>&amp;Freigaben</translation>
    </message>
</context>
<context>
    <name>gh::ResourcePage</name>
    <message>
        <source>&amp;Refresh</source>
        <translation>&amp;Aktualisieren</translation>
    </message>
    <message>
        <source>Gateway not reachable; showing the last list loaded.</source>
        <translation>Gateway nicht erreichbar; angezeigt wird die zuletzt geladene Liste.</translation>
    </message>
    <message>
        <source>Waiting for the gateway…</source>
        <translation>Warte auf das Gateway …</translation>
    </message>
    <message>
        <source>Could not load: %1</source>
        <translation>Laden fehlgeschlagen: %1</translation>
    </message>
    <message>
        <source>Could not load: the gateway sent an unexpected answer.</source>
        <translation>Laden fehlgeschlagen: das Gateway sandte eine unerwartete Antwort.</translation>
    </message>
    <message>
        <source>Entries: %1, updated %2</source>
        <translation>Einträge: %1, aktualisiert %2</translation>
    </message>
    <message>
        <source>HTTP %1</source>
        <translation>HTTP %1</translation>
    </message>
    <message>
        <source>HTTP %1: %2</source>
        <translation>HTTP %1: %2</translation>
    </message>
</context>
<context>
    <name>gh::RulesModel</name>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Art</translation>
    </message>
    <message>
        <source>Connections</source>
        <translation>Verbindungen</translation>
    </message>
    <message>
        <source>Groups</source>
        <translation>Gruppen</translation>
    </message>
    <message>
        <source>Match</source>
        <translation>Bedingung</translation>
    </message>
    <message>
        <source>Effect</source>
        <translation>Wirkung</translation>
    </message>
    <message>
        <source>deny</source>
        <translation>verweigern</translation>
    </message>
    <message>
        <source>approve</source>
        <translation>freigeben</translation>
    </message>
    <message>
        <source>mask</source>
        <translation>maskieren</translation>
    </message>
    <message>
        <source>refused with 403</source>
        <translation>abgewiesen mit 403</translation>
    </message>
    <message>
        <source>held until approved by %1 (%2 needed)</source>
        <translation>angehalten bis zur Freigabe durch %1 (%2 nötig)</translation>
    </message>
    <message>
        <source>%1 replaced by %2</source>
        <translation>%1 ersetzt durch %2</translation>
    </message>
</context>
<context>
    <name>main</name>
    <message>
        <source>Gatehouse desktop: the connections and rules of a Gatehouse gateway.
Without options it attaches to this machine&apos;s gateway and starts it when none answers.</source>
        <translation>Gatehouse Desktop: Verbindungen und Regeln eines Gatehouse-Gateways.
Ohne Optionen verbindet es sich mit dem Gateway dieses Rechners und startet es, wenn keines antwortet.</translation>
    </message>
    <message>
        <source>Attach to the gateway whose admin API is at &lt;url&gt;.</source>
        <translation>Mit dem Gateway verbinden, dessen Admin-API unter &lt;url&gt; liegt.</translation>
    </message>
    <message>
        <source>url</source>
        <translation>url</translation>
    </message>
    <message>
        <source>Authenticate to the admin API with &lt;token&gt;.</source>
        <translation>Bei der Admin-API mit &lt;token&gt; anmelden.</translation>
    </message>
    <message>
        <source>token</source>
        <translation>token</translation>
    </message>
    <message>
        <source>unexpected argument %1</source>
        <translation>unerwartetes Argument %1</translation>
    </message>
    <message>
        <source>--server: not an http(s) URL: %1</source>
        <translation>--server: keine http(s)-URL: %1</translation>
    </message>
</context>
</TS>
