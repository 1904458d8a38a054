package httpd

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/valyala/fasthttp"
)

// The web UI: plain HTML, CSS and JavaScript modules under ui/, embedded
// in the binary. index.html is served at / and at every page's path (the
// UI routes in the browser with the History API); the other files are
// served under /ui/VERSION/, where VERSION is a digest of all the files,
// so they can be cached for good: a new binary with a changed UI has a new
// VERSION, and index.html, which is always revalidated, names it.

//go:embed ui
var uiEmbed embed.FS

// uiPages are the first path segments of the UI's pages.
var uiPages = []string{"overview", "packets", "devices", "scopes", "hierarchy", "events", "incidents", "management", "alarms", "notifications", "sites", "settings"}

// uiFile is one embedded file ready to serve.
type uiFile struct {
	body, gz []byte
	ctype    string
	etag     string
}

type uiFiles struct {
	version string
	prefix  string // "/ui/" + version
	files   map[string]*uiFile
	index   *uiFile
}

var embeddedUI = sync.OnceValue(func() *uiFiles { return loadUI(uiEmbed) })

// loadUI prepares the files of fsys (rooted at ui/).
func loadUI(fsys fs.FS) *uiFiles {
	u := &uiFiles{files: map[string]*uiFile{}}
	raw := map[string][]byte{}
	var names []string
	fs.WalkDir(fsys, "ui", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "ui/")
		raw[name] = b
		names = append(names, name)
		return nil
	})
	slices.Sort(names)
	h := sha256.New()
	for _, n := range names {
		h.Write([]byte(n))
		h.Write([]byte{0})
		h.Write(raw[n])
	}
	u.version = hex.EncodeToString(h.Sum(nil)[:6])
	u.prefix = "/ui/" + u.version
	for _, n := range names {
		b := raw[n]
		if n == "index.html" {
			b = bytes.ReplaceAll(b, []byte("{{UI}}"), []byte(u.prefix))
			b = bytes.ReplaceAll(b, []byte("{{VERSION}}"), []byte(html.EscapeString(Version())))
		}
		f := &uiFile{body: b, ctype: contentType(n)}
		sum := sha256.Sum256(b)
		f.etag = `"` + hex.EncodeToString(sum[:12]) + `"`
		if compressible(f.ctype) && len(b) >= minGzipBytes {
			f.gz = fasthttp.AppendGzipBytesLevel(nil, b, fasthttp.CompressBestCompression)
		}
		u.files[n] = f
	}
	u.index = u.files["index.html"]
	return u
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".json":
		return "application/json"
	case ".woff2":
		return "font/woff2"
	}
	return "application/octet-stream"
}

func compressible(ct string) bool {
	return strings.HasPrefix(ct, "text/") || ct == "image/svg+xml" || ct == "application/json"
}

// uiRequest reports whether a path with these segments belongs to the UI
// rather than the API.
func (u *uiFiles) uiRequest(segs []string) bool {
	if u == nil || u.index == nil {
		return false
	}
	return len(segs) == 0 || segs[0] == "ui" || slices.Contains(uiPages, segs[0])
}

// pageNotFound answers a browser's GET of a path that is neither the API
// nor a page with the UI and status 404, so the user sees the UI's "page
// not found" instead of a JSON error. It reports whether it answered.
func (u *uiFiles) pageNotFound(ctx *fasthttp.RequestCtx, segs []string, method string) bool {
	if u == nil || u.index == nil || method != fasthttp.MethodGet || len(segs) == 0 || segs[0] == "api" || segs[0] == "metrics" ||
		!strings.Contains(string(ctx.Request.Header.Peek(fasthttp.HeaderAccept)), "text/html") {
		return false
	}
	ctx.Request.Header.Del(fasthttp.HeaderIfNoneMatch)
	u.serve(ctx, nil)
	ctx.Response.Header.Set(fasthttp.HeaderCacheControl, "no-store")
	ctx.SetStatusCode(fasthttp.StatusNotFound)
	return true
}

// serve answers a UI request (GET or HEAD).
func (u *uiFiles) serve(ctx *fasthttp.RequestCtx, segs []string) {
	h := &ctx.Response.Header
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	f := u.index
	cache := "no-cache"
	if len(segs) > 0 && segs[0] == "ui" {
		if len(segs) < 3 {
			writeError(ctx, fasthttp.StatusNotFound, "no such file: UI files are under /ui/VERSION/")
			return
		}
		name := strings.Join(segs[2:], "/")
		f = u.files[name]
		if f == nil || name == "index.html" {
			writeError(ctx, fasthttp.StatusNotFound, "no such UI file: "+name)
			return
		}
		if segs[1] == u.version {
			cache = "public, max-age=31536000, immutable"
		}
	}
	if f == u.index {
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "+
			"script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
	}
	h.Set(fasthttp.HeaderCacheControl, cache)
	h.Set(fasthttp.HeaderETag, f.etag)
	if inm := ctx.Request.Header.Peek(fasthttp.HeaderIfNoneMatch); len(inm) > 0 && etagMatch(inm, f.etag) {
		ctx.SetStatusCode(fasthttp.StatusNotModified)
		return
	}
	ctx.SetContentType(f.ctype)
	if f.gz != nil {
		h.Set(fasthttp.HeaderVary, "Accept-Encoding")
		if ctx.Request.Header.HasAcceptEncoding("gzip") {
			h.Set(fasthttp.HeaderContentEncoding, "gzip")
			ctx.Response.SetBodyRaw(f.gz)
			return
		}
	}
	ctx.Response.SetBodyRaw(f.body) // embedded files are never changed
}
