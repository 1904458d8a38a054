package httpd

import (
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/ptpwatch/ptpwatch/state"
)

// The wildcard walker. The snapshot's collections form a tree: the root
// holds collections keyed by id, members are structs whose JSON fields are
// children, maps are keyed by their keys and slices by index. A path
// segment picks a child; "*" picks every child of a collection, map or
// slice, in a stable order (collection order, sorted map keys, index).

// collection is a keyed, ordered set of members.
type collection struct {
	keys  []string
	vals  []any // *state.Scope (wrapped in scopeNode), *state.Device, *state.Instance, ...
	index map[string]int
}

func newCollection(n int) *collection {
	return &collection{keys: make([]string, 0, n), vals: make([]any, 0, n), index: make(map[string]int, n)}
}

func (c *collection) add(key string, v any) {
	c.index[key] = len(c.keys)
	c.keys = append(c.keys, key)
	c.vals = append(c.vals, v)
}

// scopeNode is a scope with its own collection of instances. As a whole it
// reads as the state.Scope, whose "instances" field is a count; walked
// into, "instances" is the collection.
type scopeNode struct {
	scope     *state.Scope
	instances *collection
}

// deviceView is a device with the operator's metadata, when there is any.
// It encodes as the state.Device's fields plus "metadata"; walked into,
// "metadata" is the record and other names are the device's fields.
type deviceView struct {
	*state.Device
	Metadata *DeviceMetadata `json:"metadata,omitempty"`
}

// portView is one PTP port, a clockIdentity and portNumber (the model's
// Port), with the instances it runs: one per scope it takes part in.
type portView struct {
	PortIdentity  string         `json:"portIdentity"`
	ClockIdentity string         `json:"clockIdentity"`
	PortNumber    uint16         `json:"portNumber"`
	MACs          []string       `json:"macs"`
	Addresses     []string       `json:"addresses"`
	Instances     []portInstance `json:"instances"`
	FirstSeen     int64          `json:"firstSeen"`
	LastSeen      int64          `json:"lastSeen"`
}

// portInstance is one of a port's instances, in brief; the whole of it is
// /api/v1/instances/{id}.
type portInstance struct {
	ID        uint32          `json:"id"`
	ScopeID   uint32          `json:"scopeId"`
	Scope     string          `json:"scope"`
	PortState state.PortState `json:"portState"`
	Parent    string          `json:"parentPortIdentity,omitempty"`
	Silent    bool            `json:"silent"`
}

// portsOf groups the snapshot's instances by port, in order of first
// appearance.
func portsOf(s *state.Snapshot) *collection {
	ports := newCollection(len(s.Instances))
	for i := range s.Instances {
		in := &s.Instances[i]
		j, ok := ports.index[in.PortIdentity]
		if !ok {
			ports.add(in.PortIdentity, &portView{PortIdentity: in.PortIdentity, ClockIdentity: in.ClockIdentity,
				PortNumber: in.PortNumber, MACs: []string{}, Addresses: []string{}, FirstSeen: in.FirstSeen})
			j = len(ports.vals) - 1
		}
		p := ports.vals[j].(*portView)
		if in.MAC != "" && !slices.Contains(p.MACs, in.MAC) {
			p.MACs = append(p.MACs, in.MAC)
		}
		if in.Address != "" && !slices.Contains(p.Addresses, in.Address) {
			p.Addresses = append(p.Addresses, in.Address)
		}
		p.Instances = append(p.Instances, portInstance{ID: in.ID, ScopeID: in.ScopeID, Scope: in.Scope,
			PortState: in.PortState, Parent: in.Parent, Silent: in.Silent})
		p.FirstSeen = min(p.FirstSeen, in.FirstSeen)
		p.LastSeen = max(p.LastSeen, in.LastSeen)
	}
	return ports
}

// tree indexes one snapshot, with the device metadata of one store
// generation.
type tree struct {
	snap      *state.Snapshot
	metaGen   uint64
	root      map[string]*collection
	scopeByID map[uint32]*state.Scope
	instByID  map[uint32]*state.Instance
	devices   map[string]*deviceView
	instByDev map[string][]*state.Instance // by clockIdentity

	cache   responseCache // encoded answers of walked paths
	checked atomic.Int64  // when the tree was last found current, Unix ns
}

func buildTree(s *state.Snapshot, meta map[string]DeviceMetadata, metaGen uint64) *tree {
	t := &tree{snap: s, metaGen: metaGen, root: map[string]*collection{},
		scopeByID: make(map[uint32]*state.Scope, len(s.Scopes)), instByID: make(map[uint32]*state.Instance, len(s.Instances)),
		devices: make(map[string]*deviceView, len(s.Devices)), instByDev: make(map[string][]*state.Instance, len(s.Devices))}
	perScope := map[uint32]*collection{}
	instances := newCollection(len(s.Instances))
	for i := range s.Instances {
		in := &s.Instances[i]
		k := strconv.FormatUint(uint64(in.ID), 10)
		instances.add(k, in)
		t.instByID[in.ID] = in
		t.instByDev[in.ClockIdentity] = append(t.instByDev[in.ClockIdentity], in)
		c := perScope[in.ScopeID]
		if c == nil {
			c = newCollection(0)
			perScope[in.ScopeID] = c
		}
		c.add(k, in)
	}
	scopes := newCollection(len(s.Scopes))
	for i := range s.Scopes {
		sc := &s.Scopes[i]
		c := perScope[sc.ID]
		if c == nil {
			c = newCollection(0)
		}
		scopes.add(strconv.FormatUint(uint64(sc.ID), 10), scopeNode{sc, c})
		t.scopeByID[sc.ID] = sc
	}
	devices := newCollection(len(s.Devices))
	for i := range s.Devices {
		d := &s.Devices[i]
		if d.Roles == nil || d.Ports == nil || d.Instances == nil {
			// Lists read as [], never null; the snapshot itself is not ours
			// to change.
			c := *d
			c.Roles, c.Ports, c.Instances = nonNil(c.Roles), nonNil(c.Ports), nonNil(c.Instances)
			d = &c
		}
		v := &deviceView{Device: d}
		if m, ok := meta[d.ClockIdentity]; ok {
			v.Metadata = &m
		}
		devices.add(d.ClockIdentity, v)
		t.devices[d.ClockIdentity] = v
	}
	t.root["scopes"], t.root["devices"], t.root["instances"] = scopes, devices, instances
	t.root["ports"] = portsOf(s)
	return t
}

// How the server keeps its tree current. Backend.Snapshot may take a
// while when the model is large (it merges the shards' published state),
// and a new snapshot means a new tree and new encodings of the paths
// clients ask for. Requests should not wait for that: they answer from the
// current tree as long as it was confirmed current within maxTreeAge, and
// kick a refresher goroutine that takes the next snapshot, builds its tree,
// encodes the paths asked for in the last hotPathAge into it, and only
// then makes it current.
const (
	maxTreeAge   = time.Second
	hotPathAge   = 2 * time.Second
	refreshPause = 50 * time.Millisecond // at most this often
	maxPrewarm   = 32                    // paths encoded ahead per refresh
)

// currentTree returns the tree to answer from.
func (s *Server) currentTree() *tree {
	t := s.tree.Load()
	if t == nil || t.metaGen != s.metadataStore().Generation() || time.Now().UnixNano()-t.checked.Load() > int64(maxTreeAge) {
		return s.treeFor(s.b.Snapshot())
	}
	s.refreshOnce.Do(func() { go s.refresher() })
	select {
	case s.refresh <- struct{}{}:
	default:
	}
	return t
}

// treeFor returns the index of snap, building it now when snap or the
// metadata is new.
func (s *Server) treeFor(snap *state.Snapshot) *tree {
	gen := s.metadataStore().Generation()
	if t := s.tree.Load(); t != nil && t.snap == snap && t.metaGen == gen {
		t.checked.Store(time.Now().UnixNano())
		return t
	}
	meta, gen := s.allMetadata()
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tree.Load()
	if t == nil || t.snap != snap || t.metaGen != gen {
		t = buildTree(snap, meta, gen)
		s.tree.Store(t)
	}
	t.checked.Store(time.Now().UnixNano())
	return t
}

// refresher keeps the tree current while requests come, until Shutdown.
func (s *Server) refresher() {
	for {
		select {
		case <-s.done:
			return
		case <-s.refresh:
		}
		old := s.tree.Load()
		snap := s.b.Snapshot()
		meta, gen := s.allMetadata()
		if old != nil && old.snap == snap && old.metaGen == gen {
			old.checked.Store(time.Now().UnixNano())
		} else {
			nt := buildTree(snap, meta, gen)
			if old != nil {
				nt.prewarm(old)
			}
			nt.checked.Store(time.Now().UnixNano())
			s.mu.Lock()
			if s.tree.Load() == old {
				s.tree.Store(nt)
			}
			s.mu.Unlock()
		}
		select {
		case <-s.done:
			return
		case <-time.After(refreshPause):
		}
	}
}

// prewarm encodes into t the paths clients recently asked old for.
func (t *tree) prewarm(old *tree) {
	since := time.Now().Add(-hotPathAge).UnixNano()
	n := 0
	old.cache.m.Range(func(k, v any) bool {
		e := v.(*cachedBody)
		if e.lastHit.Load() < since {
			return true
		}
		key := k.(string)
		if val, err := t.walk(splitPath(key)[2:]); err == nil {
			if b, err := json.Marshal(val); err == nil {
				t.cache.put(key, append(b, '\n')).lastHit.Store(e.lastHit.Load())
			}
		}
		n++
		return n < maxPrewarm
	})
}

// walk resolves path (its first segment names a root collection) and
// returns what to encode: the single value, or with a wildcard in the path
// an array of every value reached.
func (t *tree) walk(path []string) (any, error) {
	c := t.root[path[0]]
	if c == nil {
		return nil, errorf(fasthttp.StatusNotFound, "unknown path segment %q", path[0])
	}
	cur := []any{c}
	fanned := false
	for i, seg := range path[1:] {
		if seg == "*" {
			fanned = true
		}
		next := make([]any, 0, len(cur))
		for _, v := range cur {
			var err error
			next, err = step(next, v, seg)
			if err != nil {
				return nil, errorf(fasthttp.StatusNotFound, "unknown path segment %q in /api/v1/%s: %s",
					seg, strings.Join(path[:i+2], "/"), err.Error())
			}
		}
		cur = next
	}
	out := make([]any, len(cur))
	for i, v := range cur {
		out[i] = plain(v)
	}
	if fanned {
		return out, nil
	}
	return out[0], nil
}

type walkError string

func (e walkError) Error() string { return string(e) }

// step appends to dst the children of v that seg selects.
func step(dst []any, v any, seg string) ([]any, error) {
	switch n := v.(type) {
	case *collection:
		if seg == "*" {
			return append(dst, n.vals...), nil
		}
		i, ok := n.index[seg]
		if !ok {
			return dst, walkError("no member with that key")
		}
		return append(dst, n.vals[i]), nil
	case scopeNode:
		if seg == "instances" {
			return append(dst, n.instances), nil
		}
		return stepValue(dst, reflect.ValueOf(n.scope), seg)
	case *deviceView:
		if seg == "metadata" {
			if n.Metadata == nil {
				return append(dst, nilOf{reflect.TypeFor[*DeviceMetadata]()}), nil
			}
			return append(dst, n.Metadata), nil
		}
		out, err := stepValue(dst, reflect.ValueOf(n.Device), seg)
		if err != nil && strings.HasPrefix(err.Error(), "no field of that name") {
			err = walkError(err.Error() + ", metadata")
		}
		return out, err
	case nilOf:
		return stepValue(dst, reflect.Zero(n.t), seg)
	case nil:
		return dst, walkError("the value here is null")
	}
	return stepValue(dst, reflect.ValueOf(v), seg)
}

// stepValue steps into a plain Go value by reflection.
func stepValue(dst []any, v reflect.Value, seg string) ([]any, error) {
	t := v.Type()
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
		if !v.IsNil() {
			v = v.Elem()
		} else {
			v = reflect.Value{}
		}
	}
	switch t.Kind() {
	case reflect.Struct:
		if seg == "*" {
			return dst, walkError("\"*\" needs a collection, map or array, and this is an object")
		}
		idx, ok := jsonFields(t)[seg]
		if !ok {
			return dst, walkError("no field of that name; fields: " + strings.Join(fieldNames(t), ", "))
		}
		if !v.IsValid() {
			// A field of an absent object: null, but typed, so deeper
			// segments are still checked against the schema.
			return append(dst, nilOf{t.Field(idx).Type}), nil
		}
		return append(dst, value(v.Field(idx))), nil
	case reflect.Map:
		if !v.IsValid() || v.IsNil() {
			if seg == "*" {
				return dst, nil
			}
			return dst, walkError("no such key")
		}
		if t.Key().Kind() != reflect.String {
			return dst, walkError("map keys are not strings")
		}
		if seg == "*" {
			keys := v.MapKeys()
			sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
			for _, k := range keys {
				dst = append(dst, value(v.MapIndex(k)))
			}
			return dst, nil
		}
		e := v.MapIndex(reflect.ValueOf(seg).Convert(t.Key()))
		if !e.IsValid() {
			return dst, walkError("no such key")
		}
		return append(dst, value(e)), nil
	case reflect.Slice, reflect.Array:
		if !v.IsValid() {
			if seg == "*" {
				return dst, nil
			}
			return dst, walkError("no such index")
		}
		if seg == "*" {
			for i := 0; i < v.Len(); i++ {
				dst = append(dst, value(v.Index(i)))
			}
			return dst, nil
		}
		i, err := strconv.Atoi(seg)
		if err != nil || i < 0 || i >= v.Len() {
			return dst, walkError("want an index from 0 to " + strconv.Itoa(v.Len()-1))
		}
		return append(dst, value(v.Index(i))), nil
	}
	return dst, walkError("a " + t.Kind().String() + " value has no children")
}

// value turns a reflected child into an interface value that keeps its
// JSON encoding (pointers to addressable values, so MarshalText methods on
// pointer receivers still apply).
func value(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice:
		if v.IsNil() {
			return nilOf{v.Type()}
		}
	case reflect.Interface:
		if v.IsNil() {
			return nil
		}
	}
	if v.CanAddr() && v.Kind() == reflect.Struct {
		return v.Addr().Interface()
	}
	return v.Interface()
}

// plain returns what to encode for a tree node.
func plain(v any) any {
	switch n := v.(type) {
	case *collection:
		out := make([]any, len(n.vals))
		for i, m := range n.vals {
			out[i] = plain(m)
		}
		return out
	case scopeNode:
		return n.scope
	case nilOf:
		return nil
	}
	return v
}

// nilOf is a nil pointer, map or slice of type t: it encodes as null, and
// walking into it checks field names against t.
type nilOf struct{ t reflect.Type }

var fieldCache sync.Map // reflect.Type → map[string]int

// jsonFields maps a struct type's JSON field names to field indexes.
func jsonFields(t reflect.Type) map[string]int {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]int)
	}
	m := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if tag, ok := f.Tag.Lookup("json"); ok {
			n, _, _ := strings.Cut(tag, ",")
			if n == "-" {
				continue
			}
			if n != "" {
				name = n
			}
		}
		m[name] = i
	}
	fieldCache.Store(t, m)
	return m
}

func fieldNames(t reflect.Type) []string {
	m := jsonFields(t)
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
