package httpd

import (
	"bytes"
	"compress/gzip"
	"io"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

func TestUIServing(t *testing.T) {
	m := serveMem(t, Config{}, shared(t), memOpts{})
	index := m.get(t, "/")
	if index.status != 200 || index.header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /: %d %q", index.status, index.header.Get("Content-Type"))
	}
	if cc := index.header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("index Cache-Control %q", cc)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "ETag"} {
		if index.header.Get(h) == "" {
			t.Errorf("index lacks %s", h)
		}
	}
	// Every page path serves the same document.
	for _, p := range []string{"/overview", "/packets", "/packets?type=Sync", "/devices", "/devices/ec4670.fffe.00a101", "/hierarchy", "/events", "/settings"} {
		r := m.get(t, p)
		if r.status != 200 || !bytes.Equal(r.body, index.body) {
			t.Errorf("GET %s: %d, same as / %v", p, r.status, bytes.Equal(r.body, index.body))
		}
	}
	// index.html names the versioned asset prefix; every file it and the
	// modules name is there, immutable, with its content type.
	v := regexp.MustCompile(`/ui/[0-9a-f]+/`).Find(index.body)
	if v == nil {
		t.Fatalf("index names no /ui/VERSION/: %s", index.body)
	}
	u := embeddedUI()
	if string(v) != u.prefix+"/" {
		t.Errorf("index names %s, want %s/", v, u.prefix)
	}
	types := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
	imports := regexp.MustCompile(`(?:from|import\() *'(\.{1,2}/[^']+)'`)
	for name := range u.files {
		if name == "index.html" {
			continue
		}
		r := m.get(t, u.prefix+"/"+name)
		if r.status != 200 {
			t.Errorf("%s: %d", name, r.status)
			continue
		}
		ext := name[strings.LastIndexByte(name, '.'):]
		if want := types[ext]; r.header.Get("Content-Type") != want {
			t.Errorf("%s: Content-Type %q, want %q", name, r.header.Get("Content-Type"), want)
		}
		if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("%s: Cache-Control %q", name, cc)
		}
		if ext != ".js" {
			continue
		}
		// Relative imports resolve to embedded files.
		dir := name[:strings.LastIndexByte(name, '/')+1]
		for _, im := range imports.FindAllSubmatch(r.body, -1) {
			target := cleanJoin(dir, string(im[1]))
			if u.files[target] == nil {
				t.Errorf("%s imports %s (%s), which is not embedded", name, im[1], target)
			}
		}
	}
	// Old versions still load, but are not cached for good.
	if r := m.get(t, "/ui/000000000000/app.js"); r.status != 200 || r.header.Get("Cache-Control") != "no-cache" {
		t.Errorf("stale version: %d %q", r.status, r.header.Get("Cache-Control"))
	}
	// Conditional and compressed requests.
	etag := index.header.Get("ETag")
	if r := m.get(t, "/", "If-None-Match", etag); r.status != 304 || len(r.body) != 0 {
		t.Errorf("If-None-Match: %d, %d bytes", r.status, len(r.body))
	}
	r := m.get(t, u.prefix+"/style.css", "Accept-Encoding", "gzip")
	if r.header.Get("Content-Encoding") != "gzip" {
		t.Errorf("style.css not gzipped: %v", r.header)
	} else {
		zr, err := gzip.NewReader(bytes.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := io.ReadAll(zr)
		if !bytes.Equal(plain, u.files["style.css"].body) {
			t.Error("gzip body differs")
		}
	}
	// Errors.
	checkError(t, m.get(t, "/ui/"+u.version+"/nothing.js"), 404, "nothing.js")
	checkError(t, m.get(t, "/ui/"+u.version+"/index.html"), 404)
	checkError(t, m.get(t, "/ui"), 404)
	checkError(t, m.send(t, "POST", "/devices", "x"), 405, "POST")
	checkError(t, m.get(t, "/nothing"), 404, `"nothing"`)
}

func cleanJoin(dir, rel string) string {
	parts := strings.Split(strings.TrimSuffix(dir, "/"), "/")
	if dir == "" {
		parts = nil
	}
	for _, p := range strings.Split(rel, "/") {
		switch p {
		case ".":
		case "..":
			if len(parts) > 0 {
				parts = parts[:len(parts)-1]
			}
		default:
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "/")
}

func TestUIAuth(t *testing.T) {
	hash, _ := HashPassword("pw")
	m := serveMem(t, Config{Users: []User{{"ops", RoleReadOnly, hash}}}, shared(t), memOpts{})
	checkError(t, m.get(t, "/"), 401)
	if r := m.get(t, "/", "Authorization", basic("ops", "pw")); r.status != 200 {
		t.Errorf("with credentials: %d", r.status)
	}
}

func TestLoadUIVersion(t *testing.T) {
	a := loadUI(fstest.MapFS{"ui/index.html": {Data: []byte(`<script src="{{UI}}/app.js">`)}, "ui/app.js": {Data: []byte("1")}})
	b := loadUI(fstest.MapFS{"ui/index.html": {Data: []byte(`<script src="{{UI}}/app.js">`)}, "ui/app.js": {Data: []byte("2")}})
	if a.version == b.version {
		t.Error("a changed file keeps the version")
	}
	if want := `<script src="` + a.prefix + `/app.js">`; string(a.index.body) != want {
		t.Errorf("index %s, want %s", a.index.body, want)
	}
}
