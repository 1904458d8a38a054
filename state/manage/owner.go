package manage

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/ptpwatch/ptpwatch/state/store"
	"github.com/ptpwatch/ptpwatch/xdp/afxdp"
)

// defaultAPI is where an appliance serves its API unless configured
// otherwise ([http] listen).
const defaultAPI = "http://127.0.0.1:8319"

// probeResult is what one candidate API said about an interface.
type probeResult int

const (
	probeAbsent probeResult = iota // nothing answers there, or no live capture with management
	probeOwns                      // an appliance capturing the interface
	probeOther                     // an appliance capturing other interfaces
	probeLocked                    // an appliance that wants credentials we lack
)

// apiCandidates lists where a running appliance may serve its API, most
// specific first, without repeats: $PTPWATCH_API, the [http] listen address
// and the API recorded in the [storage] data_dir of the configuration file
// (when given), the API recorded in dataDir, and the default address.
func apiCandidates(configFile, dataDir string) ([]string, []string) {
	var out, notes []string
	add := func(u string) {
		u = strings.TrimRight(strings.TrimSpace(u), "/")
		if u == "" {
			return
		}
		for _, x := range out {
			if x == u {
				return
			}
		}
		out = append(out, u)
	}
	add(os.Getenv("PTPWATCH_API"))
	if configFile != "" {
		var cfg struct {
			HTTP struct {
				Listen      string `toml:"listen"`
				DisableHTTP bool   `toml:"disable_http"`
			} `toml:"http"`
			Storage struct {
				DataDir string `toml:"data_dir"`
			} `toml:"storage"`
		}
		b, err := os.ReadFile(configFile)
		if err == nil {
			err = toml.Unmarshal(b, &cfg)
		}
		switch {
		case err != nil:
			notes = append(notes, fmt.Sprintf("configuration %s: %v", configFile, err))
		default:
			if cfg.HTTP.Listen != "" && !cfg.HTTP.DisableHTTP {
				add("http://" + loopbackFor(cfg.HTTP.Listen))
			}
			if dataDir == "" {
				dataDir = cfg.Storage.DataDir
			}
		}
	}
	if dataDir != "" {
		if u, err := store.RecordedAPI(dataDir); err != nil {
			notes = append(notes, err.Error())
		} else {
			add(u)
		}
	}
	add(defaultAPI)
	return out, notes
}

// loopbackFor turns a listen address with a wildcard host into one this
// host can connect to.
func loopbackFor(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		if ip != nil && ip.To4() == nil {
			return net.JoinHostPort("::1", port)
		}
		return net.JoinHostPort("127.0.0.1", port)
	}
	return listen
}

// probe asks the appliance at base, if one runs there, whether it
// captures iface (GET /api/v1/management lists its capture interfaces).
func probe(base, user, iface string, timeout time.Duration) probeResult {
	req, err := http.NewRequest(http.MethodGet, base+"/api/v1/management", nil)
	if err != nil {
		return probeAbsent
	}
	if tok := os.Getenv("PTPWATCH_TOKEN"); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	} else if user != "" {
		req.SetBasicAuth(user, os.Getenv("PTPWATCH_PASSWORD"))
	}
	resp, err := (&http.Client{Timeout: timeout}).Do(req)
	if err != nil {
		return probeAbsent
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return probeLocked
	case resp.StatusCode/100 != 2:
		return probeAbsent
	}
	var v struct {
		Interfaces []string `json:"interfaces"`
	}
	if json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&v) != nil {
		return probeAbsent
	}
	for _, n := range v.Interfaces {
		if n == iface {
			return probeOwns
		}
	}
	return probeOther
}

// ownerDecision is how `ptpwatch query` reaches an interface.
type ownerDecision struct {
	api  string // go through the appliance at api; "" sends from here
	err  string // refuse: the interface is owned by something we cannot ask
	note string // said on stderr
}

// decideOwner chooses from what each candidate said (in candidate order)
// and whether an XDP program is attached to the interface (attached):
// the first appliance capturing the interface wins; a locked appliance
// and an XDP program together mean the answers would go to an appliance
// we may not ask; anything else sends from here, warning when an XDP
// program may take the answers.
func decideOwner(iface string, candidates []string, results []probeResult, attached bool) ownerDecision {
	locked := ""
	for i, r := range results {
		switch r {
		case probeOwns:
			return ownerDecision{api: candidates[i], note: fmt.Sprintf("%s is captured by the appliance at %s: asking through its API (--local sends from here)", iface, candidates[i])}
		case probeLocked:
			if locked == "" {
				locked = candidates[i]
			}
		}
	}
	switch {
	case attached && locked != "":
		return ownerDecision{err: fmt.Sprintf("%s has an XDP program attached, so answers may never reach this command, and the appliance at %s needs credentials to be asked: set $PTPWATCH_TOKEN (or --user and $PTPWATCH_PASSWORD), give --api, or --local to send from here anyway", iface, locked)}
	case attached:
		return ownerDecision{note: fmt.Sprintf("%s has an XDP program attached and no appliance found claims it: answers it steers away are not seen here", iface)}
	}
	return ownerDecision{}
}

// findOwner probes every candidate API and the interface's XDP programs.
func findOwner(iface, configFile, dataDir, user string) (ownerDecision, []string) {
	cands, notes := apiCandidates(configFile, dataDir)
	results := make([]probeResult, len(cands))
	for i, c := range cands {
		results[i] = probe(c, user, iface, 2*time.Second)
	}
	attached := false
	if ifc, err := net.InterfaceByName(iface); err == nil {
		ids, err := afxdp.AttachedPrograms(ifc.Index)
		if err != nil {
			notes = append(notes, err.Error())
		}
		attached = len(ids) > 0
	}
	return decideOwner(iface, cands, results, attached), notes
}
