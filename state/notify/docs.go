package notify

import (
	"fmt"
	"strings"
)

// KeyDoc documents one key of a channel table, for ptpwatch -O and -e.
type KeyDoc struct {
	Table, Key, Example, Doc string
}

// common keys every channel table has.
var commonDocs = []KeyDoc{
	{"", "name", `"noc"`, "The channel's name in the API, the log and notification IDs; default kind-N (webhook-1, ...). It names the channel's outbox, so keep it when editing the rest."},
	{"", "types", `["Grandmaster Changed", "Master Silent"]`, "Event types sent, named as GET /api/v1/events names them; empty: all."},
	{"", "min_severity", `"warning"`, "Least severity sent: info, notice, warning or critical; default info."},
	{"", "scopes", `["seg0 v2 domain 0 *"]`, "Scopes sent, by name or pattern ('*' any run of characters, '?' one); empty: all."},
	{"", "rate_per_minute", "0", "Deliveries per minute at most (a digest is one); 0: unlimited. What waits stays in the outbox."},
	{"", "burst", "1", "Deliveries allowed at once beyond the rate."},
	{"", "digest_after", "0", "When this many notifications wait, send them as one digest (one mail for 10,000 Device Detected); 0: never."},
	{"", "digest_max", "1000", "Most notifications in one digest."},
	{"", "dedup_seconds", "0", "Drop an event equal (type, scope, subject, values, detail) to one queued this many seconds before; 0: never."},
}

// tableDocs are the keys of each channel kind.
var tableDocs = []KeyDoc{
	{"webhook", "url", `"https://hooks.example.net/ptp"`, "Where to POST the JSON; any 2xx answer is a delivery, others are retried."},
	{"webhook", "format", `"ptpwatch"`, "\"ptpwatch\": our JSON with a \"text\" field chat tools show; \"alertmanager\": an array of alerts as Alertmanager's /api/v2/alerts takes."},
	{"webhook", "secret", `"..."`, "Shared secret: each request carries X-Ptpwatch-Signature: sha256=HMAC-SHA256(secret, X-Ptpwatch-Timestamp + \".\" + body). Write-only: never shown by the API or logged."},
	{"webhook", "ca_file", `""`, "PEM CA certificates to verify an https URL with, instead of the system's."},
	{"webhook", "insecure_skip_verify", "false", "Do not verify the https server's certificate."},
	{"syslog", "address", `"udp://syslog.example.net:514"`, "udp://host:port (RFC 5426, at most once), tcp://host:port (RFC 6587 octet counting) or tls://host:port (RFC 5425). Messages are RFC 5424 with structured data ptpwatch@32473."},
	{"syslog", "facility", `"local0"`, "Syslog facility: kern, user, daemon, auth, ..., local0 to local7."},
	{"syslog", "app_name", `"ptpwatch"`, "APP-NAME of the messages."},
	{"syslog", "ca_file", `""`, "PEM CA certificates to verify a tls:// receiver with."},
	{"syslog", "server_name", `""`, "Name to verify the tls:// receiver's certificate against; default the address's host."},
	{"syslog", "insecure_skip_verify", "false", "Do not verify the tls:// receiver's certificate."},
	{"smtp", "server", `"mail.example.net:587"`, "SMTP server host:port."},
	{"smtp", "tls", `"starttls"`, "\"starttls\" (required), \"tls\" (implicit TLS, as on port 465) or \"none\" (only without a password)."},
	{"smtp", "from", `"ptpwatch@example.net"`, "Sender address."},
	{"smtp", "to", `["noc@example.net"]`, "Recipients."},
	{"smtp", "username", `"ptpwatch"`, "User for SMTP authentication; give password with it."},
	{"smtp", "password", `"..."`, "Password for SMTP authentication. Write-only: never shown by the API or logged."},
	{"smtp", "auth", `""`, "Mechanism: plain, login, cram-md5, scram-sha-256, ...; default: the best the server offers."},
	{"smtp", "ca_file", `""`, "PEM CA certificates to verify the server with."},
	{"smtp", "insecure_skip_verify", "false", "Do not verify the server's certificate."},
	{"snmp", "target", `"nms.example.net:162"`, "Trap receiver host:port (port 162 when left out)."},
	{"snmp", "version", `"2c"`, "\"2c\" or \"3\" (USM authPriv)."},
	{"snmp", "inform", "false", "Send INFORMs (acknowledged, retried until answered) instead of traps (sent once)."},
	{"snmp", "community", `"public"`, "Community of version 2c. Write-only."},
	{"snmp", "retries", "3", "INFORM retransmissions within one attempt."},
	{"snmp", "timeout_ms", "2000", "INFORM wait for an answer per transmission."},
	{"snmp", "user", `"ptpwatch"`, "USM user of version 3."},
	{"snmp", "auth_protocol", `"SHA"`, "MD5, SHA, SHA224, SHA256, SHA384 or SHA512."},
	{"snmp", "auth_password", `"..."`, "USM authentication passphrase (at least 8 characters). Write-only."},
	{"snmp", "priv_protocol", `"AES"`, "DES, AES, AES192, AES256, AES192C or AES256C."},
	{"snmp", "priv_password", `"..."`, "USM privacy passphrase (at least 8 characters). Write-only."},
	{"snmp", "engine_id", `""`, "Our engine ID in hex, which receivers name for v3 traps (snmptrapd: createUser -e 0xID ...); default 80007ed904 + hex of \"ptpwatch\"."},
	{"agent", "listen", `""`, "UDP host:port of a read-only SNMP v1/v2c/v3 agent serving PTPWATCH-MIB's ptpwatchActiveAlarmTable (snmpwalk -v2c -c COMMUNITY -m +PTPWATCH-MIB HOST:PORT ptpwatchActiveAlarmTable, or -v3 -l authPriv -u USER -a SHA -A ... -x AES -X ...); empty: none. Port 161 needs privileges."},
	{"agent", "community", `"..."`, "v1/v2c community managers must give; requests with another get no answer (counted); empty: v1/v2c not answered. Write-only."},
	{"agent", "user", `""`, "SNMPv3 USM user managers must be, at authPriv only (a lower level, an unknown user, a wrong password or a request outside the 150 s time window gets RFC 3414's Report and is counted); empty: v3 not answered."},
	{"agent", "auth_protocol", `"SHA"`, "SHA (HMAC-SHA-96) or SHA256 (HMAC-SHA-256-192)."},
	{"agent", "auth_password", `"..."`, "USM authentication passphrase (at least 8 characters). Write-only."},
	{"agent", "priv_protocol", `"AES"`, "AES (AES-128-CFB, RFC 3826), the only one."},
	{"agent", "priv_password", `"..."`, "USM privacy passphrase (at least 8 characters). Write-only."},
	{"agent", "engine_id", `""`, "The agent's engine ID in hex (5 to 32 bytes), which managers discover; default 80007ed904 + hex of \"ptpwatch\"."},
}

// ConfigText returns commented examples of every channel table, for the
// end of ptpwatch -O's [notify] section.
func ConfigText() string {
	var b strings.Builder
	b.WriteString("# Notification channels: arrays of tables, any number of each, none by\n")
	b.WriteString("# default. Every table also takes these keys (filters and pacing):\n")
	for _, d := range commonDocs {
		fmt.Fprintf(&b, "#   %s = %s: %s\n", d.Key, d.Example, d.Doc)
	}
	table := ""
	for _, d := range tableDocs {
		if d.Table != table {
			table = d.Table
			if table == "agent" { // one table, not an array
				fmt.Fprintf(&b, "#\n# [notify.%s]\n", table)
			} else {
				fmt.Fprintf(&b, "#\n# [[notify.%s]]\n", table)
			}
		}
		fmt.Fprintf(&b, "# %s = %s\n#     %s\n", d.Key, d.Example, d.Doc)
	}
	return b.String()
}

// Explain describes key of channel table ("webhook", "syslog", "smtp",
// "snmp") or of [notify.agent] ("agent"), as ptpwatch -e
// notify.TABLE:KEY prints it.
func Explain(table, key string) (string, bool) {
	when := "SIGHUP applies it"
	for _, d := range tableDocs {
		if d.Table == table && d.Key == key {
			return fmt.Sprintf("notify.%s:%s (example %s, %s)\n%s\n", table, key, d.Example, when, d.Doc), true
		}
	}
	switch table {
	case "webhook", "syslog", "smtp", "snmp":
		for _, d := range commonDocs {
			if d.Key == key {
				return fmt.Sprintf("notify.%s:%s (example %s, %s)\n%s\n", table, key, d.Example, when, d.Doc), true
			}
		}
	}
	return "", false
}
