package httpd

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Bounds of one tree's response cache.
const (
	maxCacheEntries = 256
	maxCacheBytes   = 64 << 20
	minGzipBytes    = 1024 // smaller answers go out uncompressed
)

// responseCache keeps the encoded answers of walked paths for one tree
// (one snapshot), so a burst of requests for the same path, such as a
// monitoring system polling /api/v1/devices or many UI clients, encodes it
// once. It dies with its tree.
type responseCache struct {
	m     sync.Map // path → *cachedBody
	mu    sync.Mutex
	n     int
	bytes int
}

// cachedBody is one encoded answer with its entity tag and, made when a
// client first asks for it, its gzip encoding.
type cachedBody struct {
	body    []byte
	etag    string
	lastHit atomic.Int64 // Unix ns of the last request answered with it

	gzOnce sync.Once
	gz     []byte
}

func newCachedBody(body []byte) *cachedBody {
	sum := sha256.Sum256(body)
	return &cachedBody{body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
}

func (c *responseCache) get(key string) *cachedBody {
	if v, ok := c.m.Load(key); ok {
		e := v.(*cachedBody)
		e.lastHit.Store(time.Now().UnixNano())
		return e
	}
	return nil
}

// put stores body under key unless the cache is full, and returns the
// entry to answer with either way.
func (c *responseCache) put(key string, body []byte) *cachedBody {
	e := newCachedBody(body)
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m.Load(key); ok {
		return v.(*cachedBody)
	}
	if c.n < maxCacheEntries && c.bytes+len(body) <= maxCacheBytes {
		e.lastHit.Store(time.Now().UnixNano())
		c.m.Store(key, e)
		c.n++
		c.bytes += len(body)
	}
	return e
}

// gzipped returns the gzip encoding of the body, made once.
func (e *cachedBody) gzipped() []byte {
	e.gzOnce.Do(func() { e.gz = fasthttp.AppendGzipBytesLevel(nil, e.body, fasthttp.CompressDefaultCompression) })
	return e.gz
}

// writeCached answers with e: 304 when the client holds the same entity,
// gzip when it accepts that and the body is large enough.
func writeCached(ctx *fasthttp.RequestCtx, e *cachedBody, contentType string) {
	h := &ctx.Response.Header
	h.Set(fasthttp.HeaderETag, e.etag)
	h.Set(fasthttp.HeaderCacheControl, "no-cache")
	if inm := ctx.Request.Header.Peek(fasthttp.HeaderIfNoneMatch); len(inm) > 0 && etagMatch(inm, e.etag) {
		ctx.SetStatusCode(fasthttp.StatusNotModified)
		return
	}
	ctx.SetContentType(contentType)
	if len(e.body) >= minGzipBytes {
		h.Set(fasthttp.HeaderVary, "Accept-Encoding")
		if ctx.Request.Header.HasAcceptEncoding("gzip") {
			h.Set(fasthttp.HeaderContentEncoding, "gzip")
			ctx.Response.SetBodyRaw(e.gzipped())
			return
		}
	}
	ctx.Response.SetBodyRaw(e.body) // cached bodies are never changed
}

// etagMatch reports whether an If-None-Match header names etag (or is *).
func etagMatch(header []byte, etag string) bool {
	for part := range bytes.SplitSeq(header, []byte(",")) {
		part = bytes.TrimSpace(part)
		part = bytes.TrimPrefix(part, []byte("W/"))
		if string(part) == etag || string(part) == "*" {
			return true
		}
	}
	return false
}
