package httpd

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // image.DecodeConfig checks uploads
	_ "image/png"
	"maps"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/valyala/fasthttp"

	"github.com/ptpwatch/ptpwatch/state/store"
)

// DeviceMetadata is what operators record about a device, keyed by its
// clockIdentity. The API reads and writes it as JSON under
// /api/v1/devices/{clockIdentity}/metadata; device objects carry it as
// "metadata" when any is stored.
type DeviceMetadata struct {
	Alias            string `json:"alias"`
	Location         string `json:"location"`
	Vendor           string `json:"vendor"` // overrides the vendor found from the OUI
	Model            string `json:"model"`
	HardwareRevision string `json:"hardwareRevision"`
	FirmwareRevision string `json:"firmwareRevision"`
	SoftwareRevision string `json:"softwareRevision"`
	// Image is the content type of the stored image ("image/png" or
	// "image/jpeg"), empty when there is none. The store sets it.
	Image string `json:"image,omitempty"`
	// Updated is when the record last changed, in ns since 1970. The store
	// sets it.
	Updated int64 `json:"updated,omitempty"`
}

// empty reports whether m holds nothing worth showing.
func (m *DeviceMetadata) empty() bool {
	return m.Alias == "" && m.Location == "" && m.Vendor == "" && m.Model == "" &&
		m.HardwareRevision == "" && m.FirmwareRevision == "" && m.SoftwareRevision == "" && m.Image == ""
}

// MetadataStore keeps device metadata and images. Keys are canonical
// clockIdentity strings (xxxxxx.xxxx.xxxxxx, lower case). Implementations
// must be safe for concurrent use. NewMemoryMetadata is the in-memory one
// the server uses when the Backend offers none (see MetadataProvider).
type MetadataStore interface {
	// Metadata returns the record of clock; ok is false when none is stored.
	Metadata(clock string) (m DeviceMetadata, ok bool, err error)
	// AllMetadata returns every stored record by clockIdentity.
	AllMetadata() (map[string]DeviceMetadata, error)
	// PutMetadata stores m's text fields for clock, setting Updated and
	// keeping the stored image. A record left with no fields and no image is
	// deleted.
	PutMetadata(clock string, m DeviceMetadata) error
	// PutImage stores the image of clock; nil data deletes it.
	PutImage(clock, contentType string, data []byte) error
	// Image returns the image of clock; ok is false when there is none.
	Image(clock string) (contentType string, data []byte, ok bool, err error)
	// Generation changes with every successful Put, so readers may cache
	// AllMetadata until it does.
	Generation() uint64
}

// MetadataProvider is implemented by a Backend that keeps device metadata
// itself (persistently, for example). Without it the server keeps metadata
// in memory, lost at restart.
type MetadataProvider interface {
	MetadataStore() MetadataStore
}

// Limits on metadata.
const (
	MaxMetadataText  = 256      // bytes per text field
	MaxMetadataBody  = 16 << 10 // bytes of a PUT metadata body
	MaxImageBytes    = 1 << 20  // bytes of an image
	MaxImagePixels   = 8192     // width and height of an image
	maxMemoryDevices = 100_000  // records a MetadataStore here keeps
)

// ErrMetadataFull is returned by the in-memory store when it holds its
// maximum number of records.
var ErrMetadataFull = errors.New("httpd: metadata store full")

// Defaults of ImageLimits.
const (
	DefaultMaxImages      = 1000      // images kept
	DefaultMaxImagesBytes = 256 << 20 // bytes of all images together
)

// ImageLimits bound the device images a MetadataStore keeps, so that
// uploads cannot fill memory or disk. The zero value means the defaults.
type ImageLimits struct {
	MaxCount int   // images; 0 means DefaultMaxImages
	MaxTotal int64 // bytes of all images; 0 means DefaultMaxImagesBytes
	MaxBytes int   // bytes of one image; 0 means MaxImageBytes
}

// WithDefaults fills in the defaults.
func (l ImageLimits) WithDefaults() ImageLimits {
	if l.MaxCount <= 0 {
		l.MaxCount = DefaultMaxImages
	}
	if l.MaxTotal <= 0 {
		l.MaxTotal = DefaultMaxImagesBytes
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = MaxImageBytes
	}
	return l
}

// ImageLimitError refuses an image that would take the store over its
// ImageLimits. Status is the HTTP status the API answers with: 413 for
// one image too large, 409 when the store holds as many images or bytes
// as it may.
type ImageLimitError struct {
	Status int
	Msg    string
}

func (e *ImageLimitError) Error() string { return e.Msg }

// Check reports whether storing an image of size bytes keeps a store that
// holds count images of total bytes within l, when it replaces an image
// of old bytes (exists) or adds one. Deleting (size 0) always passes.
func (l ImageLimits) Check(count int, total int64, exists bool, old, size int) error {
	l = l.WithDefaults()
	switch {
	case size == 0:
		return nil
	case size > l.MaxBytes:
		return &ImageLimitError{fasthttp.StatusRequestEntityTooLarge,
			fmt.Sprintf("image of %d bytes exceeds the limit of %d per image ([storage] image_max_bytes)", size, l.MaxBytes)}
	case !exists && count >= l.MaxCount:
		return &ImageLimitError{fasthttp.StatusConflict,
			fmt.Sprintf("%d device images are stored, the limit ([storage] images_max); delete images you no longer need or raise the limit", count)}
	case total-int64(old)+int64(size) > l.MaxTotal:
		return &ImageLimitError{fasthttp.StatusConflict,
			fmt.Sprintf("device images would take %d bytes, over the limit of %d ([storage] images_max_bytes); delete images you no longer need or raise the limit", total-int64(old)+int64(size), l.MaxTotal)}
	}
	return nil
}

// records is the in-memory part every MetadataStore here shares: the
// records by clockIdentity, the size of each image and of all together,
// and a generation that changes with every successful Put.
type records struct {
	mu     sync.RWMutex
	meta   map[string]DeviceMetadata
	sizes  map[string]int // bytes of each device's image
	total  int64          // bytes of all images
	limits ImageLimits
	gen    uint64
}

func newRecords(l ImageLimits) records {
	return records{meta: map[string]DeviceMetadata{}, sizes: map[string]int{}, limits: l.WithDefaults()}
}

// ImageLimits returns the limits the store keeps images within.
func (s *records) ImageLimits() ImageLimits { return s.limits }

func (s *records) Metadata(clock string) (DeviceMetadata, bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.meta[clock]
	return m, ok, nil
}

func (s *records) AllMetadata() (map[string]DeviceMetadata, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return maps.Clone(s.meta), nil
}

func (s *records) Generation() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.gen
}

// room returns clock's record, or ErrMetadataFull when clock has none and
// no more fit; s.mu is held.
func (s *records) room(clock string) (DeviceMetadata, error) {
	m, exists := s.meta[clock]
	if !exists && len(s.meta) >= maxMemoryDevices {
		return m, ErrMetadataFull
	}
	return m, nil
}

// putMetadata sets clock's text fields to m, keeping its image, once
// persist (when not nil) has kept the new record: a refused write changes
// nothing.
func (s *records) putMetadata(clock string, m DeviceMetadata, persist func(DeviceMetadata) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, err := s.room(clock)
	if err != nil {
		return err
	}
	m.Image, m.Updated = old.Image, time.Now().UnixNano()
	if persist != nil {
		if err := persist(m); err != nil {
			return err
		}
	}
	s.set(clock, m)
	return nil
}

// putImage sets clock's image to data (kept, or deleted when keep is
// false) within the limits, once persist has kept the image and the new
// record: a refused write changes nothing.
func (s *records) putImage(clock, contentType string, data []byte, keep bool, persist func(DeviceMetadata) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.room(clock)
	if err != nil {
		return err
	}
	old, had := s.sizes[clock]
	if err := s.limits.Check(len(s.sizes), s.total, had, old, len(data)); err != nil {
		return err
	}
	m.Image = ""
	if keep {
		m.Image = contentType
	}
	m.Updated = time.Now().UnixNano()
	if err := persist(m); err != nil {
		return err
	}
	s.total -= int64(old)
	if keep {
		s.sizes[clock] = len(data)
		s.total += int64(len(data))
	} else {
		delete(s.sizes, clock)
	}
	s.set(clock, m)
	return nil
}

// set keeps m as clock's record (deleting an empty one); s.mu is held.
func (s *records) set(clock string, m DeviceMetadata) {
	if m.empty() {
		delete(s.meta, clock)
	} else {
		s.meta[clock] = m
	}
	s.gen++
}

type memoryMetadata struct {
	records
	images map[string][]byte
}

// NewMemoryMetadata returns a MetadataStore kept in memory, with the
// default ImageLimits.
func NewMemoryMetadata() MetadataStore { return NewMemoryMetadataLimits(ImageLimits{}) }

// NewMemoryMetadataLimits returns a MetadataStore kept in memory that
// keeps images within l.
func NewMemoryMetadataLimits(l ImageLimits) MetadataStore {
	return &memoryMetadata{records: newRecords(l), images: map[string][]byte{}}
}

func (s *memoryMetadata) PutMetadata(clock string, m DeviceMetadata) error {
	return s.putMetadata(clock, m, nil)
}

func (s *memoryMetadata) PutImage(clock, contentType string, data []byte) error {
	return s.putImage(clock, contentType, data, data != nil, func(DeviceMetadata) error {
		if data == nil {
			delete(s.images, clock)
		} else {
			s.images[clock] = bytes.Clone(data)
		}
		return nil
	})
}

func (s *memoryMetadata) Image(clock string) (string, []byte, bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, ok := s.images[clock]
	if !ok {
		return "", nil, false, nil
	}
	return s.meta[clock].Image, d, true, nil
}

// ParseClockIdentity reads a clockIdentity written as sixteen hex digits,
// optionally separated by '.', ':' or '-' (ec4670.fffe.00a101,
// ec:46:70:ff:fe:00:a1:01, EC4670FFFE00A101) and returns it in the
// canonical xxxxxx.xxxx.xxxxxx form the API uses.
func ParseClockIdentity(s string) (string, bool) {
	var digits [16]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' || c == ':' || c == '-':
			continue
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
		case 'A' <= c && c <= 'F':
			c += 'a' - 'A'
		default:
			return "", false
		}
		if n == 16 {
			return "", false
		}
		digits[n] = c
		n++
	}
	if n != 16 {
		return "", false
	}
	d := digits[:]
	return string(d[:6]) + "." + string(d[6:10]) + "." + string(d[10:]), true
}

// metadataInput is the body of PUT metadata. Image and Updated are
// accepted, so a client can send back what it read, and ignored.
type metadataInput struct {
	Alias            *string         `json:"alias"`
	Location         *string         `json:"location"`
	Vendor           *string         `json:"vendor"`
	Model            *string         `json:"model"`
	HardwareRevision *string         `json:"hardwareRevision"`
	FirmwareRevision *string         `json:"firmwareRevision"`
	SoftwareRevision *string         `json:"softwareRevision"`
	Image            json.RawMessage `json:"image"`
	Updated          json.RawMessage `json:"updated"`
}

// parseMetadata validates a PUT body. Absent fields are empty: PUT
// replaces the whole record.
func parseMetadata(body []byte) (DeviceMetadata, error) {
	var in metadataInput
	if len(body) > MaxMetadataBody {
		return DeviceMetadata{}, errorf(fasthttp.StatusRequestEntityTooLarge, "metadata body of %d bytes exceeds the limit of %d", len(body), MaxMetadataBody)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return DeviceMetadata{}, errorf(fasthttp.StatusBadRequest,
			"metadata must be a JSON object with string fields alias, location, vendor, model, hardwareRevision, firmwareRevision, softwareRevision: %v", err)
	}
	if dec.More() {
		return DeviceMetadata{}, errorf(fasthttp.StatusBadRequest, "metadata body holds more than one JSON value")
	}
	var m DeviceMetadata
	for _, f := range []struct {
		name string
		in   *string
		out  *string
	}{
		{"alias", in.Alias, &m.Alias}, {"location", in.Location, &m.Location}, {"vendor", in.Vendor, &m.Vendor},
		{"model", in.Model, &m.Model}, {"hardwareRevision", in.HardwareRevision, &m.HardwareRevision},
		{"firmwareRevision", in.FirmwareRevision, &m.FirmwareRevision}, {"softwareRevision", in.SoftwareRevision, &m.SoftwareRevision},
	} {
		if f.in == nil {
			continue
		}
		v := strings.TrimSpace(*f.in)
		switch {
		case len(v) > MaxMetadataText:
			return m, errorf(fasthttp.StatusBadRequest, "metadata field %q is %d bytes long; the limit is %d", f.name, len(v), MaxMetadataText)
		case !utf8.ValidString(v):
			return m, errorf(fasthttp.StatusBadRequest, "metadata field %q is not valid UTF-8", f.name)
		case strings.ContainsFunc(v, unicode.IsControl):
			return m, errorf(fasthttp.StatusBadRequest, "metadata field %q contains control characters", f.name)
		}
		*f.out = v
	}
	return m, nil
}

// metadataStore returns the store in use.
func (s *Server) metadataStore() MetadataStore { return s.meta }

// allMetadata returns every record, cached until the store's generation
// changes, and that generation.
func (s *Server) allMetadata() (map[string]DeviceMetadata, uint64) {
	st := s.metadataStore()
	gen := st.Generation()
	s.metaMu.Lock()
	defer s.metaMu.Unlock()
	if s.metaAll != nil && s.metaGen == gen {
		return s.metaAll, gen
	}
	all, err := st.AllMetadata()
	if err != nil {
		s.log.Warn("reading device metadata", "err", err)
		return s.metaAll, s.metaGen // keep what we had
	}
	s.metaAll, s.metaGen = all, gen
	return all, gen
}

// deviceKey parses the {clockIdentity} path variable.
func deviceKey(v string) (string, error) {
	k, ok := ParseClockIdentity(v)
	if !ok {
		return "", errorf(fasthttp.StatusNotFound, "unknown path segment %q: a clockIdentity is sixteen hex digits such as ec4670.fffe.00a101", v)
	}
	return k, nil
}

func (s *Server) getMetadata(c *call) error {
	if c.vars[0] == "*" {
		return s.walk(c)
	}
	k, err := deviceKey(c.vars[0])
	if err != nil {
		return err
	}
	m, ok, err := s.metadataStore().Metadata(k)
	if err != nil {
		return errorf(fasthttp.StatusInternalServerError, "reading metadata: %v", err)
	}
	if !ok && s.currentTree().devices[k] == nil {
		return errorf(fasthttp.StatusNotFound, "unknown path segment %q: no device with that clockIdentity and no metadata stored for it", c.vars[0])
	}
	return writeJSON(c.ctx, m)
}

func (s *Server) putMetadata(c *call) error {
	k, err := deviceKey(c.vars[0])
	if err != nil {
		return err
	}
	m, err := parseMetadata(c.ctx.PostBody())
	if err != nil {
		return err
	}
	if err := s.metadataStore().PutMetadata(k, m); err != nil {
		return s.metadataError(err, "storing metadata")
	}
	s.log.Info("device metadata changed", "device", k, "by", c.who, "remote", c.ctx.RemoteIP().String())
	m, _, err = s.metadataStore().Metadata(k)
	if err != nil {
		return errorf(fasthttp.StatusInternalServerError, "reading metadata: %v", err)
	}
	return writeJSON(c.ctx, m)
}

// sniffImage returns the content type of an acceptable image of at most
// maxBytes.
func sniffImage(data []byte, maxBytes int) (string, error) {
	if len(data) == 0 {
		return "", errorf(fasthttp.StatusBadRequest, "empty image: send the PNG or JPEG file as the request body")
	}
	if len(data) > maxBytes {
		return "", errorf(fasthttp.StatusRequestEntityTooLarge, "image of %d bytes exceeds the limit of %d", len(data), maxBytes)
	}
	ct := http.DetectContentType(data)
	if ct != "image/png" && ct != "image/jpeg" {
		return "", errorf(fasthttp.StatusUnsupportedMediaType, "image content is %s; only PNG and JPEG are accepted", ct)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", errorf(fasthttp.StatusUnsupportedMediaType, "image is not a readable %s: %v", ct, err)
	}
	if cfg.Width > MaxImagePixels || cfg.Height > MaxImagePixels || cfg.Width <= 0 || cfg.Height <= 0 {
		return "", errorf(fasthttp.StatusBadRequest, "image is %d×%d pixels; the limit is %d×%d", cfg.Width, cfg.Height, MaxImagePixels, MaxImagePixels)
	}
	return ct, nil
}

func (s *Server) putImage(c *call) error {
	k, err := deviceKey(c.vars[0])
	if err != nil {
		return err
	}
	st := s.metadataStore()
	maxBytes := MaxImageBytes
	if l, ok := st.(interface{ ImageLimits() ImageLimits }); ok {
		maxBytes = l.ImageLimits().WithDefaults().MaxBytes
	}
	data := c.ctx.PostBody()
	ct, err := sniffImage(data, maxBytes)
	if err != nil {
		return err
	}
	// Images are kept only for devices the model knows or that have
	// metadata stored, so made-up identities cannot fill the store.
	if _, ok, err := st.Metadata(k); err != nil {
		return s.metadataError(err, "reading metadata")
	} else if !ok && s.currentTree().devices[k] == nil {
		return errorf(fasthttp.StatusNotFound, "no device %s: images are kept only for devices seen on the network or given metadata first (PUT /api/v1/devices/%s/metadata)", k, k)
	}
	if err := st.PutImage(k, ct, data); err != nil {
		return s.metadataError(err, "storing the image")
	}
	s.log.Info("device image changed", "device", k, "type", ct, "bytes", len(data), "by", c.who, "remote", c.ctx.RemoteIP().String())
	return writeJSON(c.ctx, map[string]any{"clockIdentity": k, "contentType": ct, "bytes": len(data)})
}

func (s *Server) deleteImage(c *call) error {
	k, err := deviceKey(c.vars[0])
	if err != nil {
		return err
	}
	if _, _, ok, err := s.metadataStore().Image(k); err != nil {
		return errorf(fasthttp.StatusInternalServerError, "reading the image: %v", err)
	} else if !ok {
		return errorf(fasthttp.StatusNotFound, "device %s has no image", k)
	}
	if err := s.metadataStore().PutImage(k, "", nil); err != nil {
		return s.metadataError(err, "deleting the image")
	}
	s.log.Info("device image deleted", "device", k, "by", c.who, "remote", c.ctx.RemoteIP().String())
	return writeJSON(c.ctx, map[string]any{"clockIdentity": k, "deleted": true})
}

func (s *Server) getImage(c *call) error {
	k, err := deviceKey(c.vars[0])
	if err != nil {
		return err
	}
	ct, data, ok, err := s.metadataStore().Image(k)
	if err != nil {
		return s.metadataError(err, "reading the image")
	}
	if !ok {
		return errorf(fasthttp.StatusNotFound, "device %s has no image", k)
	}
	sum := sha256.Sum256(data)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	h := &c.ctx.Response.Header
	h.Set(fasthttp.HeaderETag, etag)
	h.Set(fasthttp.HeaderCacheControl, "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'")
	if inm := c.ctx.Request.Header.Peek(fasthttp.HeaderIfNoneMatch); len(inm) > 0 && string(inm) == etag {
		c.ctx.SetStatusCode(fasthttp.StatusNotModified)
		return nil
	}
	c.ctx.SetContentType(ct)
	c.ctx.SetBody(data)
	return nil
}

// metadataError maps an error of the MetadataStore to an API error: the
// image limits, a full in-memory store, and the dashcam store's trouble
// (paused by a full disk or a failed write: 503 with the reason; the
// value is not changed).
func (s *Server) metadataError(err error, what string) error {
	var le *ImageLimitError
	switch {
	case errors.As(err, &le):
		return errorf(le.Status, "%s: %s", what, le.Msg)
	case errors.Is(err, ErrMetadataFull):
		return errorf(fasthttp.StatusConflict, "%s: the metadata store holds its limit of %d devices", what, maxMemoryDevices)
	case errors.Is(err, store.ErrPaused), errors.Is(err, store.ErrFailed), errors.Is(err, store.ErrCorrupt), errors.Is(err, store.ErrClosed):
		var t storeTrouble
		if d, ok := s.b.(Dashcam); ok {
			if st, _ := d.Dashcam(); st != nil {
				t.paused, t.diskFull, t.cause = st.Trouble()
			}
		}
		return s.storeErrorFor(err, t, what+" (nothing was changed)")
	}
	s.log.Error("device metadata store", "during", what, "err", err)
	return errorf(fasthttp.StatusInternalServerError, "%s: %s", what, firstLine(err.Error()))
}
