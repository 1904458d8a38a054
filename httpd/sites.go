package httpd

import (
	"encoding/json"
	"sort"

	"github.com/valyala/fasthttp"
)

// SiteReporter is implemented by a Backend that forwards frames (a
// probe) or receives them (a collector): Sites returns the sites keyed by
// name, served on /api/v1/sites. Without it the route answers an empty
// object.
type SiteReporter interface {
	Sites() any
}

// sites serves /api/v1/sites and /api/v1/sites/{path...}: the path walks
// the sites' JSON, "*" standing for every key or element.
func (s *Server) sites(c *call) error {
	var v any = map[string]any{}
	if r, ok := s.b.(SiteReporter); ok {
		b, err := json.Marshal(r.Sites())
		if err != nil {
			return errorf(fasthttp.StatusInternalServerError, "sites: %v", err)
		}
		if err := json.Unmarshal(b, &v); err != nil {
			return errorf(fasthttp.StatusInternalServerError, "sites: %v", err)
		}
	}
	out, ok := walkSites(v, c.rest)
	if !ok {
		return errorf(fasthttp.StatusNotFound, "no such site or field")
	}
	return writeJSON(c.ctx, out)
}

// walkSites follows path through v; a "*" maps the rest over every value,
// in key order, and drops those that lack it.
func walkSites(v any, path []string) (any, bool) {
	if len(path) == 0 {
		return v, true
	}
	seg, rest := path[0], path[1:]
	if seg == "*" {
		out := []any{}
		switch t := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if w, ok := walkSites(t[k], rest); ok {
					out = append(out, w)
				}
			}
		case []any:
			for _, e := range t {
				if w, ok := walkSites(e, rest); ok {
					out = append(out, w)
				}
			}
		default:
			return nil, false
		}
		return out, true
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	w, ok := m[seg]
	if !ok {
		return nil, false
	}
	return walkSites(w, rest)
}
