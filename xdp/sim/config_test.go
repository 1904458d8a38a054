package sim

import (
	"strings"
	"testing"
	"time"
)

// TestConfigErrors feeds New broken configs and checks that each error
// names the problem.
func TestConfigErrors(t *testing.T) {
	base := func() Config {
		return Config{
			Scopes: []Scope{{Name: "s"}},
			Clocks: []Clock{
				{Name: "gm", Role: RoleGrandmaster, MAC: "ec:46:70:00:00:01", Scope: "s"},
				{Name: "f", Role: RoleFollower, MAC: "a0:36:9f:00:00:02", Scope: "s"},
			},
		}
	}
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"unknown scope", func(c *Config) { c.Clocks[1].Scope = "nope" }, `clock "f" port 1: unknown scope "nope"`},
		{"duplicate clock", func(c *Config) { c.Clocks[1].Name = "gm" }, `clock "gm" defined twice`},
		{"duplicate scope", func(c *Config) { c.Scopes = append(c.Scopes, Scope{Name: "s", Domain: 1}) }, `scope "s" defined twice`},
		{"same scope twice", func(c *Config) { c.Scopes = append(c.Scopes, Scope{Name: "t"}) }, `scopes "s" and "t" are the same scope`},
		{"unknown segment", func(c *Config) { c.Scopes[0].Segment = "lan9" }, `unknown segment "lan9"`},
		{"no role", func(c *Config) { c.Clocks[1].Role = "" }, `clock "f" has no role`},
		{"bad role", func(c *Config) { c.Clocks[1].Role = "slave" }, `unknown role "slave"`},
		{"bad MAC", func(c *Config) { c.Clocks[0].MAC = "ec:46:70" }, `clock "gm": MAC "ec:46:70"`},
		{"multicast MAC", func(c *Config) { c.Clocks[0].MAC = "01:1b:19:00:00:00" }, `multicast MAC`},
		{"shared MAC", func(c *Config) { c.Clocks[1].MAC = c.Clocks[0].MAC }, `share MAC`},
		{"bad identity", func(c *Config) { c.Clocks[0].ClockIdentity = "xyz" }, `clock identity "xyz"`},
		{"bad IPv4", func(c *Config) { c.Clocks[0].IPv4 = "fd00::1" }, `not an IPv4 address`},
		{"sync interval", func(c *Config) { c.Scopes[0].LogSyncInterval = -8 }, `log_sync_interval -8 out of range`},
		{"announce interval", func(c *Config) { c.Scopes[0].LogAnnounceInterval = 9 }, `log_announce_interval 9 out of range`},
		{"delay req interval", func(c *Config) { c.Scopes[0].LogMinDelayReqInterval = 8 }, `log_min_delay_req_interval 8`},
		{"receipt timeout", func(c *Config) { c.Scopes[0].AnnounceReceiptTimeout = 1 }, `announce_receipt_timeout 1`},
		{"version", func(c *Config) { c.Scopes[0].Version = 3 }, `PTP version 3`},
		{"minor version", func(c *Config) { c.Scopes[0].MinorVersion = 2 }, `minor version 2`},
		{"transport", func(c *Config) { c.Scopes[0].Transport = "tcp" }, `unknown transport "tcp"`},
		{"delay mechanism", func(c *Config) { c.Scopes[0].Delay = "e2p" }, `unknown delay mechanism "e2p"`},
		{"v1 over L2", func(c *Config) { c.Scopes[0].Version, c.Scopes[0].Transport = 1, L2 }, `PTPv1 runs over UDPv4 only`},
		{"v1 domain", func(c *Config) { c.Scopes[0].Version, c.Scopes[0].Domain = 1, 4 }, `belong to PTPv2 scopes`},
		{"v2 subdomain", func(c *Config) { c.Scopes[0].Subdomain = "_ALT1" }, `subdomain names belong to PTPv1`},
		{"long subdomain", func(c *Config) { c.Scopes[0].Version, c.Scopes[0].Subdomain = 1, "a-very-long-subdomain" }, `longer than 16 octets`},
		{"VLAN ID", func(c *Config) { c.Scopes[0].VLANs = []VLAN{{ID: 4095}} }, `VLAN ID 4095 out of range`},
		{"VLAN PCP", func(c *Config) { c.Scopes[0].VLANs = []VLAN{{ID: 5, PCP: 8}} }, `priority 8 out of range`},
		{"VLAN TPID", func(c *Config) { c.Scopes[0].VLANs = []VLAN{{ID: 5, TPID: 0x0800}} }, `TPID 0x0800`},
		{"too many VLANs", func(c *Config) { c.Scopes[0].VLANs = make([]VLAN, 5) }, `5 VLAN tags, at most 4`},
		{"no port", func(c *Config) { c.Clocks[1].Scope = "" }, `clock "f" has no port`},
		{"scope and ports", func(c *Config) { c.Clocks[1].Ports = []Port{{Scope: "s"}} }, `either scope or ports`},
		{"two follower ports", func(c *Config) {
			c.Scopes = append(c.Scopes, Scope{Name: "t", Domain: 1})
			c.Clocks[1].Scope = ""
			c.Clocks[1].Ports = []Port{{Scope: "s"}, {Scope: "t"}}
		}, `a follower has exactly one port, not 2`},
		{"hybrid P2P", func(c *Config) { c.Scopes[0].Delay, c.Clocks[1].DelayMode = P2P, Hybrid }, `hybrid delay mode needs a PTPv2 E2E scope`},
		{"bad delay mode", func(c *Config) { c.Clocks[1].DelayMode = "anycast" }, `unknown delay mode "anycast"`},
		{"no master", func(c *Config) { c.Clocks = c.Clocks[1:] }, `scope "s": follower "f" has no clock that can be master`},
		{"BC without slave", func(c *Config) {
			c.Scopes = append(c.Scopes, Scope{Name: "t", Domain: 1})
			c.Clocks = append(c.Clocks, Clock{Name: "bc", Role: RoleBoundary, MAC: "28:99:3a:00:00:03",
				Ports: []Port{{Scope: "s", Role: PortRoleMaster}, {Scope: "t", Role: PortRoleMaster}}})
		}, `needs one slave port and at least one master port`},
		{"BC loop", func(c *Config) {
			c.Scopes = append(c.Scopes, Scope{Name: "t", Domain: 1})
			c.Clocks = append(c.Clocks,
				Clock{Name: "bc1", Role: RoleBoundary, MAC: "28:99:3a:00:00:03",
					Ports: []Port{{Scope: "s", Role: PortRoleSlave}, {Scope: "t", Role: PortRoleMaster}}},
				Clock{Name: "bc2", Role: RoleBoundary, MAC: "28:99:3a:00:00:04",
					Ports: []Port{{Scope: "t", Role: PortRoleSlave}, {Scope: "s", Role: PortRoleMaster}}})
		}, `boundary clocks form a loop`},
		{"two TCs", func(c *Config) {
			c.Clocks = append(c.Clocks,
				Clock{Name: "tc1", Role: RoleTransparent, MAC: "00:1b:0d:00:00:03", Scope: "s"},
				Clock{Name: "tc2", Role: RoleTransparent, MAC: "00:1b:0d:00:00:04", Scope: "s"})
		}, `one transparent clock per scope`},
		{"v1 TC", func(c *Config) {
			c.Scopes[0].Version = 1
			c.Clocks = append(c.Clocks, Clock{Name: "tc", Role: RoleTransparent, MAC: "00:1b:0d:00:00:03", Scope: "s"})
		}, `transparent clocks are PTPv2 only`},
		{"path delay", func(c *Config) { c.Clocks[1].PathDelay = Duration(2 * time.Millisecond) }, `path delay 2ms outside 0-1ms`},
		{"action clock", func(c *Config) { c.Scenario.Actions = []Action{Stop(time.Second, "ghost")} }, `unknown clock "ghost"`},
		{"action kind", func(c *Config) { c.Scenario.Actions = []Action{{Kind: "explode", Clock: "gm"}} }, `unknown action kind`},
		{"action time", func(c *Config) { c.Scenario.Actions = []Action{Stop(-time.Second, "gm")} }, `negative time`},
		{"failover of follower", func(c *Config) { c.Scenario.Actions = []Action{GrandmasterFailover(time.Second, "f")} }, `is a follower, not a grandmaster`},
		{"failover target", func(c *Config) { c.Scenario.Actions = []Action{{Kind: ActGrandmasterFailover}} }, `needs a clock or a scope`},
		{"class zero", func(c *Config) { c.Scenario.Actions = []Action{ClockClassChange(time.Second, "gm", 0, 0)} }, `needs a clock class`},
		{"rogue follower", func(c *Config) { c.Scenario.Actions = []Action{RogueMaster(time.Second, "f", 1)} }, `a rogue master must be`},
		{"duplicate self", func(c *Config) { c.Scenario.Actions = []Action{DuplicateClockIdentity(time.Second, "f", "f")} }, `cannot duplicate itself`},
		{"gap message", func(c *Config) { c.Scenario.Actions = []Action{SequenceGap(time.Second, "gm", "Follow_Up", 3)} }, `does not start a sequence`},
		{"gap count", func(c *Config) { c.Scenario.Actions = []Action{SequenceGap(time.Second, "gm", "Sync", 0)} }, `count 0 outside`},
		{"repeat", func(c *Config) {
			c.Scenario = Scenario{Repeat: Duration(time.Second), Actions: []Action{Stop(2*time.Second, "gm")}}
		}, `later than the last action`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base()
			tc.change(&cfg)
			_, err := New(cfg, Options{})
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want %q", err, tc.want)
			}
		})
	}
	if _, err := New(base(), Options{}); err != nil {
		t.Fatalf("base config: %v", err)
	}
	if _, err := New(base(), Options{Duration: -1}); err == nil {
		t.Error("negative duration accepted")
	}
}

// TestConfigErrorsAll checks that New reports every problem at once.
func TestConfigErrorsAll(t *testing.T) {
	cfg := Config{
		Scopes: []Scope{{Name: "s", LogSyncInterval: 20}},
		Clocks: []Clock{{Name: "x", Role: "nope", MAC: "zz", Scope: "t"}},
	}
	_, err := New(cfg, Options{})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"log_sync_interval 20", `unknown role "nope"`, `MAC "zz"`, `unknown scope "t"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestDemoConfigValid(t *testing.T) {
	if _, err := New(scriptedDemo(), Options{}); err != nil {
		t.Fatal(err)
	}
}
