package decode

import "strings"

// The names of this package's enums are the line comments of their
// constants, turned into code by stringer (golang.org/x/tools/cmd/stringer,
// pinned by go.mod's tool directive) and committed, so a build needs
// nothing but Go. `go generate ./decode` rewrites them after a constant
// changes; it needs no clang.
//
// stringer names a value without a constant "Type(n)". HostOrder and
// Transport read that way, so stringer's String is theirs as generated.
// The others read RESERVED(n), Reserved(n), UNKNOWN(n) or a range name,
// as IEEE 1588, linuxptp and Wireshark print them: for those the generated
// method is renamed name, and a one-line String hands unknown values to
// enumName or its own rule.
//
//go:generate go tool stringer -linecomment -output names_string.go -type HostOrder,Transport
//go:generate go tool stringer -linecomment -output names_lookup_string.go -type PortState,DelayMechanism,NetworkProtocol,LinuxTimestamping,UnicastStateNP,PowerProfileVersion,TimeSource,ManagementAction,V1Control,V1MessageType,V1PortState,V1ManagementKey
//go:generate sed -i -E "s/^func [(]i ([A-Za-z0-9]+)[)] String[(][)] string/func (i \\1) name() string/" names_lookup_string.go

// enumName returns name, a generated name, with the prefix stringer gives a
// value without a constant (such as "PortState(") replaced by ours (such as
// "RESERVED("). It does not allocate for a value with a constant.
func enumName(name, stringerPrefix, prefix string) string {
	if strings.HasPrefix(name, stringerPrefix) {
		return prefix + name[len(stringerPrefix):]
	}
	return name
}

// unnamed reports whether name is stringer's name for a value without a
// constant, whose prefix is stringerPrefix.
func unnamed(name, stringerPrefix string) bool { return strings.HasPrefix(name, stringerPrefix) }
