# ptpwatch build and test entry points. `make test` is what CI runs.
SHELL := /bin/bash
GO ?= go
FUZZTIME ?= 30s

.PHONY: all build run test deps vet bench fuzz generate soak steady clean man install

# The version --version, /api/v1/status and the UI show.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS := -X github.com/ptpwatch/ptpwatch/httpd.version=$(VERSION)
# `make install` puts the binary in $(DESTDIR)$(PREFIX)/bin, the man page in
# $(DESTDIR)$(PREFIX)/share/man/man8, the systemd unit in
# $(DESTDIR)$(UNITDIR) and, unless one is there, the default configuration
# in $(DESTDIR)$(CONFDIR)/ptpwatch.toml.
PREFIX ?= /usr/local
UNITDIR ?= /etc/systemd/system
CONFDIR ?= /etc/ptpwatch
# Where build puts the binary and man puts the page.
OUT ?= bin

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(OUT)/ptpwatch .

# The man page is the help text, formatted (tools/mangen).
man: build
	$(OUT)/ptpwatch --help | $(GO) run ./tools/mangen -version "$(VERSION)" > $(OUT)/ptpwatch.8

install: build man
	install -D -m 0755 $(OUT)/ptpwatch $(DESTDIR)$(PREFIX)/bin/ptpwatch
	install -D -m 0644 $(OUT)/ptpwatch.8 $(DESTDIR)$(PREFIX)/share/man/man8/ptpwatch.8
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/local/bin/ptpwatch|$(PREFIX)/bin/ptpwatch|; s|/etc/ptpwatch/|$(CONFDIR)/|' tools/systemd/ptpwatch.service > $(DESTDIR)$(UNITDIR)/ptpwatch.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/ptpwatch.service
	install -d $(DESTDIR)$(CONFDIR)
	test -e $(DESTDIR)$(CONFDIR)/ptpwatch.toml || $(OUT)/ptpwatch -O > $(DESTDIR)$(CONFDIR)/ptpwatch.toml

# The appliance on its built-in demo network. Needs nothing beyond Go.
run: build
	$(OUT)/ptpwatch --demo

# Installs the test peers and oracles when missing and running as root:
# tshark is the decoding oracle, linuxptp and ptpd are real PTP daemons,
# capsh runs them without the right to set the shared clock, ip builds
# their network namespaces; tcpdump, ethtool and wrk serve the capture and
# HTTP benchmarks; prometheus (promtool and the server) checks /metrics,
# the alerting rules and a real scrape; rsyslog, snmptrapd, smitools and
# python3-aiosmtpd receive notifications; chromium (driven by playwright-core from npm, which the
# UI test installs into httpd/uitest/node_modules) runs the browser tests.
deps:
	@missing=""; \
	command -v tshark >/dev/null || missing="$$missing tshark"; \
	command -v ptp4l >/dev/null || missing="$$missing linuxptp"; \
	command -v ptpd >/dev/null || missing="$$missing ptpd"; \
	command -v capsh >/dev/null || missing="$$missing libcap2-bin"; \
	command -v ip >/dev/null || missing="$$missing iproute2"; \
	command -v tcpdump >/dev/null || missing="$$missing tcpdump"; \
	command -v ethtool >/dev/null || missing="$$missing ethtool"; \
	command -v wrk >/dev/null || missing="$$missing wrk"; \
	command -v promtool >/dev/null || missing="$$missing prometheus"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	command -v rsyslogd >/dev/null || missing="$$missing rsyslog rsyslog-gnutls"; \
	command -v snmptrapd >/dev/null || missing="$$missing snmptrapd snmp"; \
	command -v smilint >/dev/null || missing="$$missing smitools"; \
	[ -f /usr/lib/python3/dist-packages/aiosmtpd/__init__.py ] || missing="$$missing python3-aiosmtpd"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing:$$missing"; \
			export DEBIAN_FRONTEND=noninteractive; \
			apt-get update -q >/dev/null && apt-get install -y -q $$missing >/dev/null || echo "warning: could not install$$missing; tests that need them will skip"; \
		else \
			echo "note:$$missing missing and not root; tests that need them will skip"; \
		fi; \
	fi

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

# Ends with every skipped test and why (tools/testsummary); fails when any
# test failed.
test: deps vet
	set -o pipefail; { $(GO) test -count=1 -timeout 45m -json ./...; cd bench && $(GO) vet ./... && $(GO) test -count=1 -timeout 45m -json ./...; } | $(GO) run ./tools/testsummary

# Benchmarks against peers measured in the same run; prints the README table.
bench: deps
	cd bench && $(GO) test -run '^$$' -bench . -benchmem -count 5 ./... | tee bench.txt
	cd bench && $(GO) run ./benchtable < bench.txt

# The appliance on the demo with 5,000 followers for SOAK_DURATION under 200
# API clients and a password-guessing flood (tools/soak); not part of make test.
SOAK_DURATION ?= 10m
soak: build
	$(GO) run ./tools/soak -duration $(SOAK_DURATION)

# Issue #16's proof: a steady network of real ptp4l and ptpd captured live
# for STEADY_DURATION must give no finding above notice (as root; make test
# runs the same test for 60 s).
STEADY_DURATION ?= 10m
steady: deps
	PTPWATCH_STEADY=$(STEADY_DURATION) $(GO) test -count=1 -timeout 30m -v -run '^TestDaemonSteady$$' ./state/fault/

# Runs every fuzz target for FUZZTIME each, one at a time.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$t"; \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

# Regenerates the committed bpf2go output; needs clang and libbpf headers,
# installed here when missing and running as root.
generate:
	@command -v clang >/dev/null && [ -e /usr/include/bpf/bpf_helpers.h ] || { \
		[ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang libbpf-dev >/dev/null; } || \
		{ echo "make generate needs clang and libbpf-dev"; exit 1; }
	$(GO) generate ./...

clean:
	rm -rf bin
