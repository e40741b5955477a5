<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
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
