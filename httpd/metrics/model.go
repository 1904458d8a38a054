package metrics

import (
	"slices"
	"strconv"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state"
)

// ScopeLabels label every per-scope family.
var ScopeLabels = []string{"segment", "scope", "domain", "transport", "vlan"}

// InstanceLabels label every per-instance family.
var InstanceLabels = []string{"scope", "port_identity"}

func scopeLabels(extra ...string) []string { return append(slices.Clip(ScopeLabels), extra...) }

func instanceLabels(extra ...string) []string {
	return append(slices.Clip(InstanceLabels), extra...)
}

// scopeValues returns the values of ScopeLabels for sc, followed by extra.
func scopeValues(sc *state.Scope, extra ...string) []string {
	dom := sc.Subdomain
	if sc.DomainNumber != nil {
		dom = strconv.Itoa(int(*sc.DomainNumber))
	}
	vlan := ""
	if sc.VLAN != nil {
		vlan = strconv.Itoa(int(*sc.VLAN))
	}
	return append([]string{strconv.Itoa(int(sc.Segment)), sc.Name, dom, sc.Transport, vlan}, extra...)
}

// eachGM calls fn for every scope with a grandmaster.
func eachGM(s *state.Snapshot, e *Emitter, v func(g *state.GrandmasterInfo) float64) {
	for i := range s.Scopes {
		sc := &s.Scopes[i]
		if sc.Grandmaster != nil {
			e.Sample(v(sc.Grandmaster), scopeValues(sc)...)
		}
	}
}

// eachType calls fn for every message type an instance counts, in name
// order.
func eachType(s *state.Snapshot, fn func(in *state.Instance, typ string, c *state.TypeCounters)) {
	var keys []string
	// One variable for every call: a loop variable whose address goes to
	// fn escapes, which cost an allocation per instance and type.
	var c state.TypeCounters
	for i := range s.Instances {
		in := &s.Instances[i]
		if len(in.Counters) == 1 { // most followers: Delay_Req only
			for k, v := range in.Counters {
				c = v
				fn(in, k, &c)
			}
			continue
		}
		keys = keys[:0]
		for k := range in.Counters {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			c = in.Counters[k]
			fn(in, k, &c)
		}
	}
}

// typeCounter is a per-instance, per-message-type counter family.
func typeCounter(name, help string, v func(c *state.TypeCounters) uint64) Family[*state.Snapshot] {
	return Family[*state.Snapshot]{Name: name, Type: Counter, Help: help, Labels: instanceLabels("type"), PerInstance: true,
		Collect: func(s *state.Snapshot, e *Emitter) {
			eachType(s, func(in *state.Instance, typ string, c *state.TypeCounters) {
				e.Sample(float64(v(c)), in.Scope, in.PortIdentity, typ)
			})
		}}
}

// gmGauge is a per-scope gauge of the grandmaster's announced values.
func gmGauge(name, help string, v func(g *state.GrandmasterInfo) float64) Family[*state.Snapshot] {
	return Family[*state.Snapshot]{Name: name, Type: Gauge, Help: help, Labels: ScopeLabels,
		Collect: func(s *state.Snapshot, e *Emitter) { eachGM(s, e, v) }}
}

// flagNames are the Announce flags a grandmaster's timeProperties carry
// (the names gmInfo reports), in wire order.
var flagNames = func() (n []string) {
	for _, f := range decode.FlagNames {
		if f.Flag < decode.FlagAlternateMaster {
			n = append(n, f.Name)
		}
	}
	return n
}()

// Model is the registry of the PTP model's families, read from a
// snapshot.
var Model = Registry[*state.Snapshot]{
	{Name: "ptpwatch_model_frames_total", Type: Counter, Help: "Frames the model has taken in.",
		Collect: func(s *state.Snapshot, e *Emitter) { e.Sample(float64(s.Frames)) }},
	{Name: "ptpwatch_model_time_seconds", Type: Gauge, Unit: "seconds",
		Help:    "Capture time the model has reached (its last frame or tick), in seconds since the Unix epoch: time() minus it is the pipeline's lag behind live capture.",
		Collect: func(s *state.Snapshot, e *Emitter) { e.Sample(float64(s.Time) / 1e9) }},
	{Name: "ptpwatch_scope_info", Type: Info, Labels: scopeLabels("version"),
		Help: "One series per scope (segment, PTP version, domain or v1 subdomain, transport, VLAN), for joins; vlan is empty when untagged.",
		Collect: func(s *state.Snapshot, e *Emitter) {
			for i := range s.Scopes {
				sc := &s.Scopes[i]
				e.Sample(1, scopeValues(sc, strconv.Itoa(int(sc.VersionPTP)))...)
			}
		}},
	{Name: "ptpwatch_scope_grandmaster_info", Type: Info, Labels: scopeLabels("clock_identity", "vendor", "time_source"),
		Help: "The scope's grandmaster as announced: its clockIdentity, vendor from the OUI and timeSource.",
		Collect: func(s *state.Snapshot, e *Emitter) {
			for i := range s.Scopes {
				sc := &s.Scopes[i]
				if g := sc.Grandmaster; g != nil {
					e.Sample(1, scopeValues(sc, g.GrandmasterIdentity, g.Vendor, g.TimeSource)...)
				}
			}
		}},
	gmGauge("ptpwatch_scope_grandmaster_priority1", "The grandmaster's announced priority1.",
		func(g *state.GrandmasterInfo) float64 { return float64(g.Priority1) }),
	gmGauge("ptpwatch_scope_grandmaster_clock_class", "The grandmaster's announced clockClass (6: locked to a primary reference; 7, 52, 187: holdover or degraded; 248: default; 255: follower-only).",
		func(g *state.GrandmasterInfo) float64 { return float64(g.ClockClass) }),
	gmGauge("ptpwatch_scope_grandmaster_clock_accuracy", "The grandmaster's announced clockAccuracy code (0x20 = 32: within 25 ns, 0x21 = 33: 100 ns, ..., 0xFE = 254: unknown).",
		func(g *state.GrandmasterInfo) float64 { return float64(g.ClockAccuracy) }),
	gmGauge("ptpwatch_scope_grandmaster_offset_scaled_log_variance", "The grandmaster's announced offsetScaledLogVariance.",
		func(g *state.GrandmasterInfo) float64 { return float64(g.OffsetScaledLogVariance) }),
	gmGauge("ptpwatch_scope_grandmaster_priority2", "The grandmaster's announced priority2.",
		func(g *state.GrandmasterInfo) float64 { return float64(g.Priority2) }),
	gmGauge("ptpwatch_scope_grandmaster_current_utc_offset_seconds", "The grandmaster's announced currentUtcOffset (TAI minus UTC).",
		func(g *state.GrandmasterInfo) float64 { return float64(g.CurrentUTCOffset) }),
	{Name: "ptpwatch_scope_grandmaster_flag", Type: StateSet, Labels: scopeLabels("flag"),
		Help: "The grandmaster's announced time property flags (leap61, leap59, currentUtcOffsetValid, ptpTimescale, timeTraceable, frequencyTraceable): 1 when set.",
		Collect: func(s *state.Snapshot, e *Emitter) {
			for i := range s.Scopes {
				sc := &s.Scopes[i]
				if g := sc.Grandmaster; g != nil {
					for _, f := range flagNames {
						e.Sample(Bool(slices.Contains(g.Flags, f)), scopeValues(sc, f)...)
					}
				}
			}
		}},
	{Name: "ptpwatch_scope_grandmaster_changes_total", Type: Counter, Labels: ScopeLabels,
		Help: "Times the scope's grandmaster changed to another clock.",
		Collect: func(s *state.Snapshot, e *Emitter) {
			for i := range s.Scopes {
				e.Sample(float64(s.Scopes[i].GMChanges), scopeValues(&s.Scopes[i])...)
			}
		}},
	{Name: "ptpwatch_scope_masters", Type: Gauge, Labels: ScopeLabels,
		Help: "Instances of the scope in MASTER state and not silent.",
		Collect: func(s *state.Snapshot, e *Emitter) {
			for i := range s.Scopes {
				e.Sample(float64(s.Scopes[i].Masters), scopeValues(&s.Scopes[i])...)
			}
		}},
	{Name: "ptpwatch_scope_followers", Type: Gauge, Labels: ScopeLabels,
		Help: "Instances of the scope in SLAVE or UNCALIBRATED state.",
		Collect: func(s *state.Snapshot, e *Emitter) {
			for i := range s.Scopes {
				e.Sample(float64(s.Scopes[i].Followers), scopeValues(&s.Scopes[i])...)
			}
		}},
	{Name: "ptpwatch_packets_total", Type: Counter, Labels: scopeLabels("type"),
		Help: "PTP messages seen, by scope and messageType.",
		Collect: func(s *state.Snapshot, e *Emitter) {
			for i := range s.Scopes {
				sc := &s.Scopes[i]
				for _, k := range sortedKeys(sc.Counts) {
					e.Sample(float64(sc.Counts[k]), scopeValues(sc, k)...)
				}
			}
		}},
	{Name: "ptpwatch_scope_messages_per_second", Type: Gauge, Labels: scopeLabels("type"),
		Help: "PTP messages of the scope in the last whole second, by messageType.",
		Collect: func(s *state.Snapshot, e *Emitter) {
			for i := range s.Scopes {
				sc := &s.Scopes[i]
				for _, k := range sortedKeys(sc.Rates) {
					e.Sample(float64(sc.Rates[k]), scopeValues(sc, k)...)
				}
			}
		}},
	{Name: "ptpwatch_instances", Type: Gauge, Labels: []string{"scope", "state"},
		Help: "Instances (one port's session in one scope), by scope and portState.",
		Collect: func(s *state.Snapshot, e *Emitter) {
			type key struct {
				scope string
				st    state.PortState
			}
			n := map[key]int{}
			for i := range s.Instances {
				n[key{s.Instances[i].Scope, s.Instances[i].PortState}]++
			}
			keys := make([]key, 0, len(n))
			for k := range n {
				keys = append(keys, k)
			}
			slices.SortFunc(keys, func(a, b key) int {
				if a.scope != b.scope {
					if a.scope < b.scope {
						return -1
					}
					return 1
				}
				return int(a.st) - int(b.st)
			})
			for _, k := range keys {
				e.Sample(float64(n[k]), k.scope, k.st.String())
			}
		}},

	// Per instance.
	{Name: "ptpwatch_instance_port_state", Type: StateSet, Labels: instanceLabels("state"), PerInstance: true,
		Help: "The instance's portState as a state set: one series per state (INITIALIZING to SLAVE), 1 for the current one; all 0 while the state is unknown.",
		Collect: func(s *state.Snapshot, e *Emitter) {
			for i := range s.Instances {
				in := &s.Instances[i]
				for st := state.StateInitializing; st <= state.StateSlave; st++ {
					e.Sample(Bool(in.PortState == st), in.Scope, in.PortIdentity, st.String())
				}
			}
		}},
	{Name: "ptpwatch_instance_port_state_source_info", Type: Info, Labels: instanceLabels("source"), PerInstance: true,
		Help: "Where the instance's portState came from: inferred from its traffic, or reported by the node through management (PORT_DATA_SET).",
		Collect: func(s *state.Snapshot, e *Emitter) {
			for i := range s.Instances {
				in := &s.Instances[i]
				e.Sample(1, in.Scope, in.PortIdentity, string(in.StateSource))
			}
		}},
	{Name: "ptpwatch_instance_steps_removed", Type: Gauge, Labels: InstanceLabels, PerInstance: true,
		Help: "stepsRemoved of the instance's last Announce (masters only).",
		Collect: func(s *state.Snapshot, e *Emitter) {
			for i := range s.Instances {
				if in := &s.Instances[i]; in.Announce != nil {
					e.Sample(float64(in.Announce.StepsRemoved), in.Scope, in.PortIdentity)
				}
			}
		}},
	{Name: "ptpwatch_instance_parent_info", Type: Info, Labels: instanceLabels("parent_port_identity", "grandmaster_identity"), PerInstance: true,
		Help: "The master a follower was seen following (from Delay_Resp naming it) and the scope's grandmaster.",
		Collect: func(s *state.Snapshot, e *Emitter) {
			for i := range s.Instances {
				if in := &s.Instances[i]; in.Parent != "" {
					e.Sample(1, in.Scope, in.PortIdentity, in.Parent, in.Grandmaster)
				}
			}
		}},
	typeCounter("ptpwatch_instance_messages_total", "Messages the instance sent, by messageType.",
		func(c *state.TypeCounters) uint64 { return c.Count }),
	typeCounter("ptpwatch_instance_sequence_gaps_total", "Gaps in the instance's sequenceId, by messageType (each gap may miss several ids).",
		func(c *state.TypeCounters) uint64 { return c.SequenceGaps }),
	typeCounter("ptpwatch_instance_sequence_ids_missing_total", "sequenceIds the instance skipped, by messageType.",
		func(c *state.TypeCounters) uint64 { return c.SequenceLost }),
	typeCounter("ptpwatch_instance_duplicate_messages_total", "Messages repeating the previous sequenceId, by messageType.",
		func(c *state.TypeCounters) uint64 { return c.Duplicates }),
	typeCounter("ptpwatch_instance_reordered_messages_total", "Messages arriving with an older sequenceId than one already seen, by messageType.",
		func(c *state.TypeCounters) uint64 { return c.Reordered }),
	{Name: "ptpwatch_instance_interval_compliant", Type: Gauge, Labels: instanceLabels("type"), PerInstance: true,
		Help: "1 when the mean measured interval of a periodic messageType (Sync, Announce, Pdelay_Req) is within 30 % of the one logMessageInterval announces, else 0.",
		Collect: func(s *state.Snapshot, e *Emitter) {
			eachType(s, func(in *state.Instance, typ string, c *state.TypeCounters) {
				if c.Compliant != nil {
					e.Sample(Bool(*c.Compliant), in.Scope, in.PortIdentity, typ)
				}
			})
		}},
	{Name: "ptpwatch_instance_mean_interval_seconds", Type: Gauge, Unit: "seconds", Labels: instanceLabels("type"), PerInstance: true,
		Help: "Mean measured interval between the instance's messages, by messageType.",
		Collect: func(s *state.Snapshot, e *Emitter) {
			eachType(s, func(in *state.Instance, typ string, c *state.TypeCounters) {
				if c.MeanIntervalNs > 0 {
					e.Sample(c.MeanIntervalNs/1e9, in.Scope, in.PortIdentity, typ)
				}
			})
		}},
	{Name: "ptpwatch_instance_expected_interval_seconds", Type: Gauge, Unit: "seconds", Labels: instanceLabels("type"), PerInstance: true,
		Help: "Interval the instance's logMessageInterval announces, by periodic messageType.",
		Collect: func(s *state.Snapshot, e *Emitter) {
			eachType(s, func(in *state.Instance, typ string, c *state.TypeCounters) {
				if c.ExpectedNs > 0 {
					e.Sample(float64(c.ExpectedNs)/1e9, in.Scope, in.PortIdentity, typ)
				}
			})
		}},
	{Name: "ptpwatch_instance_silent", Type: Gauge, Labels: InstanceLabels, PerInstance: true,
		Help: "1 when the instance stopped announcing for announceReceiptTimeout (3) of its announced intervals, or announces without sending Sync.",
		Collect: func(s *state.Snapshot, e *Emitter) {
			for i := range s.Instances {
				in := &s.Instances[i]
				e.Sample(Bool(in.Silent), in.Scope, in.PortIdentity)
			}
		}},
	{Name: "ptpwatch_instance_last_seen_timestamp_seconds", Type: Gauge, Unit: "seconds", Labels: InstanceLabels, PerInstance: true,
		Help: "Capture time of the instance's last message, in seconds since the Unix epoch.",
		Collect: func(s *state.Snapshot, e *Emitter) {
			for i := range s.Instances {
				in := &s.Instances[i]
				e.Sample(float64(in.LastSeen)/1e9, in.Scope, in.PortIdentity)
			}
		}},
	{Name: "ptpwatch_master_offset_seconds", Type: Gauge, Unit: "seconds", Labels: InstanceLabels, PerInstance: true,
		Help: "Last offset of a master from ptpwatch's capture clock: originTimestamp plus correctionField minus capture time. Not corrected for path delay, so it includes the one-way delay from the master (and any capture clock error).",
		Collect: func(s *state.Snapshot, e *Emitter) {
			for i := range s.Instances {
				if in := &s.Instances[i]; in.Offset != nil {
					e.Sample(float64(in.Offset.LastNs)/1e9, in.Scope, in.PortIdentity)
				}
			}
		}},
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
