package httpd

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
)

func pngBytes(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.RGBA{200, 10, 10, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegBytes(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestParseClockIdentity(t *testing.T) {
	for in, want := range map[string]string{
		"ec4670.fffe.00a101": "ec4670.fffe.00a101", "EC4670FFFE00A101": "ec4670.fffe.00a101",
		"ec:46:70:ff:fe:00:a1:01": "ec4670.fffe.00a101", "ec-46-70-ff-fe-00-a1-01": "ec4670.fffe.00a101",
		"ec4670.fffe.00a1": "", "ec4670.fffe.00a10100": "", "zz4670.fffe.00a101": "", "": "", "*": "",
	} {
		got, ok := ParseClockIdentity(in)
		if got != want || ok != (want != "") {
			t.Errorf("ParseClockIdentity(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestDeviceMetadata(t *testing.T) {
	b := shared(t)
	m := serveMem(t, Config{}, b, memOpts{})
	dev := b.snap.Devices[0].ClockIdentity
	path := "/api/v1/devices/" + dev + "/metadata"

	// Nothing stored: all fields, empty; the device itself has no metadata.
	r := m.get(t, path)
	if r.status != 200 {
		t.Fatalf("GET: %d %s", r.status, r.body)
	}
	var md DeviceMetadata
	decodeJSON(t, r, &md)
	if md != (DeviceMetadata{}) || !strings.Contains(string(r.body), `"hardwareRevision":""`) {
		t.Errorf("empty metadata: %s", r.body)
	}
	if r := m.get(t, "/api/v1/devices/"+dev); strings.Contains(string(r.body), `"metadata"`) {
		t.Errorf("device without metadata shows %s", r.body)
	}

	// PUT stores, trims and answers with the record; the device and the
	// wildcard paths show it at once.
	body := `{"alias":" GM 1 ","location":"rack 12","vendor":"Meinberg","model":"M1000","hardwareRevision":"B","firmwareRevision":"7.0","softwareRevision":"7.04.012","image":"ignored","updated":1}`
	r = m.send(t, "PUT", path, body, "Content-Type", "application/json")
	if r.status != 200 {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	decodeJSON(t, r, &md)
	if md.Alias != "GM 1" || md.SoftwareRevision != "7.04.012" || md.Updated == 0 || md.Image != "" {
		t.Errorf("PUT answered %+v", md)
	}
	var d struct {
		ClockIdentity string         `json:"clockIdentity"`
		Metadata      DeviceMetadata `json:"metadata"`
	}
	decodeJSON(t, m.get(t, "/api/v1/devices/"+dev), &d)
	if d.ClockIdentity != dev || d.Metadata.Location != "rack 12" {
		t.Errorf("device JSON: %+v", d)
	}
	var aliases []any
	decodeJSON(t, m.get(t, "/api/v1/devices/*/metadata/alias"), &aliases)
	if len(aliases) != len(b.snap.Devices) || aliases[0] != "GM 1" || aliases[1] != nil {
		t.Errorf("devices/*/metadata/alias = %v", aliases)
	}
	var all []any
	decodeJSON(t, m.get(t, "/api/v1/devices/*/metadata"), &all)
	if len(all) != len(b.snap.Devices) || all[0] == nil {
		t.Errorf("devices/*/metadata = %v", all)
	}
	if r := m.get(t, "/api/v1/devices/"+dev+"/metadata/model"); string(r.body) != "\"M1000\"\n" {
		t.Errorf("metadata/model = %s", r.body)
	}
	// Other spellings of the identity reach the same record.
	upper := strings.ToUpper(strings.ReplaceAll(dev, ".", ""))
	decodeJSON(t, m.get(t, "/api/v1/devices/"+upper+"/metadata"), &md)
	if md.Alias != "GM 1" {
		t.Errorf("by %s: %+v", upper, md)
	}
	// PUT replaces: absent fields become empty; an empty record goes away.
	decodeJSON(t, m.send(t, "PUT", path, `{"alias":"GM one"}`), &md)
	if md.Alias != "GM one" || md.Model != "" {
		t.Errorf("replace: %+v", md)
	}
	m.send(t, "PUT", path, `{}`)
	if r := m.get(t, "/api/v1/devices/"+dev); strings.Contains(string(r.body), `"metadata"`) {
		t.Errorf("emptied metadata still shows: %s", r.body)
	}

	// A device not seen yet may be given metadata ahead of time.
	const future = "001122.fffe.334455"
	checkError(t, m.get(t, "/api/v1/devices/"+future+"/metadata"), 404, future)
	if r := m.send(t, "PUT", "/api/v1/devices/"+future+"/metadata", `{"alias":"spare GM"}`); r.status != 200 {
		t.Errorf("PUT for an unseen device: %d %s", r.status, r.body)
	}
	decodeJSON(t, m.get(t, "/api/v1/devices/"+future+"/metadata"), &md)
	if md.Alias != "spare GM" {
		t.Errorf("unseen device: %+v", md)
	}

	// Validation.
	for _, tc := range []struct {
		body   string
		status int
		want   string
	}{
		{`{"alias":"` + strings.Repeat("x", MaxMetadataText+1) + `"}`, 400, "alias"},
		{`{"location":"a\u0007b"}`, 400, "control"},
		{`{"colour":"red"}`, 400, "colour"},
		{`{"alias":5}`, 400, "alias"},
		{`[1]`, 400, "JSON object"},
		{`{"alias":"a"}{"alias":"b"}`, 400, "more than one"},
		{`{"model":"` + strings.Repeat("y", MaxMetadataBody) + `"}`, 413, "limit"},
		{`not json`, 400, "JSON"},
	} {
		checkError(t, m.send(t, "PUT", path, tc.body), tc.status, tc.want)
	}
	checkError(t, m.send(t, "PUT", "/api/v1/devices/nothex/metadata", `{}`), 404, `"nothex"`)
	checkError(t, m.send(t, "PUT", "/api/v1/devices/*/metadata", `{}`), 404, `"*"`)
	checkError(t, m.send(t, "POST", path, `{}`), 405, "PUT")
	checkError(t, m.send(t, "PUT", "/api/v1/devices/"+dev+"/roles", `{}`), 405, "GET")
}

func TestDeviceImage(t *testing.T) {
	b := shared(t)
	// A request limit above the image limit, so the image check answers.
	m := serveMem(t, Config{MaxRequestBody: 4 << 20}, b, memOpts{})
	dev := b.snap.Devices[1].ClockIdentity
	path := "/api/v1/devices/" + dev + "/image"
	checkError(t, m.get(t, path), 404, "no image")
	checkError(t, m.send(t, "DELETE", path, ""), 404)

	p := pngBytes(t, 4, 3)
	r := m.send(t, "PUT", path, string(p), "Content-Type", "application/octet-stream")
	if r.status != 200 || !strings.Contains(string(r.body), "image/png") {
		t.Fatalf("PUT png: %d %s", r.status, r.body)
	}
	r = m.get(t, path)
	if r.status != 200 || r.header.Get("Content-Type") != "image/png" || !bytes.Equal(r.body, p) {
		t.Fatalf("GET png: %d %q %d bytes", r.status, r.header.Get("Content-Type"), len(r.body))
	}
	if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Content-Security-Policy") == "" {
		t.Errorf("image headers %v", r.header)
	}
	if r2 := m.get(t, path, "If-None-Match", r.header.Get("ETag")); r2.status != 304 {
		t.Errorf("If-None-Match: %d", r2.status)
	}
	var md DeviceMetadata
	decodeJSON(t, m.get(t, "/api/v1/devices/"+dev+"/metadata"), &md)
	if md.Image != "image/png" {
		t.Errorf("metadata image %q", md.Image)
	}
	// Metadata PUT keeps the image.
	m.send(t, "PUT", "/api/v1/devices/"+dev+"/metadata", `{"alias":"x"}`)
	if r := m.get(t, path); r.status != 200 {
		t.Errorf("image gone after metadata PUT: %d", r.status)
	}
	// JPEG replaces it.
	j := jpegBytes(t)
	if r := m.send(t, "PUT", path, string(j)); r.status != 200 {
		t.Fatalf("PUT jpeg: %d %s", r.status, r.body)
	}
	if r := m.get(t, path); r.header.Get("Content-Type") != "image/jpeg" || !bytes.Equal(r.body, j) {
		t.Errorf("GET jpeg: %q", r.header.Get("Content-Type"))
	}
	// Refused: SVG, other types, damaged files, too large, empty.
	checkError(t, m.send(t, "PUT", path, `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`, "Content-Type", "image/svg+xml"), 415, "PNG and JPEG")
	checkError(t, m.send(t, "PUT", path, "GIF89a......"), 415)
	checkError(t, m.send(t, "PUT", path, string(p[:20])), 415, "readable")
	big := append(bytes.Clone(p), make([]byte, MaxImageBytes)...)
	checkError(t, m.send(t, "PUT", path, string(big)), 413)
	checkError(t, m.send(t, "PUT", path, ""), 400, "empty")
	// Delete.
	if r := m.send(t, "DELETE", path, ""); r.status != 200 {
		t.Errorf("DELETE: %d %s", r.status, r.body)
	}
	checkError(t, m.get(t, path), 404)
	md = DeviceMetadata{}
	decodeJSON(t, m.get(t, "/api/v1/devices/"+dev+"/metadata"), &md)
	if md.Image != "" || md.Alias != "x" {
		t.Errorf("after delete: %+v", md)
	}
}

func TestMetadataAuth(t *testing.T) {
	adminHash, _ := HashPassword("admin-pw")
	viewHash, _ := HashPassword("view-pw")
	cfg := Config{Users: []User{{"admin", RoleAdmin, adminHash}, {"viewer", RoleReadOnly, viewHash}},
		Tokens: []Token{{"nms", RoleReadOnly, HashToken("read-token-0123456789")}}}
	b := shared(t)
	m := serveMem(t, cfg, b, memOpts{})
	dev := b.snap.Devices[2].ClockIdentity
	path := "/api/v1/devices/" + dev + "/metadata"
	checkError(t, m.send(t, "PUT", path, `{"alias":"a"}`), 401)
	checkError(t, m.send(t, "PUT", path, `{"alias":"a"}`, "Authorization", basic("admin", "wrong")), 401)
	checkError(t, m.send(t, "PUT", path, `{"alias":"a"}`, "Authorization", basic("viewer", "view-pw")), 403, "admin")
	checkError(t, m.send(t, "PUT", path, `{"alias":"a"}`, "Authorization", "Bearer read-token-0123456789"), 403, "admin")
	checkError(t, m.send(t, "PUT", "/api/v1/devices/"+dev+"/image", string(pngBytes(t, 1, 1)), "Authorization", basic("viewer", "view-pw")), 403)
	checkError(t, m.send(t, "DELETE", "/api/v1/devices/"+dev+"/image", "", "Authorization", basic("viewer", "view-pw")), 403)
	if r := m.get(t, path, "Authorization", basic("viewer", "view-pw")); r.status != 200 {
		t.Errorf("viewer GET: %d", r.status)
	}
	if r := m.send(t, "PUT", path, `{"alias":"a"}`, "Authorization", basic("admin", "admin-pw")); r.status != 200 {
		t.Errorf("admin PUT: %d %s", r.status, r.body)
	}
}

// fakeStore is a MetadataStore a Backend provides.
type fakeStore struct{ MetadataStore }

type storeBackend struct {
	*fixtureBackend
	store MetadataStore
}

func (b storeBackend) MetadataStore() MetadataStore { return b.store }

func TestMetadataProvider(t *testing.T) {
	st := fakeStore{NewMemoryMetadata()}
	dev := shared(t).snap.Devices[0].ClockIdentity
	if err := st.PutMetadata(dev, DeviceMetadata{Alias: "from the backend"}); err != nil {
		t.Fatal(err)
	}
	m := serveMem(t, Config{}, storeBackend{shared(t), st}, memOpts{})
	var d struct{ Metadata DeviceMetadata }
	decodeJSON(t, m.get(t, "/api/v1/devices/"+dev), &d)
	if d.Metadata.Alias != "from the backend" {
		t.Errorf("device metadata %+v", d.Metadata)
	}
}

func TestMemoryMetadata(t *testing.T) {
	s := NewMemoryMetadata()
	g0 := s.Generation()
	if err := s.PutMetadata("a", DeviceMetadata{Alias: "x", Image: "forged", Updated: 1}); err != nil {
		t.Fatal(err)
	}
	m, ok, _ := s.Metadata("a")
	if !ok || m.Image != "" || m.Updated <= 1 || s.Generation() == g0 {
		t.Errorf("after put: %+v %v", m, ok)
	}
	data := []byte{1, 2, 3}
	s.PutImage("a", "image/png", data)
	data[0] = 9 // the store keeps its own copy
	ct, img, ok, _ := s.Image("a")
	if !ok || ct != "image/png" || img[0] != 1 {
		t.Errorf("image %q %v %v", ct, img, ok)
	}
	all, _ := s.AllMetadata()
	all["a"] = DeviceMetadata{} // a copy
	if m, _, _ := s.Metadata("a"); m.Alias != "x" || m.Image != "image/png" {
		t.Errorf("after AllMetadata change: %+v", m)
	}
	s.PutImage("a", "", nil)
	s.PutMetadata("a", DeviceMetadata{})
	if _, ok, _ := s.Metadata("a"); ok {
		t.Error("an empty record is kept")
	}
}
